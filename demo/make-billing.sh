#!/usr/bin/env bash
# Builds demo/billing.git: a second small, deterministic, bare git repository,
# "billing", that is one service (invoice) at its root. The example workspace
# declares it with `repo "billing" path="demo/billing.git"` to show services
# spread over several repositories. Like demo/make-shop.sh: fixed dates, fixed
# author, no signing, git configuration isolated from the user's, so running it
# twice gives the same commit hashes.
#
# Usage: demo/make-billing.sh     (from anywhere; needs only git and bash)
set -euo pipefail

demo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bare="$demo_dir/billing.git"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL=/dev/null
export HOME="$work/home"
mkdir -p "$HOME"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES 2>/dev/null || true
export GIT_AUTHOR_NAME="Billing Dev" GIT_AUTHOR_EMAIL="dev@billing.example"
export GIT_COMMITTER_NAME="Billing Dev" GIT_COMMITTER_EMAIL="dev@billing.example"
export TZ=UTC LC_ALL=C
umask 022

rm -rf "$bare"
git -c init.defaultBranch=main init -q --bare --template= "$bare"

g() {
    git -c commit.gpgsign=false -c tag.gpgsign=false -c core.hooksPath=/dev/null \
        -c core.autocrlf=false -c core.fileMode=true -c gc.auto=0 \
        --git-dir="$bare" --work-tree="$work/tree" "$@"
}
mkdir -p "$work/tree"

commit_at() { # DATE SUBJECT
    printf -- '- %s\n' "$2" >>"$work/tree/CHANGES.md"
    g add -A
    GIT_AUTHOR_DATE="$1 +0000" GIT_COMMITTER_DATE="$1 +0000" \
        g commit -q --no-verify -m "$2"
}

printf 'FROM gcr.io/distroless/static\nCOPY invoice /invoice\nEXPOSE 8080\nENTRYPOINT ["/invoice"]\n' \
    >"$work/tree/Dockerfile"
printf 'package main\n\n// invoice listens on :8080.\nfunc main() { serve(":8080") }\n' >"$work/tree/main.go"
printf '# billing\n\n' >"$work/tree/CHANGES.md"
commit_at "2026-11-18T09:00:00" "invoice: first invoice endpoint"
commit_at "2026-11-19T09:00:00" "invoice: number invoices per country"
commit_at "2026-11-24T09:00:00" "invoice: PDF rendering of invoices"
commit_at "2026-11-25T09:00:00" "invoice: retry the tax lookup once"

# One pack, loose refs, no index/logs/hooks: see demo/make-shop.sh.
git --git-dir="$bare" -c pack.threads=1 -c pack.writeReverseIndex=false -c repack.writeBitmaps=false -c gc.auto=0 \
    repack -q -a -d -f -n --depth=50 --window=250
git --git-dir="$bare" prune
rm -rf "$bare/index" "$bare/logs" "$bare/hooks" "$bare/info" "$bare/description" \
    "$bare/FETCH_HEAD" "$bare/ORIG_HEAD" "$bare/COMMIT_EDITMSG" "$bare/packed-refs" \
    "$bare/objects/info"
find "$bare/objects" -mindepth 1 -type d -empty -delete
find "$bare/refs" -type d -empty -delete
printf '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n' >"$bare/config"
git --git-dir="$bare" fsck --strict --no-progress >/dev/null

git --git-dir="$bare" log --reverse --format='%H %ad %s' --date=format-local:'%Y-%m-%d %H:%M'
