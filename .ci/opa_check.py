"""snapset's policy verdicts against the real Open Policy Agent (issue 29):

    python opa_check.py [--known FILE] SNAPSET FOLDER [FOLDER ...]

snapset embeds regorus, not OPA. This check runs `SNAPSET policies test FOLDER --format json`
on each folder (gatekeeper-library's templates and samples under tests/policies/, the
example workspace's policies/), then judges every case again with OPA itself and insists
both give the same verdict:

- a Gatekeeper case (a template, a constraint, an object, an inventory): the messages of
  `violation` for the input Gatekeeper builds (`input.review`, `input.parameters`,
  `data.inventory`), after the constraint's `match`, must be the same multiset;
- a conftest `test_*` rule: OPA must find it true exactly when snapset says it holds.

OPA comes from PyPI: `opa-golib-python-bindings` ships OPA's Go library (v1.20.2) built as
a C shared library with a ctypes wrapper. Its wheel declares Python 3.14 but the wrapper
runs on older ones, so the pinned wheel is fetched with pip for 3.14, its hash checked,
and unpacked into the CI cache (no install into any environment).

OPA 1.x reads Rego v1 only (the bindings do not expose v0 mode), while Gatekeeper templates
are v0 unless they say `version: v1`: such modules are rewritten to v1 with the two
changes v1 requires of these rule heads (`contains` for partial sets, `if` before a body);
a module this rewrite cannot read is a failure of the check, never skipped.

FILE lists the cases where snapset's engine is known to depart from OPA, one name a line
(tests/policies/known-departures.txt, with the reasons): those must still differ (a case
that has come to agree fails the check, so the list is kept true); any other must agree.

Prints a line per case and a closing "N passed, M failed"; exit 0 when all agree, 1 when
one does not, 2 on a usage or install error.
"""
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile

import yaml

WHEEL = "opa_golib_python_bindings-0.4.4-py3-none-manylinux_2_34_x86_64.whl"
PIN = "opa-golib-python-bindings==0.4.4"
SHA256 = "d411c901e14b8c7c3023e23e4a944f4cf429c1d31baf80e959e57d11efbfd24a"


def cache() -> pathlib.Path:
    base = os.environ.get("SNAPSET_CI_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", "/tmp"), ".cache"),
        "snapset-ci",
    )
    return pathlib.Path(base) / "opa"


def install() -> pathlib.Path:
    """The folder holding the `opa_bindings` package, fetched once."""
    home = cache() / SHA256[:16]
    if (home / "opa_bindings" / "libopabridge.so").is_file():
        return home
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.14", "--platform", "manylinux_2_34_x86_64", "-d", tmp, PIN],
            check=True,
        )
        wheel = pathlib.Path(tmp) / WHEEL
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != SHA256:
            raise SystemExit(f"opa_check: {WHEEL} has sha256 {digest}, expected {SHA256}")
        part = pathlib.Path(tempfile.mkdtemp(dir=cache().parent if cache().parent.exists() else None))
        with zipfile.ZipFile(wheel) as z:
            z.extractall(part)
        home.parent.mkdir(parents=True, exist_ok=True)
        part.rename(home)
    return home


# --- Rego v0 -> v1, for the rule heads Gatekeeper templates write -------------------------

def body_brace(line: str) -> int:
    """Where the body of a rule head on `line` opens, or -1."""
    depth, i, prev = 0, 0, ""
    while i < len(line):
        c = line[i]
        if c == '"':
            i += 1
            while i < len(line) and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
        elif c == "`":
            i = line.index("`", i + 1)
        elif c == "#":
            return -1
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "{":
            if depth == 0 and prev not in ("=", ",", "(", "["):
                return i
            depth += 1
        elif c == "}":
            depth -= 1
        if not c.isspace():
            prev = "=" if line[max(0, i - 1):i + 1] == ":=" else c
        i += 1
    return -1


