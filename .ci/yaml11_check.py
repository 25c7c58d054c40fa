"""YAML 1.1 vs 1.2 check of snapset's output: python yaml11_check.py OUTDIR

kubectl, Argo CD and Flux read YAML 1.1 (go-yaml v2: a bare `on`, `no`, `y`, `0123`,
`1:30` or `2026-11-26` is a bool, an int or a timestamp there); other tools read YAML 1.2
or JSON (where `1e5` is a float and `on` a string). Every scalar of every *.yaml file
under OUTDIR must read the same in both:

- a quoted scalar ('...' or "...") is a string (an explicit tag such as !!int fails);
- a plain (unquoted) value may only be `true`, `false`, a plain decimal integer
  `-?(0|[1-9][0-9]*)` or a plain decimal float `-?(0|[1-9][0-9]*)\\.[0-9]+`; anything
  else plain (on, yes, no, y, n, null, ~, an empty value, 0123, 0x1F, 1:30, 2026-11-26,
  1e5, .inf, a bare word) fails with file:line;
- a plain key must be a string in YAML 1.1 (PyYAML, plus go-yaml v2's y/n booleans) and
  in YAML 1.2's core schema alike (not null, a bool, an int or a float in either).

Duplicate keys in a mapping fail too (PyYAML would silently keep the last one).
"""
import pathlib
import re
import sys

import yaml

STR = "tag:yaml.org,2002:str"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"

# The plain values allowed, and the YAML 1.1 tag PyYAML must give each.
PLAIN_VALUES = [
    (re.compile(r"true|false"), BOOL),
    (re.compile(r"-?(0|[1-9][0-9]*)"), INT),
    (re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+"), FLOAT),
]

# What YAML 1.2's core schema reads as something other than a string.
YAML12_NOT_STR = re.compile(
    r"""null|Null|NULL|~|
        true|True|TRUE|false|False|FALSE|
        [-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|
        [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|
        [-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN""",
    re.X,
)


class Yaml11Loader(yaml.SafeLoader):
    """SafeLoader, plus the YAML 1.1 booleans y/Y/n/N that go-yaml v2 (kubectl) knows."""


Yaml11Loader.add_implicit_resolver(BOOL, re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))


def where(path: pathlib.Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def short(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def scalar_problem(node: yaml.ScalarNode, is_key: bool) -> str | None:
    """Why this scalar may read differently in YAML 1.1 and 1.2, or None."""
    if node.style is not None:  # quoted ('"), literal (|) or folded (>): a string unless tagged
        return None if node.tag == STR else f"is tagged {node.tag}"
    v = node.value
    if is_key:
        if node.tag != STR:
            return f"is a YAML 1.1 {short(node.tag)}"
        if v == "" or YAML12_NOT_STR.fullmatch(v):
            return "is not a string in YAML 1.2"
        return None
    for pattern, tag in PLAIN_VALUES:
        if pattern.fullmatch(v):
            if node.tag != tag:  # an explicit tag (!!str 5)
                return f"is tagged {node.tag}"
            return None
    if node.tag != STR:
        return f"is a YAML 1.1 {short(node.tag)}"
    if v == "" or YAML12_NOT_STR.fullmatch(v):
        return "is a string in YAML 1.1 but not in YAML 1.2"
    return "is a bare word"


def check(path: pathlib.Path, node: yaml.Node, key: str | None, is_key: bool, errors: list[str]) -> int:
    """Returns the number of scalars checked."""
    if isinstance(node, yaml.ScalarNode):
        why = scalar_problem(node, is_key)
        if why:
            what = "key" if is_key else f"value of {key!r}"
            plain = "plain " if node.style is None else ""
            fix = "" if why.startswith("is tagged") else ": quote it"
            errors.append(f"{where(path, node)}: {plain}{what} {node.value!r} {why}{fix}")
        return 1
    n = 0
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            n += check(path, item, key, False, errors)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for k, v in node.value:
            n += check(path, k, None, True, errors)
            name = k.value if isinstance(k, yaml.ScalarNode) else None
            if name is not None:
                if name in seen:
                    errors.append(f"{where(path, k)}: duplicate key {name!r} (first at line {seen[name].start_mark.line + 1})")
                seen[name] = k
            n += check(path, v, name, False, errors)
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
                    scalars += check(path, doc, None, False, errors)
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
    print(f"yaml-1.1: {len(files)} files OK ({scalars} scalars read the same in YAML 1.1 and 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
