"""kustomize check of snapset's output: python kustomize_check.py KUBECTL OUTDIR

For every environment folder OUTDIR/<env>/ (one that has a kustomization.yaml):
- `kubectl kustomize OUTDIR/<env>` succeeds;
- it prints as many objects as kustomization.yaml lists yaml files in `resources`;
- `resources` lists every *.yaml file of the folder (but kustomization.yaml), and no other.
Every direct subfolder of OUTDIR must be such an environment folder.
"""
import pathlib
import subprocess
import sys

import yaml


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: kustomize_check.py KUBECTL OUTDIR", file=sys.stderr)
        return 2
    kubectl, root = sys.argv[1], pathlib.Path(sys.argv[2])
    errors: list[str] = []
    envs = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not envs:
        errors.append(f"no environment folder under {root}")
    objects = 0
    for env in envs:
        kfile = env / "kustomization.yaml"
        if not kfile.is_file():
            errors.append(f"{env}: no kustomization.yaml")
            continue
        try:
            kust = yaml.safe_load(kfile.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            errors.append(f"{kfile}: {e}")
            continue
        resources = kust.get("resources") or []
        listed = [r for r in resources if isinstance(r, str) and r.endswith((".yaml", ".yml"))]
        on_disk = sorted(
            p.relative_to(env).as_posix()
            for p in env.rglob("*")
            if p.is_file() and p.suffix in (".yaml", ".yml") and p != kfile
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
            continue
        docs = [d for d in yaml.safe_load_all(run.stdout) if d is not None]
        if len(docs) != len(listed):
            errors.append(f"kubectl kustomize {env}: {len(docs)} objects, but kustomization.yaml lists {len(listed)} yaml files")
        objects += len(docs)
    for e in errors:
        print(f"kustomize: {e}", file=sys.stderr)
    if errors:
        print(f"kustomize: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"kustomize: {len(envs)} environments OK ({objects} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
