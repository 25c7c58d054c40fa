"""Custom resources of snapset's output, checked against their CRDs:

    python crd_check.py OUTDIR [CRDDIR]

An independent second opinion on snapset's own CRD validation. Every object under OUTDIR
(but kustomization.yaml) whose API group is defined by a CustomResourceDefinition in
CRDDIR/*.yaml (several documents per file) must be of a kind that group's CRDs define,
at a version that is served, and valid under that version's openAPIV3Schema, read by
Python `jsonschema` (Draft 4, the JSON Schema that OpenAPI v3 is based on) after a
translation of what Kubernetes adds to it:

- `nullable: true`                      -> null is allowed too;
- `x-kubernetes-int-or-string: true`    -> an integer or a string;
- undeclared fields are errors, as the API server would prune them: an object schema
  (outside anyOf/oneOf/allOf/not) without `additionalProperties` gets
  `additionalProperties: false` unless `x-kubernetes-preserve-unknown-fields: true`;
- formats int32, int64, date-time, date, uuid, ipv4, ipv6 are checked;
- `metadata` is not checked (Kubernetes ObjectMeta; kubernetes-validate and snapset
  check it), `apiVersion` and `kind` must be strings.

No CRDDIR, or no object of a CRD group: the check passes and says so.
"""
import copy
import datetime
import ipaddress
import pathlib
import re
import sys
import uuid

import jsonschema

from kinds import load_crds, read_objects, split_api_version, yaml_files

JUNCTORS = ("allOf", "anyOf", "oneOf")

FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("int32")
def _int32(v):
    return not isinstance(v, int) or isinstance(v, bool) or -2**31 <= v < 2**31


@FORMATS.checks("int64")
def _int64(v):
    return not isinstance(v, int) or isinstance(v, bool) or -2**63 <= v < 2**63


RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(v):
    if not isinstance(v, str):
        return True
    if not RFC3339.fullmatch(v):
        raise ValueError("not an RFC 3339 date-time")
    datetime.datetime.fromisoformat(v[:19])
    return True


@FORMATS.checks("date", raises=ValueError)
def _date(v):
    if isinstance(v, str):
        if len(v) != 10:
            raise ValueError("not a full-date")
        datetime.date.fromisoformat(v)
    return True


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(v):
    if isinstance(v, str):
        uuid.UUID(v)
    return True


@FORMATS.checks("ipv4", raises=ValueError)
def _ipv4(v):
    if isinstance(v, str):
        ipaddress.IPv4Address(v)
    return True


@FORMATS.checks("ipv6", raises=ValueError)
def _ipv6(v):
    if isinstance(v, str):
        ipaddress.IPv6Address(v)
    return True


def translate(s, structural: bool = True):
    """A Kubernetes structural schema -> plain JSON Schema (Draft 4), recursively."""
    if not isinstance(s, dict):
        return s
    s = dict(s)
    if s.pop("x-kubernetes-int-or-string", False):
        s["type"] = ["integer", "string"]
    if s.pop("nullable", False):
        t = s.get("type")
        if isinstance(t, str):
            s["type"] = [t, "null"]
        elif isinstance(t, list):
            s["type"] = t + ["null"]
        if isinstance(s.get("enum"), list):
            s["enum"] = s["enum"] + [None]
    preserve = s.pop("x-kubernetes-preserve-unknown-fields", False)
    if isinstance(s.get("properties"), dict):
        s["properties"] = {k: translate(v, True) for k, v in s["properties"].items()}
    if isinstance(s.get("items"), dict):
        s["items"] = translate(s["items"], True)
    if isinstance(s.get("additionalProperties"), dict):
        s["additionalProperties"] = translate(s["additionalProperties"], True)
    for j in JUNCTORS:
        if isinstance(s.get(j), list):
            s[j] = [translate(x, False) for x in s[j]]
    if isinstance(s.get("not"), dict):
        s["not"] = translate(s["not"], False)
    if structural and not preserve and "additionalProperties" not in s and (
        s.get("type") == "object" or "properties" in s
    ):
        s["additionalProperties"] = False
    return s


def object_schema(schema: dict) -> dict:
    s = translate(copy.deepcopy(schema))
    props = s.setdefault("properties", {})
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = {"type": "object"}  # ObjectMeta: not this check's business
    return s


def path_of(error: jsonschema.ValidationError) -> str:
    out = ""
    for p in error.absolute_path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(object)"


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print("usage: crd_check.py OUTDIR [CRDDIR]", file=sys.stderr)
        return 2
    outdir = pathlib.Path(sys.argv[1])
    crddir = pathlib.Path(sys.argv[2]) if len(sys.argv) == 3 and sys.argv[2] else None
    if crddir is not None and not crddir.is_dir():
        print(f"crds: {crddir} is not a directory", file=sys.stderr)
        return 1
    crds, errors = load_crds(crddir)
    groups = {g for g, _ in crds}
    validators: dict[tuple[str, str, str], jsonschema.Draft4Validator] = {}
    checked = 0
    for path in yaml_files(outdir):
        try:
            objs = read_objects(path)
        except ValueError:
            continue  # reported by the kubernetes-validate and istio checks
        for o in objs:
            group, version = split_api_version(o["apiVersion"])
            if group not in groups:
                continue
            kind = o["kind"]
            versions = crds.get((group, kind))
            if versions is None:
                known = sorted(k for g, k in crds if g == group)
                errors.append(f"{path}: {kind} is not a kind of {group} (its CRDs define {', '.join(known)})")
                continue
            v = versions.get(version)
            if v is None or not v["served"]:
                served = sorted(n for n, x in versions.items() if x["served"])
                errors.append(f"{path}: {group}/{version} {kind}: version not served (served: {', '.join(served) or 'none'})")
                continue
            if not isinstance(v["schema"], dict):
                errors.append(f"{path}: {group}/{version} {kind}: {v['file']} has no openAPIV3Schema for {version}")
                continue
            key = (group, version, kind)
            if key not in validators:
                schema = object_schema(v["schema"])
                try:
                    jsonschema.Draft4Validator.check_schema(schema)
                except jsonschema.SchemaError as e:
                    errors.append(f"{v['file']}: {kind} {version}: invalid schema: {e.message}")
                    continue
                validators[key] = jsonschema.Draft4Validator(schema, format_checker=FORMATS)
            problems = sorted(validators[key].iter_errors(o), key=lambda e: list(map(str, e.absolute_path)))
            for e in problems:
                errors.append(f"{path}: {kind} {path_of(e)}: {e.message}")
            checked += 1
    for e in errors:
        print(f"crds: {e}", file=sys.stderr)
    if errors:
        print(f"crds: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    where = crddir if crddir is not None else "no crds folder"
    print(f"crds: {checked} custom resources OK ({len(crds)} kinds defined, {where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
