# Sourced by demo/make-shop.sh and demo/make-billing.sh: what makes a demo
# repository deterministic, in one place. `repo_start BARE NAME EMAIL`
# isolates git from the user's configuration, fixes the author, and starts
# an empty bare repository BARE with a work tree in "$work/tree" (removed on
# exit); `g` runs git on them; `repo_finish` packs BARE into one pack with
# loose refs and a minimal config, and checks it.

repo_start() { # BARE AUTHOR-NAME AUTHOR-EMAIL
    bare=$1
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    # Isolate git from system/global configuration (autocrlf, signing, hooks, templates...).
    export GIT_CONFIG_NOSYSTEM=1
    export GIT_CONFIG_GLOBAL=/dev/null
    export HOME="$work/home"
    mkdir -p "$HOME"
    unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES 2>/dev/null || true
    export GIT_AUTHOR_NAME="$2" GIT_AUTHOR_EMAIL="$3"
    export GIT_COMMITTER_NAME="$2" GIT_COMMITTER_EMAIL="$3"
    export TZ=UTC LC_ALL=C
    umask 022
    rm -rf "$bare"
    # --template= : no sample hooks, no description, no info/exclude.
    git -c init.defaultBranch=main init -q --bare --template= "$bare"
    mkdir -p "$work/tree"
}

g() {
    git -c commit.gpgsign=false -c tag.gpgsign=false -c core.hooksPath=/dev/null \
        -c core.autocrlf=false -c core.fileMode=true -c gc.auto=0 \
        --git-dir="$bare" --work-tree="$work/tree" "$@"
}

# One pack, no index/logs/hooks. Refs stay loose on purpose: git and libgit2 only
# accept a directory as a repository if it has a refs/ folder, and the outer git
# repository does not keep empty folders, so refs/heads/main etc. must be files.
repo_finish() {
    git --git-dir="$bare" -c pack.threads=1 -c pack.writeReverseIndex=false -c repack.writeBitmaps=false -c gc.auto=0 \
        repack -q -a -d -f -n --depth=50 --window=250
    git --git-dir="$bare" prune
    rm -rf "$bare/index" "$bare/logs" "$bare/hooks" "$bare/info" "$bare/description" \
        "$bare/FETCH_HEAD" "$bare/ORIG_HEAD" "$bare/COMMIT_EDITMSG" "$bare/packed-refs" \
        "$bare/objects/info"
    find "$bare/objects" -mindepth 1 -type d -empty -delete
    find "$bare/refs" -type d -empty -delete
    # A bare repo with a stable, minimal config.
    printf '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n' >"$bare/config"
    git --git-dir="$bare" fsck --strict --no-progress >/dev/null
}
