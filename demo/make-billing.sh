#!/usr/bin/env bash
# Builds demo/billing.git: a second small, deterministic, bare git repository,
# "billing", that is one service (invoice) at its root. The example workspace
# declares it with `repo "billing" path="demo/billing.git"` to show services
# spread over several repositories. Like demo/make-shop.sh (both through demo/bare-repo.sh): fixed
# dates, fixed author, no signing, git configuration isolated from the user's,
# so running it twice gives the same commit hashes.
#
# Usage: demo/make-billing.sh     (from anywhere; needs only git and bash)
set -euo pipefail

demo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=demo/bare-repo.sh
. "$demo_dir/bare-repo.sh"
repo_start "$demo_dir/billing.git" "Billing Dev" "dev@billing.example"

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

repo_finish

git --git-dir="$bare" log --reverse --format='%H %ad %s' --date=format-local:'%Y-%m-%d %H:%M'
