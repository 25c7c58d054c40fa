"""Which validator owns each object of snapset's output (used by .ci/conformance.sh).

    python kinds.py kubernetes OUTDIR [CRDDIR]

prints, NUL-separated, the yaml files under OUTDIR (but kustomization.yaml) whose
objects belong to a Kubernetes built-in API group and so go to kubernetes-validate.
Templates render any kind, and file names are template names, so the kind is read from
each file's apiVersion/kind, never guessed from its name. Every object falls in one or
more of:

- "crd":        its group is defined by a CustomResourceDefinition in CRDDIR/*.yaml
                (checked by crd_check.py);
- "istio":      its group is istio.io or *.istio.io (checked by validate-istio.mjs);
- "kubernetes": its group is a built-in group of Kubernetes K8S_VERSION (the groups of
                kubernetes-validate's own schemas for that version), and it is neither of
                the above. Its apiVersion/kind must then be a kind of that version.

An object in none of them (a group nobody defines), a built-in group with an unknown
kind or version, or a file that is not YAML objects with string apiVersion and kind, is
reported on stderr and makes the command exit 1 (the kubernetes-validate check fails).
A group is compared whole: `apps.example.com/v1` is not `apps/v1`.
"""
import json
import os
import pathlib
import sys

import yaml

K8S_VERSION = os.environ.get("K8S_VERSION", "1.33.0")
SKIP = {"kustomization.yaml"}
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


def yaml_files(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".yml") and p.name not in SKIP
    )


def split_api_version(api_version: str) -> tuple[str, str]:
    """'apps/v1' -> ('apps', 'v1'); 'v1' -> ('', 'v1')."""
    group, _, version = api_version.rpartition("/")
    return group, version


def is_istio(group: str) -> bool:
    return group == "istio.io" or group.endswith(".istio.io")


def read_objects(path: pathlib.Path) -> list[dict]:
    """The non-empty documents of a yaml file; raises ValueError when one is not an object."""
    try:
        docs = [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=LOADER) if d is not None]
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ValueError(f"not YAML: {e}") from e
    if not docs:
        raise ValueError("no YAML document")
    for d in docs:
        if not isinstance(d, dict):
            raise ValueError(f"a document is a {type(d).__name__}, not a mapping")
        if not isinstance(d.get("apiVersion"), str) or not isinstance(d.get("kind"), str):
            raise ValueError("a document has no string apiVersion and kind")
    return docs


def load_crds(crddir: pathlib.Path | None) -> tuple[dict, list[str]]:
    """{(group, kind): {version: {"served": bool, "schema": dict|None}}} and errors."""
    crds: dict[tuple[str, str], dict[str, dict]] = {}
    errors: list[str] = []
    if crddir is None:
        return crds, errors
    files = sorted(p for p in crddir.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    for path in files:
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            errors.append(f"{path}: not YAML: {e}")
            continue
        for i, d in enumerate(docs):
            if d is None:
                continue
            if not isinstance(d, dict) or d.get("kind") != "CustomResourceDefinition":
                errors.append(f"{path}: document {i + 1} is not a CustomResourceDefinition")
                continue
            if d.get("apiVersion") != "apiextensions.k8s.io/v1":
                errors.append(f"{path}: document {i + 1}: apiVersion {d.get('apiVersion')!r}, expected apiextensions.k8s.io/v1")
                continue
            spec = d.get("spec") or {}
            group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
            if not isinstance(group, str) or not isinstance(kind, str):
                errors.append(f"{path}: document {i + 1}: no spec.group or spec.names.kind")
                continue
            versions = crds.setdefault((group, kind), {})
            for v in spec.get("versions") or []:
                schema = ((v.get("schema") or {}).get("openAPIV3Schema"))
                versions[v.get("name")] = {"served": bool(v.get("served")), "schema": schema, "file": str(path)}
    return crds, errors


def kubernetes_kinds(version: str = K8S_VERSION) -> set[tuple[str, str, str]]:
    """(group, version, kind) of every kind in kubernetes-validate's schemas for `version`."""
    import importlib_resources  # a dependency of kubernetes-validate
    ref = importlib_resources.files("kubernetes_validate").joinpath(
        f"kubernetes-json-schema/v{version}-local-strict/_definitions.json")
    defs = json.loads(ref.read_text(encoding="utf-8"))
    defs = defs.get("$defs", defs.get("definitions", {}))
    gvks = set()
    for d in defs.values():
        for g in d.get("x-kubernetes-group-version-kind", []):
            if g["kind"] not in ("DeleteOptions", "WatchEvent", "Status"):
                gvks.add((g["group"], g["version"], g["kind"]))
    if not gvks:
        raise SystemExit(f"kinds: kubernetes-validate has no kinds for Kubernetes {version}")
    return gvks


def classify(outdir: pathlib.Path, crddir: pathlib.Path | None):
    """Yields (path, objects, owners, error) for every yaml file under outdir."""
    crds, crd_errors = load_crds(crddir)
    crd_groups = {g for g, _ in crds}
    gvks = kubernetes_kinds()
    k8s_groups = {g for g, _, _ in gvks}
    for path in yaml_files(outdir):
        try:
            objs = read_objects(path)
        except ValueError as e:
            yield path, [], set(), str(e)
            continue
        owners: set[str] = set()
        error = None
        for o in objs:
            group, version = split_api_version(o["apiVersion"])
            mine = set()
            if group in crd_groups:
                mine.add("crd")
            if is_istio(group):
                mine.add("istio")
            if not mine and group in k8s_groups:
                if (group, version, o["kind"]) in gvks:
                    mine.add("kubernetes")
                else:
                    error = (f"{o['apiVersion']} {o['kind']} is not a kind of Kubernetes {K8S_VERSION}"
                             f" (group {group or 'core'!r} is built in)")
            if not mine and error is None:
                error = (f"{o['apiVersion']} {o['kind']}: group {group!r} is neither a Kubernetes {K8S_VERSION}"
                         f" group, nor Istio's, nor defined by a CRD in {crddir or '(no crds folder)'}")
            owners |= mine
        yield path, objs, owners, error
    for e in crd_errors:
        yield None, [], set(), e


def main() -> int:
    if len(sys.argv) not in (3, 4) or sys.argv[1] != "kubernetes":
        print("usage: kinds.py kubernetes OUTDIR [CRDDIR]", file=sys.stderr)
        return 2
    outdir = pathlib.Path(sys.argv[2])
    crddir = pathlib.Path(sys.argv[3]) if len(sys.argv) == 4 and sys.argv[3] else None
    rc = 0
    out = []
    for path, _objs, owners, error in classify(outdir, crddir):
        if error:
            print(f"{path}: {error}" if path else error, file=sys.stderr)
            rc = 1
        elif "kubernetes" in owners:
            out.append(str(path))
    sys.stdout.write("".join(p + "\0" for p in out))
    return rc


if __name__ == "__main__":
    sys.exit(main())
