#!/usr/bin/env bash
# Self-test of .ci/conformance.sh: the hand-written manifests in .ci/selftest/out must
# pass, and each broken copy of them must fail, in the check that is meant to catch it.
# Usage: bash .ci/selftest.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GOOD=$HERE/selftest/out
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "selftest: $*" >&2; exit 1; }

# The good samples pass (and this run installs the tools, if needed).
bash "$HERE/conformance.sh" "$GOOD" >"$TMP/log" 2>&1 || { cat "$TMP/log" >&2; fail "the good samples do not pass"; }
grep -q '^4 passed, 0 failed$' "$TMP/log" || { cat "$TMP/log" >&2; fail "the good samples: unexpected summary"; }

# case: name | check that must fail | file (relative to out/dev) | sed script applied to it
CASES=(
  'unknown field in Deployment spec|kubernetes-validate|tower/deployment-stable.yaml|s/^  replicas: 2$/  replicas: 2\n  replica: 2/'
  'wrong type: replicas "two"|kubernetes-validate|cart/deployment.yaml|s/^  replicas: 2$/  replicas: "two"/'
  'Service kind in deployment.yaml|istio|cart/deployment.yaml|s/^kind: "Deployment"$/kind: "Service"/'
  'wrong type: VirtualService weight "ten"|istio|tower/virtualservice.yaml|s/weight: 90/weight: "ten"/'
  'unknown field in VirtualService route|istio|tower/virtualservice.yaml|s/weight: 10/weigth: 10/'
  'unknown field in DestinationRule subset|istio|tower/destinationrule.yaml|0,/^    - name: "stable"$/s//    - name: "stable"\n      weight: 100/'
  'networking.istio.io/v1beta1 DestinationRule|istio|tower/destinationrule.yaml|s#networking.istio.io/v1"#networking.istio.io/v1beta1"#'
  'bare on in an env value|yaml-1.1|cart/deployment.yaml|s/value: "on"/value: on/'
  'bare no in a label|yaml-1.1|tower/service.yaml|0,/app: "tower"/s//app: no/'
  'bare date in an annotation|yaml-1.1|cart/deployment.yaml|s/snapset.dev\/snapshot: "2026-11-26"/snapset.dev\/snapshot: 2026-11-26/'
  'bare y header match|yaml-1.1|tower/virtualservice.yaml|s/exact: "1"/exact: y/'
  'file missing from kustomization.yaml|kustomize|kustomization.yaml|/tower\/service.yaml/d'
  'kustomization.yaml lists a missing file|kustomize|kustomization.yaml|s/^  - "cart\/service.yaml"$/  - "cart\/service.yaml"\n  - "cart\/gone.yaml"/'
)
n=0
for c in "${CASES[@]}"; do
    IFS='|' read -r name check file script <<<"$c"
    rm -rf "$TMP/out" && cp -r "$GOOD" "$TMP/out"
    sed -i "$script" "$TMP/out/dev/$file"
    cmp -s "$GOOD/dev/$file" "$TMP/out/dev/$file" && fail "case '$name': the sed script changed nothing"
    if bash "$HERE/conformance.sh" "$TMP/out" >"$TMP/log" 2>&1; then
        cat "$TMP/log" >&2; fail "case '$name': conformance passed"
    fi
    grep -q "^conformance: FAILED: $check\$" "$TMP/log" || { cat "$TMP/log" >&2; fail "case '$name': check $check did not fail"; }
    if [[ -n ${SELFTEST_VERBOSE:-} ]]; then echo "== $name"; grep -v ' OK ' "$TMP/log"; fi
    n=$((n + 1))
done
echo "selftest: good samples pass; $n broken copies fail in the expected check"
