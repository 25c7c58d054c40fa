#!/usr/bin/env bash
# Issue 24: what the security sweep's hostile templates cost before they stop.
# Each is added to a copy of the example workspace (three environments, so the
# template renders three times, on both cores) as templates/environment/boom.yaml.j2,
# and `snapset check` runs under /usr/bin/time. Prints a markdown table: exit
# code, wall time, peak RSS, and the limit that stopped it. Every row must end
# in exit 2 within 10 s and 1 GB (issue 24's "done when").
#
#   bench/hostile-templates.sh                 # builds and uses target/release/snapset
#   bench/hostile-templates.sh path/to/snapset # any binary
#   bench/hostile-templates.sh path/to/snapset --limit template-fuel=2M   # other limits
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ $# -gt 0 ]]; then
    bin=$1
    shift
else
    cargo build --release --quiet
    bin=${CARGO_TARGET_DIR:-target}/release/snapset
fi
extra=("$@")   # after the binary: options of `check`, such as --limit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r snapset.kdl snapshots varsets templates crds "$work"/
ln -s "$PWD/demo" "$work/demo"   # the repositories: `repo path=` may be anywhere

header='apiVersion: v1
kind: ConfigMap
metadata:
  name: boom
'
failed=0
echo "| template | exit | wall | peak RSS | stopped by |"
echo "| --- | --- | --- | --- | --- |"
row() {
    local name=$1 body=$2 code secs kb limit
    printf '%s%s' "$header" "$body" > "$work/templates/environment/boom.yaml.j2"
    if /usr/bin/time -f '%e %M' -o "$work/time" "$bin" -C "$work" check ${extra[@]+"${extra[@]}"} >/dev/null 2>"$work/err"; then
        code=0
    else
        code=$?
    fi
    read -r secs kb < <(tail -n 1 "$work/time")
    limit=$(grep -o 'limit [a-z-]*)' "$work/err" | head -1 | tr -d ')' || true)
    printf '| %s | %s | %s s | %s MB | %s |\n' "$name" "$code" "$secs" "$((kb / 1024))" "${limit:-—}"
    if [[ $code != 2 ]] || awk -v s="$secs" 'BEGIN { exit !(s > 10) }' || ((kb > 1048576)); then
        failed=1
    fi
}
row "a string doubled 40 times (24 GB unbounded)" \
    '{% set ns = namespace(s="0123456789abcdef0123456789") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}data:
  a: {{ ns.s }}
'
row "nested range(100000) loops (hours unbounded)" \
    '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}data: {}
'
row "100k × 1k loop writing lines (6.4 GB unbounded)" \
    'data:
  a: |
{% for i in range(100000) %}{% for j in range(1000) %}    {{ i }}-{{ j }}
{% endfor %}{% endfor %}'
row "100k lines of 10 kB" \
    '{% set line = "x" * 10000 %}data:
  a: |
{% for i in range(100000) %}    {{ line }}
{% endfor %}'
row "\"x\" * 90,000,000 twice" \
    'data:
  a: {{ "x" * 90000000 }}{{ "y" * 90000000 }}
'
row "a list of range(100000) joined 100 times" \
    '{% set ns = namespace(l=[]) %}{% for i in range(100) %}{% set ns.l = ns.l + range(100000) | list %}{% endfor %}data:
  a: {{ ns.l | join(",") }}
'
exit $failed