def to_v1(text: str) -> str:
    out = []
    for line in text.splitlines():
        head = line
        if (line[:1].isalpha() or line[:1] == "_") and not line.startswith(("package ", "import ", "default ")):
            at = body_brace(line)
            if at >= 0:
                name = line[:at].rstrip()
                partial = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[(.*)\]", name)
                if partial:
                    name = f"{partial.group(1)} contains {partial.group(2)}"
                head = f"{name} if {line[at:]}"
        elif re.match(r"^\}\s*else\b", line):
            at = body_brace(line[1:])
            if at >= 0:
                head = f"}}{line[1:at + 1].rstrip()} if {line[at + 1:]}"
        out.append(head)
    return "\n".join(out) + "\n"


# --- Gatekeeper, as its docs define the input -------------------------------------------

def documents(path: pathlib.Path) -> list:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def template_modules(path: pathlib.Path) -> tuple[str, list[str]]:
    """(package, modules) of the template's Rego, as v1 text."""
    doc = next(d for d in documents(path) if d.get("kind") == "ConstraintTemplate")
    target = doc["spec"]["targets"][0]
    rego, libs, version = target.get("rego"), target.get("libs") or [], None
    for code in target.get("code") or []:
        if code.get("engine") == "Rego":
            source = code.get("source") or {}
            rego, libs, version = source.get("rego"), source.get("libs") or [], source.get("version")
    modules = [rego] + list(libs)
    if version != "v1":
        modules = [to_v1(m) for m in modules]
    package = re.search(r"^package\s+(\S+)", rego, re.M).group(1)
    return package, modules


def object_of(path: pathlib.Path) -> tuple[dict, str]:
    doc = documents(path)[0]
    if doc.get("kind") == "AdmissionReview":
        request = doc.get("request") or {}
        return request.get("object") or {}, request.get("operation") or "CREATE"
    return doc, "CREATE"


def group_version(obj: dict) -> tuple[str, str]:
    api = obj.get("apiVersion") or ""
    return tuple(api.rsplit("/", 1)) if "/" in api else ("", api)


def labels_match(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def matches(match: dict, obj: dict, inventory: list) -> bool:
    group, _ = group_version(obj)
    kind = obj.get("kind") or ""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or (meta.get("name") if kind == "Namespace" else None)
    kinds = match.get("kinds")
    if kinds and not any(
        (group in k.get("apiGroups", ["*"]) or "*" in k.get("apiGroups", ["*"]))
        and (kind in k.get("kinds", ["*"]) or "*" in k.get("kinds", ["*"]))
        for k in kinds
    ):
        return False
    scope = match.get("scope", "*")
    namespaced = bool(meta.get("namespace"))
    if scope == "Namespaced" and not namespaced or scope == "Cluster" and namespaced:
        return False
    if "labelSelector" in match and not labels_match(match["labelSelector"], meta.get("labels") or {}):
        return False
    # Gatekeeper: an object in no namespace (and not a Namespace) passes the namespace criteria.
    if namespace is None:
        return True
    globbed = lambda pats: any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), namespace) for p in pats)
    if "namespaces" in match and not globbed(match["namespaces"]):
        return False
    if "excludedNamespaces" in match and globbed(match["excludedNamespaces"]):
        return False
    if "namespaceSelector" in match:
        ns = next((o for o in inventory if o.get("kind") == "Namespace"
                   and (o.get("metadata") or {}).get("name") == namespace), None)
        if kind == "Namespace":
            ns = obj
        if ns is None or not labels_match(match["namespaceSelector"], (ns.get("metadata") or {}).get("labels") or {}):
            return False
    return True


def inventory_data(objects: list) -> dict:
    cluster, namespaced = {}, {}
    for o in objects:
        meta = o.get("metadata") or {}
        api, kind, name = o.get("apiVersion") or "", o.get("kind") or "", meta.get("name") or ""
        at = namespaced.setdefault(meta["namespace"], {}) if meta.get("namespace") else cluster
        at.setdefault(api, {}).setdefault(kind, {})[name] = o
    return {"cluster": cluster, "namespace": namespaced}


