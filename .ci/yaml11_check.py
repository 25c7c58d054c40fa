"""YAML 1.1 check of snapset's output: python yaml11_check.py OUTDIR

PyYAML reads YAML 1.1, as kubectl and most GitOps agents do: there a bare `on`, `no`,
`y`, `0123`, `1:30` or `2026-11-26` is not a string. snapset quotes every string, so in
every *.yaml file under OUTDIR each scalar (key or value) must resolve to a string, or
to an integer written in plain decimal (replicas, ports, weights). A bool, float, null,
timestamp or octal/hex/sexagesimal integer fails with file:line, unless its key is in
ALLOWED (keys that are booleans/numbers in Kubernetes; none of ours for now).
Duplicate keys in a mapping fail too (PyYAML would silently keep the last one).
"""
import pathlib
import re
import sys

import yaml

# key name -> tags allowed for its value, e.g. {"readOnlyRootFilesystem": {"bool"}}
ALLOWED: dict[str, set[str]] = {}

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)")


class Yaml11Loader(yaml.SafeLoader):
    """SafeLoader, plus the YAML 1.1 booleans y/Y/n/N that go-yaml v2 (kubectl) knows."""


Yaml11Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))


def where(path: pathlib.Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def check(path: pathlib.Path, node: yaml.Node, key: str | None, errors: list[str]) -> int:
    """Returns the number of scalars checked."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == STR:
            return 1
        if node.tag == INT and DECIMAL.fullmatch(node.value):
            return 1
        short = node.tag.rsplit(":", 1)[-1]
        if key is not None and short in ALLOWED.get(key, ()):
            return 1
        what = "an integer not in plain decimal" if node.tag == INT else f"a YAML 1.1 {short}"
        errors.append(f"{where(path, node)}: {node.value!r} (key {key!r}) is {what}, not a string: quote it")
        return 1
    n = 0
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            n += check(path, item, key, errors)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for k, v in node.value:
            n += check(path, k, None, errors)
            name = k.value if isinstance(k, yaml.ScalarNode) else None
            if name is not None:
                if name in seen:
                    errors.append(f"{where(path, k)}: duplicate key {name!r} (first at line {seen[name].start_mark.line + 1})")
                seen[name] = k
            n += check(path, v, name, errors)
    return n


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: yaml11_check.py OUTDIR", file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1])
    if not root.is_dir():
        print(f"yaml-1.1: {root} is not a directory", file=sys.stderr)
        return 1
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
    errors: list[str] = []
    scalars = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            for doc in yaml.compose_all(text, Loader=Yaml11Loader):
                if doc is not None:
                    scalars += check(path, doc, None, errors)
            list(yaml.safe_load_all(text))  # and it constructs (bad timestamps etc.)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            errors.append(f"{path}: {e}")
    for e in errors:
        print(f"yaml-1.1: {e}", file=sys.stderr)
    if errors:
        print(f"yaml-1.1: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    if not files:
        print(f"yaml-1.1: no yaml file under {root}", file=sys.stderr)
        return 1
    print(f"yaml-1.1: {len(files)} files OK ({scalars} scalars, every one a string or a decimal integer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
