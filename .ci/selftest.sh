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

# The good samples pass (and this run installs the tools, if needed). No CRDDIR given:
# conformance.sh finds selftest/crds beside selftest/out by itself.
bash "$HERE/conformance.sh" "$GOOD" >"$TMP/log" 2>&1 || { cat "$TMP/log" >&2; fail "the good samples do not pass"; }
grep -q '^5 passed, 0 failed$' "$TMP/log" || { cat "$TMP/log" >&2; fail "the good samples: unexpected summary"; }
grep -q '^crds: 2 custom resources OK' "$TMP/log" || { cat "$TMP/log" >&2; fail "the good samples: the crds check did not find the CRDs"; }

# case: name | check that must fail | file (relative to out/dev) | sed script applied to it
CASES=(
  'unknown field in Deployment spec|kubernetes-validate|tower/deployment-stable.yaml|s/^  replicas: 2$/  replicas: 2\n  replica: 2/'
  'wrong type: replicas "two"|kubernetes-validate|cart/deployment.yaml|s/^  replicas: 2$/  replicas: "two"/'
  'unknown field in HPA spec|kubernetes-validate|cart/hpa.yaml|s/^  minReplicas: 2$/  minReplicas: 2\n  minReplica: 2/'
  'ConfigMap data value as a number|kubernetes-validate|cart/configmap.yaml|s/RETRIES: "3"/RETRIES: 3/'
  'unknown kind in a built-in group (v1 Namespce)|kubernetes-validate|namespace.yaml|s/^kind: "Namespace"$/kind: "Namespce"/'
  'unknown group (no CRD defines it)|kubernetes-validate|cart/pdb.yaml|s#^apiVersion: "policy/v1"$#apiVersion: "policy.example.com/v1"#'
  'Service kind in deployment.yaml|istio|cart/deployment.yaml|s/^kind: "Deployment"$/kind: "Service"/'
  'ConfigMap in deployment.yaml|istio|cart/deployment.yaml|s#^apiVersion: "apps/v1"$#apiVersion: "v1"#; s/^kind: "Deployment"$/kind: "ConfigMap"/'
  'wrong type: VirtualService weight "ten"|istio|tower/virtualservice.yaml|s/weight: 90/weight: "ten"/'
  'unknown field in VirtualService route|istio|tower/virtualservice.yaml|s/weight: 10/weigth: 10/'
  'unknown field in DestinationRule subset|istio|tower/destinationrule.yaml|0,/^    - name: "stable"$/s//    - name: "stable"\n      weight: 100/'
  'networking.istio.io/v1beta1 DestinationRule|istio|tower/destinationrule.yaml|s#networking.istio.io/v1"#networking.istio.io/v1beta1"#'
  'unknown field in Gateway server tls|istio|tower/ingress.yaml|s/^        mode: "SIMPLE"$/        mode: "SIMPLE"\n        mod: "SIMPLE"/'
  'networking.istio.io/v1beta1 Gateway in ingress.yaml|istio|tower/ingress.yaml|s#networking.istio.io/v1"#networking.istio.io/v1beta1"#'
  'Istio kind without a model (Gatway)|istio|tower/ingress.yaml|s/^kind: "Gateway"$/kind: "Gatway"/'
  'custom resource below its minimum|crds|cart/slo.yaml|s/objective: 99.5/objective: 12.5/'
  'custom resource value not in its enum|crds|cart/slo.yaml|s/window: "28d"/window: "29d"/'
  'custom resource field its CRD does not declare|crds|cart/slo.yaml|s/^  window: "28d"$/  window: "28d"\n  windows: "28d"/'
  'custom resource of a version not served|crds|tower/ratelimit.yaml|s#ops.shop.example.com/v1"#ops.shop.example.com/v1alpha1"#'
  'int-or-string field below its minimum|crds|tower/ratelimit.yaml|s#limit: "100/s"#limit: 0#'
  'bare on in an env value|yaml-1.1|cart/deployment.yaml|s/value: "on"/value: on/'
  'bare no in a label|yaml-1.1|tower/service.yaml|0,/app: "tower"/s//app: no/'
  'bare date in an annotation|yaml-1.1|cart/deployment.yaml|s/snapset.dev\/snapshot: "2026-11-26"/snapset.dev\/snapshot: 2026-11-26/'
  'bare y header match|yaml-1.1|tower/virtualservice.yaml|s/exact: "1"/exact: y/'
  'bare yes in ConfigMap data|yaml-1.1|cart/configmap.yaml|s/LOG_LEVEL: "on"/LOG_LEVEL: yes/'
  'bare 1e5 in a label (a string in YAML 1.1, a float in 1.2)|yaml-1.1|cart/serviceaccount.yaml|0,/app: "cart"/s//app: 1e5/'
  'plain key n in ConfigMap data|yaml-1.1|cart/configmap.yaml|s/RETRIES: "3"/n: "3"/'
  'file missing from kustomization.yaml|kustomize|kustomization.yaml|/tower\/service.yaml/d'
  'namespace.yaml missing from kustomization.yaml|kustomize|kustomization.yaml|/"namespace.yaml"/d'
  'kustomization.yaml lists a missing file|kustomize|kustomization.yaml|s/^  - "cart\/service.yaml"$/  - "cart\/service.yaml"\n  - "cart\/gone.yaml"/'
)
n=0
for c in "${CASES[@]}"; do
    IFS='|' read -r name check file script <<<"$c"
    rm -rf "$TMP/st" && mkdir "$TMP/st" && cp -r "$GOOD" "$HERE/selftest/crds" "$TMP/st/"
    sed -i "$script" "$TMP/st/out/dev/$file"
    cmp -s "$GOOD/dev/$file" "$TMP/st/out/dev/$file" && fail "case '$name': the sed script changed nothing"
    if bash "$HERE/conformance.sh" "$TMP/st/out" "$TMP/st/crds" >"$TMP/log" 2>&1; then
        cat "$TMP/log" >&2; fail "case '$name': conformance passed"
    fi
    grep -q "^conformance: FAILED: $check\$" "$TMP/log" || { cat "$TMP/log" >&2; fail "case '$name': check $check did not fail"; }
    if [[ -n ${SELFTEST_VERBOSE:-} ]]; then echo "== $name"; grep -v ' OK ' "$TMP/log"; fi
    n=$((n + 1))
done
echo "selftest: good samples pass; $n broken copies fail in the expected check"