def gatekeeper_case(opa, root: pathlib.Path, test: dict) -> list[str]:
    package, modules = template_modules(root / test["template"])
    constraint = documents(root / test["constraint"])[0]
    obj, operation = object_of(root / test["object"])
    inventory = [d for f in test["inventory"] for d in documents(root / f)]
    spec = constraint.get("spec") or {}
    if not matches(spec.get("match") or {}, obj, inventory):
        return []
    group, version = group_version(obj)
    meta = obj.get("metadata") or {}
    review = {
        "kind": {"group": group, "version": version, "kind": obj.get("kind") or ""},
        "name": meta.get("name") or "",
        "namespace": meta.get("namespace") or "",
        "operation": operation,
        "object": obj,
    }
    with opa() as engine:
        for i, m in enumerate(modules):
            engine.add_policy(f"m{i}.rego", m)
        if inventory:
            engine.add_data({"inventory": inventory_data(inventory)})
        try:
            value = engine.eval_document(
                f"{package}.violation", {"review": review, "parameters": spec.get("parameters") or {}}
            )
        except Exception as e:  # OpaUndefinedError: no violation rule fired
            if type(e).__name__ != "OpaUndefinedError":
                raise
            value = []
    return [v["msg"] if isinstance(v, dict) and "msg" in v else json.dumps(v) for v in value]


def conftest_case(opa, root: pathlib.Path, folder: pathlib.Path, name: str) -> bool:
    rule = name.rsplit(" ", 1)[1]
    with opa() as engine:
        for f in sorted(folder.rglob("*.rego")):
            engine.add_policy(str(f), f.read_text(encoding="utf-8"))
        try:
            return engine.eval_document(rule) is True
        except Exception as e:
            if type(e).__name__ != "OpaUndefinedError":
                raise
            return False


def main() -> int:
    args = sys.argv[1:]
    known: set[str] = set()
    if args[:1] == ["--known"] and len(args) > 1:
        lines = pathlib.Path(args[1]).read_text(encoding="utf-8").splitlines()
        known = {l.strip() for l in lines if l.strip() and not l.startswith("#")}
        args = args[2:]
    if len(args) < 2:
        print("usage: opa_check.py [--known FILE] SNAPSET FOLDER [FOLDER ...]", file=sys.stderr)
        return 2
    snapset, folders = args[0], [pathlib.Path(f) for f in args[1:]]
    try:
        sys.path.insert(0, str(install()))
        from opa_bindings import OpaEngine
    except (subprocess.CalledProcessError, OSError, ImportError) as e:
        print(f"opa_check: cannot install OPA ({PIN}): {e}", file=sys.stderr)
        return 2
    root = pathlib.Path.cwd()
    passed = failed = seen_violations = 0
    for folder in folders:
        run = subprocess.run([snapset, "policies", "test", str(folder), "--format", "json"],
                             capture_output=True, text=True)
        if run.returncode not in (0, 1):
            print(f"opa_check: snapset policies test {folder} exited {run.returncode}:\n{run.stderr}",
                  file=sys.stderr)
            return 2
        for test in json.loads(run.stdout)["tests"]:
            if "template" in test:
                theirs = sorted(gatekeeper_case(OpaEngine, root, test))
                ours = sorted(test["violations"])
                same = theirs == ours
                seen_violations += len(theirs)
                seen = f"{len(ours)} violation(s)" if same else f"snapset {ours}, OPA {theirs}"
            else:
                theirs = conftest_case(OpaEngine, root, folder, test["name"])
                same = theirs == test["holds"]
                seen = f"holds: snapset {test['holds']}, OPA {theirs}"
            if test["name"] in known:
                # A known departure: it must still differ, or the list is stale.
                mark = "ok  " if not same else "STALE"
                seen = ("known departure, " + seen) if not same else "agrees now: take it out of the known departures"
                good = not same
            else:
                mark, good = ("ok  " if same else "DIFF"), same
            print(f"{mark} {test['name']}: {seen}")
            passed, failed = passed + good, failed + (not good)
    if seen_violations == 0:
        # Cases that all pass with no violation cannot tell two engines apart.
        print("FAIL no case found a violation: the comparison judged nothing")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
