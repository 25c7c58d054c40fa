#!/usr/bin/env bash
# Builds demo/shop.git: a small, deterministic, bare git mono-repo "shop" whose
# commits version the five services of the example workspace (snapset.kdl at the
# project root). Running it twice gives the same commit hashes (fixed dates, fixed
# author, no signing, git configuration isolated from the user's), so snapshots
# and tests can pin real commits. It also writes demo/README.md.
#
# Usage: demo/make-shop.sh        (from anywhere; needs only git and bash)
set -euo pipefail

demo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=demo/bare-repo.sh
. "$demo_dir/bare-repo.sh"
repo_start "$demo_dir/shop.git" "Shop Dev" "dev@shop.example"

# Every commit gets its own fixed date (UTC).
commit_at() { # DATE SUBJECT
    g add -A
    GIT_AUTHOR_DATE="$1 +0000" GIT_COMMITTER_DATE="$1 +0000" \
        g commit -q --no-verify --allow-empty-message -m "$2"
}

# Change one service: create it on first use, else record the change in main.go.
svc() { # NAME SUBJECT
    local dir="$work/tree/services/$1" port=8080
    [ "$1" = tower ] && port=9090
    if [ ! -d "$dir" ] && [ "$1" = mailer ]; then
        # A worker: it listens on no port, it runs on a schedule.
        mkdir -p "$dir"
        printf 'FROM gcr.io/distroless/static\nCOPY %s /%s\nENTRYPOINT ["/%s"]\n' \
            "$1" "$1" "$1" >"$dir/Dockerfile"
        printf 'package main\n\n// %s runs once and exits.\nfunc main() { run() }\n\n// changes:\n' \
            "$1" >"$dir/main.go"
    elif [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        printf 'FROM gcr.io/distroless/static\nCOPY %s /%s\nEXPOSE %s\nENTRYPOINT ["/%s"]\n' \
            "$1" "$1" "$port" "$1" >"$dir/Dockerfile"
        printf 'package main\n\n// %s listens on :%s.\nfunc main() { serve(":%s") }\n\n// changes:\n' \
            "$1" "$port" "$port" >"$dir/main.go"
    fi
    printf '// - %s\n' "$2" >>"$dir/main.go"
}
readme() { printf -- '- %s\n' "$1" >>"$work/tree/README.md"; }
lib()    { mkdir -p "$work/tree/lib"; printf '// %s\n' "$1" >>"$work/tree/lib/$2"; }

# ---------------------------------------------------------------- history
printf '# shop\n\nThe shop mono-repo: services/<name>/ holds one micro-service.\n\n' >"$work/tree/README.md"
lib "shared helpers" log.go
commit_at "2026-11-16T09:00:00" "shop: initial layout of the mono-repo"

s="catalog: first product listing endpoint";        svc catalog "$s"; commit_at "2026-11-16T10:00:00" "$s"
s="cart: add cart service skeleton";                svc cart "$s";    commit_at "2026-11-16T11:00:00" "$s"
s="taxe: flat VAT rates per country";               svc taxe "$s";    commit_at "2026-11-16T12:00:00" "$s"
s="tower: route /cart and /catalog to the backends"; svc tower "$s";  commit_at "2026-11-16T13:00:00" "$s"
s="front: static shop front with product grid";     svc front "$s";   commit_at "2026-11-16T14:00:00" "$s"
g tag v1   # lightweight tag: the first version where every service exists

s="cart, catalog: share product ids as strings"; svc cart "$s"; svc catalog "$s"; commit_at "2026-11-17T09:00:00" "$s"
s="taxe: add /v2/rates endpoint";                  svc taxe "$s";    commit_at "2026-11-17T10:00:00" "$s"
s="lib: structured logging helper";                lib "$s" log.go;  commit_at "2026-11-17T11:00:00" "$s"
s="front: show cart badge";                        svc front "$s";   commit_at "2026-11-17T12:00:00" "$s"
s="tower: health checks on /healthz";              svc tower "$s";   commit_at "2026-11-18T09:00:00" "$s"
s="catalog: paginate product listing";             svc catalog "$s"; commit_at "2026-11-18T10:00:00" "$s"
s="cart: persist carts in postgres";               svc cart "$s";    commit_at "2026-11-18T11:00:00" "$s"
s="taxe: reduced rates for books";                 svc taxe "$s";    commit_at "2026-11-19T09:00:00" "$s"
s="docs: explain how to run the shop locally";     readme "$s";      commit_at "2026-11-19T10:00:00" "$s"
s="front: checkout page";                          svc front "$s";   commit_at "2026-11-19T11:00:00" "$s"
s="tower: retry idempotent requests once";         svc tower "$s";   commit_at "2026-11-20T09:00:00" "$s"

# Side branch "experiment": two tower commits that never merge into main.
g branch experiment
g symbolic-ref HEAD refs/heads/experiment
s="tower: experiment with consistent hashing";     svc tower "$s"; lib "$s" hashring.go; commit_at "2026-11-21T15:00:00" "$s"
s="tower: sticky sessions by cookie (experiment)"; svc tower "$s"; commit_at "2026-11-22T10:00:00" "$s"
g symbolic-ref HEAD refs/heads/main
g reset -q --hard

s="catalog: cache listings for 30s";               svc catalog "$s"; commit_at "2026-11-20T10:00:00" "$s"
s="taxe: /v2/rates returns rates per category";    svc taxe "$s";    commit_at "2026-11-23T09:00:00" "$s"
s="cart: compute taxes through taxe";              svc cart "$s";    commit_at "2026-11-23T10:00:00" "$s"
s="tower: canary of new routing";                  svc tower "$s";   commit_at "2026-11-23T11:00:00" "$s"
s="front: display taxes in the cart";              svc front "$s";   commit_at "2026-11-24T09:00:00" "$s"
s="taxe, cart: round taxes half-even"; svc taxe "$s"; svc cart "$s"; commit_at "2026-11-24T10:00:00" "$s"
s="lib: bump shared http client timeouts";         lib "$s" http.go; commit_at "2026-11-24T11:00:00" "$s"
s="tower: beta routing for the x-beta header";     svc tower "$s";   commit_at "2026-11-25T09:00:00" "$s"
s="catalog: expose stock levels";                  svc catalog "$s"; commit_at "2026-11-25T10:00:00" "$s"
s="cart: fix rounding of discounted items";        svc cart "$s";    commit_at "2026-11-26T09:00:00" "$s"
# Newer than the 2026-11-26 snapshot: something for `snapset bump` to find.
s="front: dark mode";                              svc front "$s";   commit_at "2026-11-26T14:00:00" "$s"
s="taxe: log rate lookups";                        svc taxe "$s";    commit_at "2026-11-26T15:00:00" "$s"
# Added last so that every hash above stays what snapshots and docs pin: a
# worker with no port, rendered by the example's `worker` template set.
s="mailer: send order confirmations nightly";      svc mailer "$s";  commit_at "2026-11-26T16:00:00" "$s"

# ---------------------------------------------------------------- make it small
repo_finish

# ---------------------------------------------------------------- table + README
table() {
    printf '| commit | date (UTC) | branch | subject | services touched |\n'
    printf '| --- | --- | --- | --- | --- |\n'
    local c date subj branch svcs
    while IFS=$'\t' read -r c date subj; do
        if git --git-dir="$bare" merge-base --is-ancestor "$c" main; then branch=main; else branch=experiment; fi
        svcs="$(git --git-dir="$bare" diff-tree --root --no-commit-id --name-only -r "$c" \
            | sed -n 's#^services/\([^/]*\)/.*#\1#p' | sort -u | paste -sd, - | sed 's/,/, /g')"
        printf '| `%s` | %s | %s | %s | %s |\n' "$c" "$date" "$branch" "$subj" "${svcs:-(none)}"
    done < <(git --git-dir="$bare" log --all --reverse --date-order \
        --date=format-local:'%Y-%m-%d %H:%M' --format=$'%H\t%ad\t%s')
}
tbl="$(table)"
{
    cat <<'EOF'
# demo/shop.git: the demo mono-repo

`shop.git` is a small bare git repository: the mono-repo "shop", six services under
`services/<name>/` (cart, taxe, tower, front, catalog, and the worker mailer), plus
`README.md` and `lib/` that belong to no service. The example workspace at the project root (`snapset.kdl`,
`repo "demo/shop.git"`) pins its commits.

It is generated, not edited: `demo/make-shop.sh` rebuilds it from scratch with fixed
dates, a fixed author (Shop Dev <dev@shop.example>) and an isolated git configuration,
so the commit hashes below are stable: rerunning the script gives the same hashes.
Branches: `main`, `experiment` (two tower commits off main that never merged); tag
`v1` on the first commit where every service exists.

Browse it with `git --git-dir demo/shop.git log --oneline --graph --all`.

`billing.git`, beside it, is a second repository ("billing", built by
`demo/make-billing.sh` the same way): one service, invoice, at its root. The example
workspace declares it with `repo "billing" path="demo/billing.git"` and
`service "invoice" repo="billing" path="."`.

`live/shop-dev.json` is what `kubectl get deploy,sts,ds,cronjob -n shop-dev -o json` could print
for the `dev` environment, with one track in each state of `snapset status` (see
docs/status.md): `snapset status --env dev --live demo/live/shop-dev.json`.

EOF
    printf '%s\n\n' "$tbl"
    printf 'Refs: %s\n' "$(git --git-dir="$bare" for-each-ref --format='%(refname:short)=%(objectname:short=10)' | paste -sd' ' -)"
} >"$demo_dir/README.md"

printf '%s\n' "$tbl"
printf '\nwrote %s and %s\n' "$bare" "$demo_dir/README.md"
