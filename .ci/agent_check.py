"""The GitOps agent's objects that snapset writes (`agent` in snapset.kdl):

    python agent_check.py AGENTDIR

AGENTDIR is OUTDIR/_agent. Every yaml file but kustomization.yaml holds only Argo CD
`Application`s (argoproj.io/v1alpha1) or only Flux `Kustomization`s
(kustomize.toolkit.fluxcd.io/v1); kustomization.yaml lists every such file; each object's
folder (`spec.source.path`, `spec.path`, relative to OUTDIR's parent) exists and holds a
kustomization.yaml; every Flux `dependsOn` names a Kustomization of AGENTDIR and the
dependsOn graph has no cycle. Their schemas are checked by crd_check.py against the
agents' published CRDs (tests/crds/, see its README).
"""
import pathlib
import sys

import yaml

KINDS = {
    ("argoproj.io/v1alpha1", "Application"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
}


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: agent_check.py AGENTDIR", file=sys.stderr)
        return 2
    agent = pathlib.Path(sys.argv[1])
    base = agent.parent.parent
    errors: list[str] = []
    files = sorted(p for p in agent.iterdir() if p.is_file() and p.suffix == ".yaml" and p.name != "kustomization.yaml")
    try:
        kust = yaml.safe_load((agent / "kustomization.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        kust = {}
        errors.append(f"{agent}/kustomization.yaml: {e}")
    listed = sorted(kust.get("resources") or [])
    if listed != [p.name for p in files]:
        errors.append(f"{agent}/kustomization.yaml lists {listed}, the folder holds {[p.name for p in files]}")
    depends: dict[str, list[str]] = {}
    objects = 0
    for path in files:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is None:
                continue
            objects += 1
            kind = (doc.get("apiVersion"), doc.get("kind"))
            name = (doc.get("metadata") or {}).get("name")
            if kind not in KINDS:
                errors.append(f"{path}: {kind[0]} {kind[1]} is no object of Argo CD or Flux")
                continue
            spec = doc.get("spec") or {}
            folder = (spec.get("source") or {}).get("path") if kind[1] == "Application" else spec.get("path")
            target = base / str(folder or "")
            if not folder or not (target / "kustomization.yaml").is_file():
                errors.append(f"{path}: {name} deploys {folder!r}, which is no folder with a kustomization.yaml")
            if kind[1] == "Kustomization":
                depends[name] = [d.get("name") for d in spec.get("dependsOn") or []]
    for name, on in depends.items():
        for d in on:
            if d not in depends:
                errors.append(f"Kustomization {name} dependsOn {d!r}, which {agent} does not define")
    # Kahn's algorithm: what cannot be ordered is in a cycle.
    done: set[str] = set()
    while True:
        ready = [n for n, on in depends.items() if n not in done and all(d in done or d not in depends for d in on)]
        if not ready:
            break
        done.update(ready)
    if len(done) != len(depends):
        errors.append(f"dependsOn has a cycle among {sorted(set(depends) - done)}")
    for e in errors:
        print(f"agent: {e}", file=sys.stderr)
    if errors:
        print(f"agent: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"agent: {objects} objects in {len(files)} files OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
