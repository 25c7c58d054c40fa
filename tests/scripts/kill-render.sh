#!/usr/bin/env bash
# Kills `snapset render` at random moments and checks what it leaves (issue 12).
#
# A generated workspace (bench/gen.py: S services x E environments) is rendered at
# its release and at the release with every commit moved, which gives the two
# states of each environment. Then, KILLS times, the snapshot is switched to the
# other state, a render is started and SIGKILLed after a random delay within one
# render's duration, and the script checks that every environment of out/ is
# whole (old or new, never a mix), and that the next render converges to the new
# state and leaves nothing behind in out/. The delays come from bash's RANDOM
# seeded with SEED, so a run is reproducible (up to the machine's timing).
#
# Usage: tests/scripts/kill-render.sh [--kills N] [--services S] [--envs E]
#                                     [--seed N] [--snapset BIN]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

kills=100 services=100 envs=3 seed=12 bin="${CARGO_TARGET_DIR:-$root/target}/debug/snapset"
while (($#)); do
    case $1 in
        --kills) kills=$2; shift ;;
        --services) services=$2; shift ;;
        --envs) envs=$2; shift ;;
        --seed) seed=$2; shift ;;
        --snapset) bin=$2; shift ;;
        *) sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
    esac
    shift
done
[[ -x $bin ]] || { echo "kill-render: no snapset binary at $bin (cargo build)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ws="$work/ws"
python3 "$root/bench/gen.py" workspace "$ws" --services "$services" --envs "$envs" >/dev/null
mapfile -t names < <(sed -n 's/^environment "\([^"]*\)".*/\1/p' "$ws/snapset.kdl")

snap() { cp "$ws/.bench/$1.kdl" "$ws/snapshots/release.kdl"; }
render() { "$bin" -C "$ws" render >/dev/null 2>"$work/stderr"; }
digest() {
    (cd "$ws/out/$1" 2>/dev/null && find . -type f -print0 | sort -z | xargs -0 sha256sum) |
        sha256sum | cut -c1-16
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
leftovers() { find "$ws/out" -mindepth 1 -maxdepth 1 -name '.*' | wc -l; }

declare -A state
snap release
render
for env in "${names[@]}"; do state[release.$env]=$(digest "$env"); done
snap release-moved
t0=$(now_ms)
render
span=$(($(now_ms) - t0))
for env in "${names[@]}"; do state[release-moved.$env]=$(digest "$env"); done
echo "kill-render: $services services x $envs environments, $(find "$ws/out" -type f | wc -l) files;" \
    "a full render takes ${span} ms; $kills kills, seed $seed"

RANDOM=$seed
current=release-moved
finished=0 mixed=0 left=0 old=0 new=0 failed=0
for ((i = 1; i <= kills; i++)); do
    from=$current
    if [[ $current == release ]]; then current=release-moved; else current=release; fi
    snap "$current"
    delay=$((RANDOM % (span + span / 5 + 1)))
    "$bin" -C "$ws" render >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    rc=0
    { wait "$pid"; } 2>/dev/null || rc=$?
    ((rc == 0)) && finished=$((finished + 1))
    for env in "${names[@]}"; do
        d=$(digest "$env")
        if [[ $d == "${state[$current.$env]}" ]]; then
            new=$((new + 1))
        elif [[ $d == "${state[$from.$env]}" ]]; then
            old=$((old + 1))
        else
            mixed=$((mixed + 1))
            echo "kill-render: kill $i (after ${delay} ms): out/$env is neither old nor new" >&2
        fi
    done
    (($(leftovers) > 0)) && left=$((left + 1))
    if ! render; then
        failed=$((failed + 1))
        echo "kill-render: kill $i: the next render failed: $(cat "$work/stderr")" >&2
        continue
    fi
    for env in "${names[@]}"; do
        if [[ $(digest "$env") != "${state[$current.$env]}" ]]; then
            failed=$((failed + 1))
            echo "kill-render: kill $i: the next render did not converge for out/$env" >&2
        fi
    done
    if (($(leftovers) > 0)); then
        failed=$((failed + 1))
        echo "kill-render: kill $i: the next render left $(ls -A "$ws/out" | grep '^\.' | tr '\n' ' ')" >&2
    fi
    if ! "$bin" -C "$ws" render --check >/dev/null 2>&1; then
        failed=$((failed + 1))
        echo "kill-render: kill $i: render --check is not clean after the render" >&2
    fi
done

echo "kill-render: $kills kills: $((kills - finished)) renders killed, $finished finished before the kill"
echo "kill-render: environments after a kill: $old old, $new new, $mixed mixed"
echo "kill-render: $left kills left a staging or swap folder in out/; next render: $failed failures"
((mixed == 0 && failed == 0))
