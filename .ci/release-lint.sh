#!/usr/bin/env bash
# Lints what makes a release, which no runner here executes (tests/it/release.rs
# runs its file-moving steps): .github/workflows/release.yml with
# action-validator (GitHub's workflow schema) and the Dockerfile with
# hadolint. Each linter must first fail a broken copy, so a linter that
# passes everything fails here. Tools are pinned in .ci/release-lint/ and
# installed into ${SNAPSET_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapset-ci}.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
CACHE=${SNAPSET_CI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/snapset-ci}
VENV=$CACHE/release-venv
NPM_PREFIX=$CACHE/release-npm
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

die() { echo "release-lint: $*" >&2; exit 2; }
stamp() { { sha256sum "$@" | cut -d' ' -f1; python3 --version; node --version; } | sha256sum | cut -d' ' -f1; }

want=$(stamp "$HERE/release-lint/requirements.txt" "$HERE/release-lint/package.json" "$HERE/release-lint/package-lock.json")
if [[ ! -f $CACHE/release-lint.stamp || $(<"$CACHE/release-lint.stamp") != "$want" ]]; then
    echo "release-lint: installing hadolint and action-validator into $CACHE"
    rm -rf "$VENV" "$NPM_PREFIX"
    mkdir -p "$CACHE" "$NPM_PREFIX"
    python3 -m venv "$VENV" || die "python3 -m venv failed"
    "$VENV/bin/pip" install --quiet -r "$HERE/release-lint/requirements.txt" || die "pip install failed"
    cp "$HERE/release-lint/package.json" "$HERE/release-lint/package-lock.json" "$NPM_PREFIX/"
    npm ci --prefix "$NPM_PREFIX" --no-audit --no-fund --loglevel=error || die "npm ci failed"
    echo "$want" >"$CACHE/release-lint.stamp"
fi
HADOLINT=$VENV/bin/hadolint
VALIDATOR=$NPM_PREFIX/node_modules/.bin/action-validator
"$HADOLINT" --version >/dev/null || die "hadolint does not run"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Self-test: a misspelt key in the workflow, a relative COPY without WORKDIR
# and a deprecated instruction in the Dockerfile.
sed 's/^    runs-on: \${{ matrix.os }}$/    runs_on: ${{ matrix.os }}/' "$ROOT/.github/workflows/release.yml" >"$scratch/release.yml"
cmp -s "$ROOT/.github/workflows/release.yml" "$scratch/release.yml" && die "self-test: the workflow's runs-on line moved; update the sed"
if "$VALIDATOR" "$scratch/release.yml" >/dev/null 2>&1; then die "self-test: action-validator passed runs_on"; fi
printf 'FROM scratch\nMAINTAINER x\nCOPY a b c\n' >"$scratch/Dockerfile"
if "$HADOLINT" "$scratch/Dockerfile" >/dev/null 2>&1; then die "self-test: hadolint passed MAINTAINER"; fi

"$VALIDATOR" "$ROOT/.github/workflows/release.yml" || { echo "release-lint: release.yml FAILED" >&2; exit 1; }
echo "release-lint: .github/workflows/release.yml: ok (action-validator)"
"$HADOLINT" "$ROOT/Dockerfile" || { echo "release-lint: Dockerfile FAILED" >&2; exit 1; }
echo "release-lint: Dockerfile: ok (hadolint)"
