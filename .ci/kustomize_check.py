"""kustomize check of snapset's output: python kustomize_check.py KUBECTL OUTDIR

For every environment folder OUTDIR/<env>/ (one that has a kustomization.yaml), and every
cluster folder OUTDIR/<env>/<cluster>/ of an environment on clusters (the environment's
folder then has no kustomization.yaml of its own, only cluster folders that do):
- `kubectl kustomize FOLDER` succeeds;
- it prints as many objects as kustomization.yaml lists yaml files in `resources`;
- `resources` lists every *.yaml file of the folder (but kustomization.yaml), and no other,
  except the files of a subfolder with a kustomization.yaml of its own (a service folder
  that Flux applies alone, `agent "flux"`), which is checked the same way.
Every direct subfolder of OUTDIR must be such an environment folder, but `_agent` (the
GitOps agent's objects, checked by agent_check.py and crd_check.py).
"""
import pathlib
import subprocess
import sys

import yaml


def check_unit(kubectl: str, env: pathlib.Path, errors: list[str]) -> int:
    """Checks one kustomization folder; returns the number of objects it builds."""
    kfile = env / "kustomization.yaml"
    try:
        kust = yaml.safe_load(kfile.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        errors.append(f"{kfile}: {e}")
        return 0
    resources = kust.get("resources") or []
    listed = [r for r in resources if isinstance(r, str) and r.endswith((".yaml", ".yml"))]
    own = [p for p in env.iterdir() if p.is_dir() and (p / "kustomization.yaml").is_file()]
    on_disk = sorted(
        p.relative_to(env).as_posix()
        for p in env.rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".yml") and p != kfile
        and not any(o in p.parents for o in own)
    )
    missing = sorted(set(on_disk) - set(listed))
    extra = sorted(set(listed) - set(on_disk))
    if missing:
        errors.append(f"{kfile}: resources does not list {', '.join(missing)}")
    if extra:
        errors.append(f"{kfile}: resources lists files that do not exist: {', '.join(extra)}")
    if len(set(listed)) != len(listed):
        errors.append(f"{kfile}: resources lists a file twice")
    run = subprocess.run([kubectl, "kustomize", str(env)], capture_output=True, text=True)
    if run.returncode != 0:
        errors.append(f"kubectl kustomize {env} failed (exit {run.returncode}):\n{run.stderr.strip()}")
        return 0
    docs = [d for d in yaml.safe_load_all(run.stdout) if d is not None]
    if len(docs) != len(listed):
        errors.append(f"kubectl kustomize {env}: {len(docs)} objects, but kustomization.yaml lists {len(listed)} yaml files")
    return len(docs)


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: kustomize_check.py KUBECTL OUTDIR", file=sys.stderr)
        return 2
    kubectl, root = sys.argv[1], pathlib.Path(sys.argv[2])
    errors: list[str] = []
    envs = sorted(p for p in root.iterdir() if p.is_dir() and p.name != "_agent") if root.is_dir() else []
    if not envs:
        errors.append(f"no environment folder under {root}")
    folders: list[pathlib.Path] = []
    for env in envs:
        if (env / "kustomization.yaml").is_file():
            folders.append(env)
            continue
        clusters = sorted(p for p in env.iterdir() if p.is_dir() and (p / "kustomization.yaml").is_file())
        if not clusters:
            errors.append(f"{env}: no kustomization.yaml")
        folders.extend(clusters)
    # Service folders with a kustomization of their own are units too.
    units: list[pathlib.Path] = []
    for folder in folders:
        units.append(folder)
        units.extend(sorted(p for p in folder.iterdir() if p.is_dir() and (p / "kustomization.yaml").is_file()))
    objects = 0
    for unit in units:
        objects += check_unit(kubectl, unit, errors)
    for e in errors:
        print(f"kustomize: {e}", file=sys.stderr)
    if errors:
        print(f"kustomize: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"kustomize: {len(envs)} environments, {len(units)} kustomizations OK ({objects} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
