#!/usr/bin/env python3
"""Runs the snapset benchmark of issue 7 and prints its table (started by bench/run).

Why this exists: the issue sets targets (check <= 100 ms at 1,000 services x 3
environments, cold render close to the disk's own speed, no-op render and diff close to
check, peak memory <= 150 MB, linear growth, bump --all far ahead of one git log per
service, and far ahead of Helm and kustomize on the same release). This measures each
of them on generated inputs (bench/gen.py), checks along the way that the numbers mean
what they say (the no-op render wrote nothing, diff saw no change and then every change,
bump picked the right commits, the peers produced the same objects), and writes one
markdown table with the machine it ran on.

Timing: wall clock of each child (time.perf_counter around fork..wait4), peak memory
from the child's rusage (ru_maxrss, which covers the processes it waited for); the
median of N runs after one warm-up run. Commands that are not in the binary yet
(`snapset diff`, `snapset bump` exit 2 with "not built yet") show as n/a.

Standard library only (the comparison with the peers runs bench/compare.py under the
benchmark's venv python, which has PyYAML).
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen.py")


# ------------------------------------------------------------------ measuring


class Run:
    def __init__(self, wall, cpu, rss_kb, rc, stderr):
        self.wall, self.cpu, self.rss_kb, self.rc, self.stderr = wall, cpu, rss_kb, rc, stderr


def run_once(cmd, cwd=None, stdout=None, env=None):
    """Runs cmd (argv list) and returns its wall time, peak RSS and exit code."""
    with tempfile.TemporaryFile() as err:
        out = stdout if stdout is not None else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    return Run(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode, text)


class Measure:
    """One row of the table: the median of `runs` timed runs."""

    def __init__(self, name, status="ok", walls=(), rss_kb=0, files=None, note="", cpus=()):
        self.name, self.status, self.walls, self.rss_kb = name, status, list(walls), rss_kb
        self.cpus = list(cpus)
        self.files, self.note = files, note
        self.target, self.met = "", None

    @property
    def median(self):
        return statistics.median(self.walls) if self.walls else None

    @property
    def cpu(self):
        return statistics.median(self.cpus) if self.cpus else None


def measure(name, cmd, runs, cwd=None, setup=None, warmup=1, expect=(0,), files=None,
            stdout_path=None, env=None):
    return measure_interleaved([dict(name=name, cmd=cmd, cwd=cwd, setup=setup, expect=expect, files=files,
                                     stdout_path=stdout_path, env=env)], runs, warmup)[0]


def measure_interleaved(specs, runs, warmup=1):
    """Runs the commands of `specs` in turn (A B A B ...), so that a drift of the
    machine (load, the file system's state) weighs on all of them alike."""
    acc = [{"walls": [], "cpus": [], "rss": 0, "done": None} for _ in specs]
    for n in range(warmup + runs):
        for spec, a in zip(specs, acc):
            if a["done"]:
                continue
            if spec.get("setup"):
                spec["setup"]()
            if spec.get("stdout_path"):
                with open(spec["stdout_path"], "wb") as out:
                    r = run_once(spec["cmd"], cwd=spec.get("cwd"), stdout=out, env=spec.get("env"))
            else:
                r = run_once(spec["cmd"], cwd=spec.get("cwd"), env=spec.get("env"))
            expect = spec.get("expect", (0,))
            if r.rc not in expect:
                tail = " ".join(r.stderr.strip().splitlines()[-3:])[:300]
                if r.rc == 2 and NOT_BUILT.search(r.stderr):
                    a["done"] = Measure(spec["name"], status="n/a", note="not in the binary yet")
                else:
                    a["done"] = Measure(spec["name"], status="error",
                                        note=f"exit {r.rc} (expected {'/'.join(map(str, expect))}): {tail}")
                continue
            if n >= warmup:
                a["walls"].append(r.wall)
                a["cpus"].append(r.cpu)
                a["rss"] = max(a["rss"], r.rss_kb)
            log(f"  {spec['name']}: {fmt_time(r.wall)} (cpu {fmt_time(r.cpu)}) rc={r.rc} "
                f"rss={r.rss_kb / 1024:.0f} MB")
    return [a["done"] or Measure(spec["name"], walls=a["walls"], cpus=a["cpus"], rss_kb=a["rss"],
                                 files=spec.get("files"))
            for spec, a in zip(specs, acc)]


def cache_dirs(ws):
    """Every folder where snapset keeps the caches of workspace `ws`: `.snapset/` in the
    work tree (snapset before issue 32, and the lock), and since issue 32 the git
    directory of a repository around it (`.git/snapset/<name>-<hash>`) or the user's
    cache folder (`$XDG_CACHE_HOME/snapset/<name>-<hash>`), `<hash>` being the first 16
    hex digits of the SHA-256 of the workspace's real path."""
    real = os.path.realpath(ws)
    key = hashlib.sha256(real.encode()).hexdigest()[:16]
    found = [os.path.join(ws, ".snapset")]
    bases = [os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "snapset")]
    d = real
    while True:
        bases.append(os.path.join(d, ".git", "snapset"))
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    for base in bases:
        if os.path.isdir(base):
            found += [os.path.join(base, n) for n in sorted(os.listdir(base)) if n == key or n.endswith("-" + key)]
    return found


class Trash:
    """Moves trees aside instead of deleting them while measuring.

    Why: on these VMs, / is ext4 without a journal, mounted with `discard`. Deleting a
    file costs ~5 ms (the discard), and creating files right after thousands were
    deleted is slow, slower with every round: the inode allocator skips inodes deleted
    in the last 60 s (`recently_deleted` in the kernel's fs/ext4/ialloc.c). `rm -rf out;
    sync; cp -r` four times in a row took 1.7, 5, 9, 15 s here. A fresh CI clone has
    deleted nothing, so the disk-bound rows rename the previous tree into the trash (no
    inode freed) and the trash is emptied in the background when the run ends; a run
    that finds a previous trash deletes it first, before measuring anything."""

    def __init__(self, work):
        self.work = work
        old = [os.path.join(work, d) for d in os.listdir(work) if d.startswith("trash")]
        if old:
            log(f"deleting the trash of a previous run first ({', '.join(map(os.path.basename, old))})")
            for d in old:
                shutil.rmtree(d, ignore_errors=True)
        self.dir = os.path.join(work, "trash")
        os.makedirs(self.dir)
        self.n = 0

    def put(self, path):
        if os.path.lexists(path):
            self.n += 1
            os.rename(path, os.path.join(self.dir, str(self.n)))
        os.sync()

    def empty(self):
        gone = os.path.join(self.work, f"trash-{os.getpid()}")
        os.rename(self.dir, gone)
        p = subprocess.Popen(["rm", "-rf", gone], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        log(f"emptying the trash in the background (rm -rf {gone}, pid {p.pid})")


# How snapset says a command is declared but not implemented yet (miette may wrap the
# line and draw a box edge inside it).
NOT_BUILT = re.compile(r"not[\s│]+built[\s│]+yet")


# ---------------------------------------------------------------- formatting


START = time.perf_counter()


def log(msg):
    print(f"[{time.perf_counter() - START:6.1f}s] {msg}", file=sys.stderr, flush=True)


def fmt_time(s):
    if s is None:
        return "—"
    if s < 1:
        return f"{s * 1000:.0f} ms" if s >= 0.0995 else f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


def fmt_ratio(r):
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:,.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.3f}×" if r < 0.1 else f"{r:.2f}×"


def mark(met):
    return "" if met is None else ("✓" if met else "✗")


def tree_fingerprint(root):
    """(path, inode, mtime_ns, size) of every file and folder: equal before and after
    a command means it created, replaced, renamed and rewrote nothing."""
    fp = []
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            fp.append((os.path.relpath(p, root), st.st_ino, st.st_mtime_ns, st.st_size))
    st = os.lstat(root)
    fp.append((".", st.st_ino, st.st_mtime_ns, 0))
    return sorted(fp)


def count_files(root):
    n = size = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            n += 1
            size += os.lstat(os.path.join(dirpath, f)).st_size
    return n, size


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def capture(cmd, **kw):
    try:
        return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, **kw).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        return f"? ({e})"


def gen(*args):
    t0 = time.perf_counter()
    sh([sys.executable, GEN, *args])
    return time.perf_counter() - t0


# ------------------------------------------------------------------- the bench


def machine(args):
    def cpu():
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        return platform.processor() or "?"

    def mem():
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
        return "?"

    repo = os.path.dirname(HERE)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "host": socket.gethostname(),
        "cpu": f"{cpu()}, {os.cpu_count()} cores, {mem()}",
        "kernel": platform.release(),
        "snapset": capture(["git", "-C", repo, "describe", "--always", "--dirty", "--abbrev=10"]),
        "rustc": capture(["rustc", "--version"]),
        "git": capture(["git", "--version"]),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def run_bench(args):
    S, E, N = args.services, args.envs, args.runs
    snapset = os.path.abspath(args.snapset)
    work = os.path.abspath(args.workdir)
    os.makedirs(work, exist_ok=True)
    rows, ratios, checks, info = [], [], [], []
    info.append(f"snapset binary: `{snapset}`")
    if args.pipeline_only:
        # Issue 19's rows alone, with as many runs as asked (the shared machine
        # is noisy; they are cheap).
        def set_target(row, text, met):
            row.target, row.met = text, met
        rows += run_pipeline(args, snapset, work, checks, info, set_target)
        return rows, ratios, checks, info, []

    # ------------------------------------------------------------ the release
    ws = os.path.join(work, f"ws-{S}x{E}")
    trash = Trash(work)
    trash.put(os.path.join(ws, "out"))
    # a run stopped halfway may have left the policies' rows' folder in
    shutil.rmtree(os.path.join(ws, "policies"), ignore_errors=True)
    log(f"generating S={S} E={E} in {ws}")
    t = gen("workspace", ws, "--services", str(S), "--envs", str(E))
    info.append(f"generated S={S} × E={E} workspace and its {2 * S}-commit mono-repo in {fmt_time(t)}")
    out = os.path.join(ws, "out")
    snap = os.path.join(ws, "snapshots", "release.kdl")
    orig_snap = os.path.join(ws, ".bench", "release.kdl")
    moved_snap = os.path.join(ws, ".bench", "release-moved.kdl")

    probe = run_once([snapset, "-C", ws, "check"])
    if probe.rc != 0:
        log(probe.stderr)
        raise SystemExit(f"bench: `snapset check` fails on the generated workspace (exit {probe.rc})")
    if probe.stderr.strip():
        info.append(f"`snapset check` printed on stderr: {probe.stderr.strip().splitlines()[0][:200]}")

    def rm_out():
        # out/ goes to the trash; sync: no write-back of the previous run is pending
        trash.put(out)

    def rm_cache():
        # snapset keeps what it learnt of the pins' commits in a cache (cache_dirs)
        for cache in cache_dirs(ws):
            trash.put(cache)

    log("render (cold) once, to count the files")
    rm_out()
    rm_cache()
    r = run_once([snapset, "-C", ws, "render"])
    if r.rc != 0:
        raise SystemExit(f"bench: `snapset render` failed (exit {r.rc}): {r.stderr}")
    files, size = count_files(out)
    info.append(f"`out/`: {files:,} files, {size / 1e6:.1f} MB")
    os.sync()  # the render's write-back must not run during the rows below

    if args.policies_only:
        # Issue 29's rows alone.
        def set_target(row, text, met):
            row.target, row.met = text, met
        rows += run_policies(args, snapset, ws, checks, info, set_target)
        trash.empty()
        return rows, ratios, checks, info, []

    check = measure("snapset check", [snapset, "-C", ws, "check"], N, files=files)
    rows.append(check)
    # The first run on a workspace, or after new pins, reads two trees per new pin.
    check_first = measure("snapset check, first run (no cache)", [snapset, "-C", ws, "check"], N,
                          files=files, setup=rm_cache)
    rows.append(check_first)
    # Cold render and its floor, cp -r of the same tree on the same disk, in turn.
    # cp copies a reference tree beside the workspace, so render and cp never wait
    # on each other's files.
    ref = os.path.join(work, f"out-ref-{S}x{E}")
    copy = os.path.join(work, f"out-copy-{S}x{E}")
    trash.put(ref)
    trash.put(copy)
    shutil.copytree(out, ref)
    cold, cp = measure_interleaved([
        dict(name="snapset render (cold: no out/)", cmd=[snapset, "-C", ws, "render"], setup=rm_out, files=files),
        dict(name="cp -r out/ (the disk's floor)", cmd=["cp", "-r", ref, copy], setup=lambda: trash.put(copy),
             files=files),
    ], N)
    rows += [cold, cp]

    before = tree_fingerprint(out)
    noop = measure("snapset render (no-op)", [snapset, "-C", ws, "render"], N, files=files)
    after = tree_fingerprint(out)
    wrote_nothing = before == after
    rows.append(noop)
    if not wrote_nothing:
        changed = len(set(before) ^ set(after))
        checks.append(f"✗ no-op render changed {changed} entries of out/ (files rewritten, renamed or replaced)")
    else:
        checks.append(f"✓ no-op render left all {len(before):,} entries of out/ untouched (inode, mtime, size)")

    diff0 = measure("snapset diff (nothing changed)", [snapset, "-C", ws, "diff"], N, files=files, expect=(0,))
    rows.append(diff0)
    shutil.copyfile(moved_snap, snap)
    try:
        diff1 = measure("snapset diff (every commit moved)", [snapset, "-C", ws, "diff"], N, files=files,
                        expect=(1,))
    finally:
        shutil.copyfile(orig_snap, snap)
    rows.append(diff1)

    # -------------------------------------------------------------- targets
    def ratio(a, b):
        return a.median / b.median if a.median and b.median else None

    def target(row, text, met):
        row.target, row.met = text, met

    if check.median is not None:
        target(check, "≤ 100 ms", check.median <= 0.100)
    r = ratio(cold, cp)
    if r is not None:
        target(cold, f"≤ 1.5 × cp -r ({fmt_ratio(r)})", r <= 1.5)
    r = ratio(noop, check)
    if r is not None:
        target(noop, f"≤ 2 × check ({fmt_ratio(r)}), writes nothing ({mark(wrote_nothing)})",
               r <= 2 and wrote_nothing)
    r = ratio(diff0, check)
    if r is not None:
        target(diff0, f"≤ 2 × check ({fmt_ratio(r)})", r <= 2)
    snap_rows = [x for x in (check, check_first, cold, noop, diff0, diff1) if x.status == "ok"]
    peak = max((x.rss_kb for x in snap_rows), default=0) / 1024
    peak_row = Measure("peak memory of snapset (max of the rows above)", note=f"{peak:.1f} MB")
    peak_row.target, peak_row.met = "≤ 150 MB", peak <= 150
    rows.append(peak_row)
    # Issue 22: the peak of check, and of diff with every commit moved (the largest row).
    for row, limit in ((check, 80), (diff1, 120)):
        if row.status == "ok":
            rows.append(memory_row(row, limit))

    # ----------------------------------------------------------------- bump
    hist_per = 20
    hws = os.path.join(work, f"history-{S}x{hist_per}")
    log(f"generating the bump history: {S} services × {hist_per} commits")
    t = gen("history", hws, "--services", str(S), "--per-service", str(hist_per))
    with open(os.path.join(hws, ".bench", "expected-bump.json")) as f:
        expected = json.load(f)
    info.append(f"generated the bump history ({expected['commits']:,} commits, {S} services) in {fmt_time(t)}")
    bump = measure_bump(args, snapset, hws, expected, checks,
                        f"snapset bump release --all ({expected['commits']:,} commits)", "bump --all")
    gitloop = git_log_loop(args, hws, S, expected, checks, "git log -1 per service",
                           lambda i: "services.git")
    rows += [bump, gitloop]
    r = ratio(gitloop, bump)
    if r is not None:
        target(bump, f"≥ 20 × faster than the git log loop ({fmt_ratio(r)})", r >= 20)

    # ---------------------------------------------------------------- peers
    helm = None
    if args.peers:
        peer_rows, peer_ratios, helm = run_peers(args, ws, check, S, E, work, checks, info)
        rows += peer_rows
        ratios += peer_ratios

    # ------------------------------------------ several repositories (issue 15)
    if args.repos:
        rows += run_repos(args, snapset, work, ws, S, E, check, checks, info, target)

    # ------------------------------------------ the path to production (issue 19)
    if args.pipeline:
        rows += run_pipeline(args, snapset, work, checks, info, target)

    # ------------------------------------------------ admission policies (issue 29)
    if args.policies:
        rows += run_policies(args, snapset, ws, checks, info, target)

    # ------------------------------------------------ user templates (issue 11)
    sections = []
    if args.templates:
        t_rows, section = run_templates(args, snapset, work, trash, check, files, helm, checks, info)
        rows += t_rows
        sections.append(section)

    # ---------------------------------------------------------------- scale
    if args.scale:
        S2 = args.scale_services
        ws2 = os.path.join(work, f"ws-{S2}x{E}")
        trash.put(os.path.join(ws2, "out"))
        log(f"generating S={S2} E={E}")
        t = gen("workspace", ws2, "--services", str(S2), "--envs", str(E))
        info.append(f"generated S={S2:,} × E={E} in {fmt_time(t)}")
        out2 = os.path.join(ws2, "out")
        trash.put(out2)
        for cache in cache_dirs(ws2):
            trash.put(cache)
        r = run_once([snapset, "-C", ws2, "render"])
        files2 = count_files(out2)[0] if r.rc == 0 else None
        os.sync()
        # That first render warmed the caches; slow rows get one run, not five.
        runs2 = max(1, min(N, 3)) if r.wall < 10 else 1
        info.append(f"first (untimed) cold render at S={S2:,}, no cache: {fmt_time(r.wall)}, "
                    f"exit {r.rc}")
        check2 = measure(f"snapset check, S={S2:,}", [snapset, "-C", ws2, "check"], runs2, warmup=0,
                         files=files2)
        cold2 = measure(f"snapset render (cold), S={S2:,}", [snapset, "-C", ws2, "render"], runs2, warmup=0,
                        setup=lambda: trash.put(out2), files=files2)
        first2 = measure(f"snapset check, S={S2:,}, first run (no cache)", [snapset, "-C", ws2, "check"],
                         1, warmup=0, files=files2, setup=lambda: [trash.put(c) for c in cache_dirs(ws2)])
        rows += [check2, cold2, first2]
        for big, small in ((check2, check), (cold2, cold)):
            r = ratio(big, small)
            if r is not None:
                target(big, f"≤ 12 × S={S:,} ({fmt_ratio(r)})", r <= 12)
        peak2 = max(check2.rss_kb, cold2.rss_kb, first2.rss_kb) / 1024
        info.append(f"peak memory at S={S2:,}: {peak2:.0f} MB")
        if check2.status == "ok":
            rows.append(memory_row(check2, 400))  # issue 22
        trash.put(out2)

    trash.empty()

    return rows, ratios, checks, info, sections


def memory_row(row, limit_mb):
    """A derived row: the largest peak RSS of `row`'s runs against a target in MB."""
    mb = row.rss_kb / 1024
    out = Measure(f"peak memory: {row.name}", note=f"{mb:.1f} MB")
    out.target, out.met = f"≤ {limit_mb} MB", mb <= limit_mb
    return out


def run_peers(args, ws, check, S, E, work, checks, info):
    rows, ratios = [], []
    kubectl, helm, py = args.kubectl, args.helm, args.peer_python
    info.append(f"helm: {capture([helm, 'version', '--short'])}; kubectl: "
                f"{capture([kubectl, 'version', '--client']).splitlines()[0]}")
    model = os.path.join(ws, ".bench", "model.json")
    peers = os.path.join(work, "peers")
    os.makedirs(peers, exist_ok=True)

    # Helm: all E environments of the same release.
    chart = os.path.join(peers, f"chart-{S}x{E}")
    gen("helm", model, chart)
    helm_home = os.path.join(peers, "helm-home")
    env = dict(os.environ, HELM_CACHE_HOME=helm_home + "/cache", HELM_CONFIG_HOME=helm_home + "/config",
               HELM_DATA_HOME=helm_home + "/data")
    streams = os.path.join(peers, f"helm-out-{S}x{E}")
    os.makedirs(streams, exist_ok=True)
    script = os.path.join(chart, "..", f"helm-{S}x{E}.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nset -e\n# helm template for every environment of the release\n")
        for e in range(1, E + 1):
            f.write(f"'{helm}' template bench '{chart}' -f '{chart}/values-env-{e}.yaml' > '{streams}/env-{e}.yaml'\n")
    helm_row = measure(f"helm template, all {E} envs (S={S:,})", ["sh", script], args.runs, env=env,
                       files=None)
    rows.append(helm_row)
    helm = {"row": helm_row, "streams": streams}
    if helm_row.status == "ok":
        pairs = [f"env-{e}={streams}/env-{e}.yaml" for e in range(1, E + 1)]
        res = subprocess.run([py, os.path.join(HERE, "compare.py"), os.path.join(ws, "out"), *pairs],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in res.stdout.strip().splitlines():
            checks.append(("✓ helm " if res.returncode == 0 else "✗ helm ") + line)
        r = check.median / helm_row.median if check.median else None
        ratios.append(("snapset check ÷ helm template (same release)", r, "≤ 0.1", r is not None and r <= 0.1))

    # kustomize: one overlay, at small sizes (it is quadratic).
    k_rows = {}
    for ks in args.kustomize_sizes:
        kws = os.path.join(work, f"ws-{ks}x{E}")
        gen("workspace", kws, "--services", str(ks), "--envs", str(E))
        r = run_once([args.snapset, "-C", kws, "render"])
        if r.rc != 0:
            checks.append(f"✗ snapset render failed at S={ks}: {r.stderr[:200]}")
            continue
        ktree = os.path.join(peers, f"kustomize-{ks}")
        gen("kustomize", os.path.join(kws, ".bench", "model.json"), ktree, "--env", "env-1")
        kout = os.path.join(peers, f"kustomize-{ks}-env-1.yaml")
        runs = min(args.runs, 3) if ks <= 100 else 1
        row = measure(f"kubectl kustomize, 1 env (S={ks:,})", [kubectl, "kustomize", os.path.join(ktree, "overlays", "env-1")],
                      runs, warmup=0, stdout_path=kout)
        rows.append(row)
        if row.status == "ok":
            k_rows[ks] = row
            res = subprocess.run([py, os.path.join(HERE, "compare.py"), os.path.join(kws, "out"), f"env-1={kout}"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for line in res.stdout.strip().splitlines():
                checks.append(("✓ kustomize " if res.returncode == 0 else "✗ kustomize ") + f"S={ks}: " + line)
    if 100 in k_rows and check.median:
        r = check.median / k_rows[100].median
        ratios.append((f"snapset check (S={S:,}, {E} envs) ÷ kustomize (S=100, 1 env)", r, "≈ 0.03 or less",
                       r <= 0.035))
    sizes = sorted(k_rows)
    if S in k_rows:
        k1000, how = k_rows[S].median, "measured"
    elif len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        k = math.log(k_rows[b].median / k_rows[a].median) / math.log(b / a)
        k1000, how = k_rows[b].median * (S / b) ** k, f"extrapolated from S={a},{b} (t ∝ S^{k:.2f})"
    elif sizes:
        b = sizes[-1]
        k1000, how = k_rows[b].median * (S / b) ** 2, f"extrapolated from S={b} assuming t ∝ S²"
    else:
        k1000 = None
    if k1000 and check.median:
        if S not in k_rows:
            est = Measure(f"kubectl kustomize, 1 env (S={S:,}) — {how}", walls=[k1000])
            rows.append(est)
        # one kustomize environment of S services vs. snapset's E environments of S services
        r = k1000 / check.median
        ratios.append((f"kustomize, 1 env of S={S:,} ({how.split(' (')[0]}) ÷ snapset check, {E} envs", r,
                       "≥ 1,000 (thousands)", r >= 1000))
    return rows, ratios, helm


def count_documents(out):
    """The objects snapset wrote: the .yaml files of out/ but kustomization.yaml."""
    docs = {}
    for dirpath, _, names in os.walk(out):
        for n in names:
            if n.endswith(".yaml") and n != "kustomization.yaml":
                env = os.path.relpath(dirpath, out).split(os.sep)[0]
                docs.setdefault(env, []).append(os.path.relpath(os.path.join(dirpath, n), os.path.join(out, env)))
    return {e: sorted(v) for e, v in docs.items()}


def count_kinds(path):
    """The documents of a YAML stream (helm template's output): one top-level `kind:` each."""
    with open(path) as f:
        return sum(1 for line in f if line.startswith("kind:"))


def fmt_us(s):
    return "—" if s is None else f"{s * 1e6:,.1f} µs"


def run_templates(args, snapset, work, trash, check, builtin_files, helm, checks, info):
    """Issue 11: check of a release where every service uses user templates, per
    document, against helm template per document (same run); and what validating one
    custom resource per service against a large CRD adds, scaled to 1,000 objects."""
    S, E, N = args.services, args.envs, args.runs
    rows = []
    ws_t = os.path.join(work, f"ws-tpl-{S}x{E}")
    ws_c = os.path.join(work, f"ws-tplcrd-{S}x{E}")
    gen_args = ["--services", str(S), "--envs", str(E)]
    log(f"generating the user-template workspaces (S={S} E={E})")
    for w in (ws_t, ws_c):
        trash.put(os.path.join(w, "out"))
    t = gen("workspace", ws_t, *gen_args, "--user-templates")
    gen("workspace", ws_c, *gen_args, "--user-templates", "--crd-objects", *(
        ["--istio-crds", args.istio_crds] if args.istio_crds else []))
    info.append(f"generated the user-template workspaces (`gen.py workspace --user-templates`, and with "
                f"`--crd-objects`) in {fmt_time(t)} each")
    with open(os.path.join(ws_c, ".bench", "model.json")) as f:
        crd = json.load(f)["crd"]
    info.append(f"CRD: `{crd['name']}` from `{crd['source']}`: {crd['lines']:,} lines, {crd['bytes']:,} bytes, "
                f"versions {', '.join(crd['versions'])}")

    docs = {}
    for label, w in (("user templates", ws_t), ("user templates + CRD objects", ws_c)):
        out = os.path.join(w, "out")
        trash.put(out)
        for cache in cache_dirs(w):
            trash.put(cache)
        r = run_once([snapset, "-C", w, "render"])
        if r.rc != 0:
            tail = " ".join(r.stderr.strip().splitlines()[-6:])[:600]
            checks.append(f"✗ `snapset render` failed on the {label} workspace (exit {r.rc}): {tail}")
            return rows, ("", [])
        with open(os.path.join(w, ".bench", "expected-files.json")) as f:
            expected = json.load(f)
        got = count_documents(out)
        want = expected["per_env"]
        bad = [e for e in (f"env-{e}" for e in range(1, E + 1)) if got.get(e) != want]
        n_docs = sum(len(v) for v in got.values())
        docs[w] = n_docs
        hpa = sum(1 for v in got.values() for x in v if "/hpa" in x)
        edge = sum(1 for v in got.values() for x in v if x.endswith("/edge.yaml"))
        if bad:
            e = bad[0]
            missing = sorted(set(want) - set(got.get(e, [])))[:5]
            extra = sorted(set(got.get(e, [])) - set(want))[:5]
            checks.append(f"✗ {label}: out/ of {', '.join(bad)} is not the expected file set "
                          f"(e.g. missing {missing}, unexpected {extra})")
        else:
            what = f"{hpa:,} HPA files ({expected['hpa']:,} per env; every 4th service renders none)"
            if expected["crd_objects"]:
                what += f", all {edge:,} custom resources (`edge.yaml`, one per service and env)"
            checks.append(f"✓ {label}: out/ holds exactly the expected {n_docs:,} documents in {E} envs: {what}")
        os.sync()
    n_edge = docs[ws_c] - docs[ws_t]

    # Interleaved (A B A B ...): the difference of the two is what the CRD objects add.
    # At least 10 runs each: a difference of medians is noisier than a median.
    c_t, c_c = measure_interleaved([
        dict(name=f"snapset check, user templates (S={S:,}, {docs[ws_t]:,} documents)",
             cmd=[snapset, "-C", ws_t, "check"], files=docs[ws_t]),
        dict(name=f"snapset check, user templates + {n_edge:,} VirtualServices checked against the CRD",
             cmd=[snapset, "-C", ws_c, "check"], files=docs[ws_c]),
    ], max(N, 10))
    rows += [c_t, c_c]

    # Control: the custom resources are really validated. A field the CRD does not
    # declare must stop the check, naming it.
    edge = os.path.join(ws_c, "templates", "service", "edge.yaml.j2")
    with open(edge) as f:
        good = f.read()
    try:
        with open(edge, "w") as f:
            f.write(good.replace("        attempts: 3\n", "        attempts: 3\n        attemptz: 3\n", 1))
        r = run_once([snapset, "-C", ws_c, "check"])
    finally:
        with open(edge, "w") as f:
            f.write(good)
    ok = r.rc == 2 and "attemptz" in r.stderr
    first = " ".join(r.stderr.split())[:160]
    checks.append(f"{'✓' if ok else '✗'} control: an edge VirtualService with an undeclared field "
                  f"`spec.http[0].retries.attemptz` fails `check` (exit {r.rc}: {first})")

    lines = ["| issue 11 (user templates) | snapset | compared with | ratio / scaled | target | met |",
             "| --- | ---: | --- | ---: | --- | :-: |"]
    mets = []
    builtin = (f"built-in templates: {fmt_us(check.median / builtin_files)}/file"
               if check.median and builtin_files else "")
    if c_t.median is not None:
        per_doc = c_t.median / docs[ws_t]
        h = helm["row"] if helm else None
        if h is not None and h.status == "ok" and h.median:
            helm_docs = sum(count_kinds(os.path.join(helm["streams"], f"env-{e}.yaml")) for e in range(1, E + 1))
            helm_per = h.median / helm_docs
            r = per_doc / helm_per
            met = r <= 0.25
            mets.append(met)
            lines.append(f"| `check` per document, every service on user templates ({fmt_time(c_t.median)} ÷ "
                         f"{docs[ws_t]:,}) | {fmt_us(per_doc)} | `helm template` per document: {fmt_us(helm_per)} "
                         f"({fmt_time(h.median)} ÷ {helm_docs:,}) | {fmt_ratio(r)} | ≤ 0.25 × helm | {mark(met)} |")
            info.append(f"{builtin} (`snapset check` of the built-in release ÷ the files of its out/, which "
                        f"counts kustomization.yaml and snapshot.json too)")
        else:
            lines.append(f"| `check` per document, every service on user templates ({fmt_time(c_t.median)} ÷ "
                         f"{docs[ws_t]:,}) | {fmt_us(per_doc)} | `helm template`: not measured (needs --peers) "
                         f"| | ≤ 0.25 × helm | |")
    if c_t.median is not None and c_c.median is not None and n_edge > 0:
        def signed(x):
            return fmt_time(x) if x >= 0 else "−" + fmt_time(-x)

        # The target is judged on the median of the paired differences (run i with
        # minus run i without, back to back): a drift of the machine's load cancels in
        # each pair, where a difference of two medians swings by tens of ms here.
        paired = statistics.median([b - a for a, b in zip(c_t.walls, c_c.walls)])
        per_1000 = paired / n_edge * 1000
        delta = c_c.median - c_t.median
        cpu_delta = (c_c.cpu - c_t.cpu) if c_c.cpus and c_t.cpus else None
        cpu_part = (f"; CPU {fmt_time(c_c.cpu)} − {fmt_time(c_t.cpu)} = {signed(cpu_delta)} "
                    f"({signed(cpu_delta / n_edge * 1000)} per 1,000)" if cpu_delta is not None else "")
        met = per_1000 <= 0.100
        mets.append(met)
        lines.append(f"| `check` with − without {n_edge:,} VirtualServices (`{crd['name']}`, "
                     f"{crd['bytes'] / 1e3:,.0f} kB), median of the paired differences | {signed(paired)} "
                     f"| difference of the medians {fmt_time(c_c.median)} − {fmt_time(c_t.median)} = {signed(delta)}"
                     f"{cpu_part} | {signed(per_1000)} per 1,000 objects | ≤ 100 ms per 1,000 | {mark(met)} |")
    return rows, ("\n".join(lines), mets)


def measure_bump(args, snapset, hws, expected, checks, name, what):
    """`bump --all` on the history workspace `hws`, its snapshot put back
    before every run and after the last; checks that every service was
    pinned to the newest commit touching its path."""
    hsnap = os.path.join(hws, "snapshots", "release.kdl")
    horig = os.path.join(hws, ".bench", "release.kdl")
    bump = measure(name, [snapset, "-C", hws, "bump", "release", "--all"], args.bump_runs,
                   setup=lambda: shutil.copyfile(horig, hsnap))
    if bump.status == "ok":
        with open(hsnap) as f:
            got = dict(re.findall(r'service "([^"]+)" commit="([0-9a-f]+)"', f.read()))
        wrong = [s for s, c in expected["newest"].items()
                 if not c.startswith(got.get(s, "-")) or len(got.get(s, "")) < 7]
        checks.append(f"{'✓' if not wrong else '✗'} {what} pinned {len(expected['newest']) - len(wrong)}/"
                      f"{len(expected['newest'])} services to the newest commit touching their path")
    shutil.copyfile(horig, hsnap)
    return bump


def git_log_loop(args, hws, S, expected, checks, name, git_dir_of):
    """What a script without snapset does: one `git log -1` per service, in the
    repository `git_dir_of(i)` of service i. At ~0.1 s a service, every k-th
    service is timed (the history is shuffled, so any k-th is as deep as the
    rest) and the time scaled up. Checks that it found the newest commits."""
    step = max(1, S // args.loop_sample) if args.loop_sample else 1
    sample = list(range(1, S + 1, step))
    loop = os.path.join(hws, ".bench", "git-log-loop.sh")
    with open(loop, "w") as f:
        f.write("#!/bin/sh\n# one git log per service: what a script without snapset does\n")
        for i in sample:
            f.write(f"git --git-dir={git_dir_of(i)} log -1 --format=%H -- services/svc-{i:04d}\n")
    loop_out = os.path.join(hws, ".bench", "git-log-loop.out")
    label = (f"{name} ({S:,} services)" if step == 1 else
             f"{name} (timed on {len(sample)} of {S:,} services, × {S / len(sample):g})")
    gitloop = measure(label, ["sh", loop], args.loop_runs, cwd=hws, warmup=0, stdout_path=loop_out)
    gitloop.walls = [w * S / len(sample) for w in gitloop.walls]
    gitloop.cpus = [c * S / len(sample) for c in gitloop.cpus]
    with open(loop_out) as f:
        lines = f.read().split()
    good = sum(1 for i, h in zip(sample, lines) if h == expected["newest"].get(f"svc-{i:04d}"))
    checks.append(f"{'✓' if good == len(sample) else '✗'} {name} found {good}/{len(sample)} newest commits")
    return gitloop


def run_repos(args, snapset, work, ws, S, E, check, checks, info, target):
    """Issue 15: the same release with its services split over 4 repositories
    (`check` may cost at most 1.2 × the one-repository time, measured
    interleaved with it), and `bump --all` over 2 repositories of S/2 services
    each (at least 20 × faster than one `git log -1` per service)."""
    rows = []
    ws4 = os.path.join(work, f"ws-{S}x{E}-r4")
    log(f"generating S={S} E={E} over 4 repositories in {ws4}")
    gen("workspace", ws4, "--services", str(S), "--envs", str(E), "--repos", "4")
    for w in (ws, ws4):  # the untouched-path cache, as in the one-repository rows
        run_once([snapset, "-C", w, "check"])
    one, four = measure_interleaved([
        dict(name=f"snapset check, 1 repository (S={S:,}, interleaved with the next row)",
             cmd=[snapset, "-C", ws, "check"]),
        dict(name="snapset check, the same release over 4 repositories",
             cmd=[snapset, "-C", ws4, "check"]),
    ], args.runs)
    rows += [one, four]
    if one.median and four.median:
        r = four.median / one.median
        target(four, f"≤ 1.2 × one repository ({fmt_ratio(r)})", r <= 1.2)

    hist_per = 20
    hws = os.path.join(work, f"history-{S}x{hist_per}-r2")
    log(f"generating the bump history over 2 repositories: {S} services × {hist_per} commits")
    gen("history", hws, "--services", str(S), "--per-service", str(hist_per), "--repos", "2")
    with open(os.path.join(hws, ".bench", "expected-bump.json")) as f:
        expected = json.load(f)
    bump = measure_bump(args, snapset, hws, expected, checks,
                        f"snapset bump release --all, 2 repositories × {S // 2:,} services "
                        f"({expected['commits']:,} commits)", "bump --all over 2 repositories")
    gitloop = git_log_loop(args, hws, S, expected, checks, "git log -1 per service, 2 repositories",
                           lambda i: f"services-{(i - 1) % 2 + 1}.git")
    rows += [bump, gitloop]
    if bump.median and gitloop.median:
        r = gitloop.median / bump.median
        target(bump, f"≥ 20 × faster than the git log loop ({fmt_ratio(r)})", r >= 20)
    return rows


def run_pipeline(args, snapset, work, checks, info, target):
    """Issue 19: the path to production over a workspace history of 1,000 commits, each
    moving one pin of a 1,000-service snapshot along env-1 -> env-2 -> env-3 (gen.py
    pipeline). `check` on a fresh clone (no cache at all: the history is read
    whole) within 1.5 s; with the caches, within 1.3 x `check` of the same release
    without from= (interleaved); `ready` within 2 x `check`."""
    S, N = args.services, args.runs
    rows = []
    pws = os.path.join(work, f"pipeline-{S}x1000")
    log(f"generating the pipeline workspace: {S} services, 1,000 workspace commits, in {pws}")
    t = gen("pipeline", pws, "--services", str(S), "--commits", "1000")
    with open(os.path.join(pws, ".bench", "pipeline.json")) as f:
        meta = json.load(f)
    info.append(f"generated the pipeline workspace ({meta['commits']:,} workspace commits, {S} services) in "
                f"{fmt_time(t)}")
    plain = os.path.join(pws, ".bench", "plain")
    aside = os.path.join(work, "pipeline-cache-aside")
    # "now": a day after the last commit, so that the answers do not age.
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(meta["head_time"] + 86_400))

    def no_cache():
        shutil.rmtree(aside, ignore_errors=True)
        os.makedirs(aside)
        for i, cache in enumerate(cache_dirs(pws)):
            if os.path.exists(cache):
                os.rename(cache, os.path.join(aside, str(i)))

    def no_history_cache():
        for cache in cache_dirs(pws):
            path = os.path.join(cache, "history.json")
            if os.path.exists(path):
                os.remove(path)

    probe = run_once([snapset, "-C", pws, "check"], env=env)
    if probe.rc != 0:
        log(probe.stderr)
        checks.append(f"✗ `check` fails on the pipeline workspace (exit {probe.rc})")
        return rows
    checks.append("✓ `check` proves every pin of the 1,000-commit pipeline history (exit 0)")
    cold = measure("snapset check, path to production, fresh clone (no cache; 1,000 workspace commits)",
                   [snapset, "-C", pws, "check"], N, setup=no_cache, env=env)
    history = measure("snapset check, path to production, history not cached (touched cache kept)",
                      [snapset, "-C", pws, "check"], N, setup=no_history_cache, env=env)
    run_once([snapset, "-C", pws, "check"], env=env)
    run_once([snapset, "-C", plain, "check"], env=env)
    warm, bare, ready = measure_interleaved([
        dict(name="snapset check, path to production, with its caches (interleaved with the next rows)",
             cmd=[snapset, "-C", pws, "check"], env=env),
        dict(name="snapset check of the same release without from=", cmd=[snapset, "-C", plain, "check"],
             env=env),
        dict(name="snapset ready (env-2 and env-3)", cmd=[snapset, "-C", pws, "ready"], env=env),
    ], N)
    rows += [cold, history, warm, bare, ready]
    if cold.median is not None:
        target(cold, "≤ 1.5 s", cold.median <= 1.5)
    if warm.median and bare.median:
        r = warm.median / bare.median
        target(warm, f"≤ 1.3 × check without from= ({fmt_ratio(r)})", r <= 1.3)
    if ready.median and warm.median:
        r = ready.median / warm.median
        target(ready, f"≤ 2 × check ({fmt_ratio(r)})", r <= 2)
    shutil.rmtree(aside, ignore_errors=True)
    return rows


# The benchmark's policies: five gatekeeper-library templates (vendored under
# tests/policies/), the constraints and the ExpansionTemplate of bench/policies/.
LIBRARY = os.path.join(HERE, "..", "tests", "policies", "gatekeeper-library", "general")
POLICY_TEMPLATES = ("requiredlabels", "block-nodeport-services", "containerlimits", "allowedrepos",
                    "requiredprobes")


def run_policies(args, snapset, ws, checks, info, target):
    """Issue 29: `check` with five library policies in `policies/` (on Deployments,
    Services and, through an ExpansionTemplate, the Pods of the Deployments) against
    `check` of the same workspace without `policies/`: at most 8 x on a first run (the
    verdict cache emptied before each run; the other caches kept, as in the row
    without policies) and 1.5 x with every verdict cached. The three rows run by
    turns, `policies/` moved in and out of the workspace between them."""
    rows = []
    here = os.path.join(ws, "policies")
    aside = os.path.join(ws, ".bench", "policies")
    for d in (here, aside):
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(aside, "library"))
    for name in POLICY_TEMPLATES:
        shutil.copyfile(os.path.join(LIBRARY, name, "template.yaml"),
                        os.path.join(aside, "library", f"{name}.yaml"))
    for name in sorted(os.listdir(os.path.join(HERE, "policies"))):
        shutil.copyfile(os.path.join(HERE, "policies", name), os.path.join(aside, name))

    def without():
        if os.path.exists(here):
            os.rename(here, aside)

    def with_policies():
        if not os.path.exists(here):
            os.rename(aside, here)

    def first_run():
        with_policies()
        for cache in cache_dirs(ws):
            # The verdicts of single objects and of whole environments.
            for name in ("policy-verdicts.json", "policy-environments.json"):
                path = os.path.join(cache, name)
                if os.path.exists(path):
                    os.remove(path)

    # What is evaluated: the constraints' kinds among the rendered objects.
    kinds = count_kinds_of(os.path.join(ws, "out"))
    deployments, services = kinds.get("Deployment", 0), kinds.get("Service", 0)
    evaluations = deployments * 4 + services  # requiredlabels + 3 Pod policies; nodeport
    info.append(f"policies: {len(POLICY_TEMPLATES)} gatekeeper-library constraints on {deployments:,} "
                f"Deployments (requiredlabels; containerlimits, allowedrepos and requiredprobes on their "
                f"Pods, by an ExpansionTemplate) and {services:,} Services (block-nodeport-services): "
                f"{evaluations:,} evaluations per check")
    first_run()
    probe = run_once([snapset, "-C", ws, "check"])
    if probe.rc != 0:
        log(probe.stderr)
        checks.append(f"✗ `check` with the policies fails on the generated workspace (exit {probe.rc})")
        without()
        return rows
    checks.append("✓ `check` with the policies passes the generated release (exit 0)")
    bare, first, cached = measure_interleaved([
        dict(name="snapset check without policies/ (interleaved with the next rows)",
             cmd=[snapset, "-C", ws, "check"], setup=without),
        dict(name=f"snapset check with policies/, first run (verdict cache emptied; {evaluations:,} "
                  f"evaluations)", cmd=[snapset, "-C", ws, "check"], setup=first_run),
        dict(name="snapset check with policies/, verdicts cached", cmd=[snapset, "-C", ws, "check"],
             setup=with_policies),
    ], args.runs)
    without()
    rows += [bare, first, cached]
    for row, limit in ((first, 8), (cached, 1.5)):
        if row.median and bare.median:
            r = row.median / bare.median
            target(row, f"≤ {limit} × check without policies/ ({fmt_ratio(r)})", r <= limit)
    return rows


def count_kinds_of(out):
    """How many rendered objects of each kind `out/` holds (its YAML files)."""
    counts = {}
    for d, _, names in os.walk(out):
        for name in names:
            if name.endswith(".yaml") and name != "kustomization.yaml":
                with open(os.path.join(d, name)) as f:
                    for kind in re.findall(r'(?m)^kind: "?([A-Za-z]+)"?$', f.read()):
                        counts[kind] = counts.get(kind, 0) + 1
    return counts


def table(rows, ratios, checks, info, m, args, tools, sections=()):
    S, E = args.services, args.envs
    lines = [f"## snapset benchmark: S = {S:,} services × E = {E} environments"
             + (" (quick)" if args.quick else ""), ""]
    lines.append(f"Machine: {m['host']} — {m['cpu']}, Linux {m['kernel']}; {m['date']}; "
                 f"load average at start {m['load']}, at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    lines.append(f"snapset {m['snapset']} ({m['rustc']}, release build); {m['git']}; median of {args.runs} runs "
                 f"after a warm-up run unless noted. CPU = median user + system time of the "
                 f"process and the children it waited for (snapset uses both cores).")
    if S != 1000 or E != 3:
        lines.append(f"The targets are set for S = 1,000, E = 3; at S = {S:,} they are indicative only.")
    lines += ["", "| measurement | median | min – max | runs | CPU | files/s | peak RSS | target | met |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | :-: |"]
    for r in rows:
        if r.status != "ok":
            lines.append(f"| {r.name} | {r.status} | | | | | | {r.note} | |")
            continue
        if not r.walls:  # a derived row
            lines.append(f"| {r.name} | | | | | | {r.note} | {r.target} | {mark(r.met)} |")
            continue
        med = r.median
        rng = f"{fmt_time(min(r.walls))} – {fmt_time(max(r.walls))}" if len(r.walls) > 1 else ""
        fps = f"{r.files / med:,.0f}" if r.files and med else ""
        rss = f"{r.rss_kb / 1024:.0f} MB" if r.rss_kb else ""
        cpu = fmt_time(r.cpu) if r.cpus else ""
        lines.append(f"| {r.name} | {fmt_time(med)} | {rng} | {len(r.walls)} | {cpu} | {fps} | {rss} | {r.target} | {mark(r.met)} |")
    if ratios:
        lines += ["", "| comparison | ratio | target | met |", "| --- | ---: | --- | :-: |"]
        for name, r, tgt, met in ratios:
            lines.append(f"| {name} | {fmt_ratio(r)} | {tgt} | {mark(met)} |")
    extra_met = []
    for text, mets in sections:
        if text:
            lines += ["", text]
        extra_met += mets
    lines += ["", "Checks:"] + [f"- {c}" for c in checks]
    lines += ["", "Notes:"] + [f"- {i}" for i in info]
    met = [r.met for r in rows if r.met is not None] + [x[3] for x in ratios] + extra_met
    lines += ["", f"Targets met: {sum(1 for x in met if x)} of {len(met)}."]
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description="snapset benchmark (issue 7); see bench/README.md")
    p.add_argument("--snapset", required=True, help="the snapset binary (release build)")
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--envs", type=int, default=3)
    p.add_argument("--runs", type=int, default=5, help="timed runs per measurement (median)")
    p.add_argument("--bump-runs", type=int, default=None)
    p.add_argument("--loop-runs", type=int, default=1)
    p.add_argument("--loop-sample", type=int, default=100,
                   help="time git log on about this many services and scale up (0: all)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--peers", action="store_true")
    p.add_argument("--kubectl")
    p.add_argument("--helm")
    p.add_argument("--peer-python")
    p.add_argument("--kustomize-sizes", default="100,300")
    p.add_argument("--repos", action="store_true",
                   help="issue 15: check over 4 repositories, bump --all over 2")
    p.add_argument("--pipeline", action="store_true",
                   help="issue 19's rows: check and ready over a 1,000-commit workspace history")
    p.add_argument("--pipeline-only", action="store_true", help="issue 19's rows alone")
    p.add_argument("--policies", action="store_true",
                   help="issue 29's rows: check with five gatekeeper-library policies, first run and cached")
    p.add_argument("--policies-only", action="store_true", help="issue 29's rows alone")
    p.add_argument("--templates", action="store_true",
                   help="issue 11: check of a release on user templates, per document vs helm "
                        "(needs --peers), and what 1,000 CRD-validated objects add")
    p.add_argument("--istio-crds", default=None,
                   help="Istio CRD bundle for --templates (default: gen.py's, tests/crds/istio.yaml)")
    p.add_argument("--scale", action="store_true")
    p.add_argument("--scale-services", type=int, default=10000)
    p.add_argument("--workdir", default=os.path.join(HERE, "work"))
    p.add_argument("--results", default=os.path.join(HERE, "results"))
    args = p.parse_args()
    args.snapset = os.path.abspath(args.snapset)
    # "none" (or 0): no kustomize rows, e.g. for --templates, which needs only helm
    args.kustomize_sizes = [int(x) for x in args.kustomize_sizes.split(",") if x and x != "none" and x != "0"]
    if args.bump_runs is None:
        args.bump_runs = args.runs
    m = machine(args)
    t0 = time.perf_counter()
    rows, ratios, checks, info, sections = run_bench(args)
    info.append(f"the whole benchmark took {fmt_time(time.perf_counter() - t0)}")
    text = table(rows, ratios, checks, info, m, args, None, sections)
    os.makedirs(args.results, exist_ok=True)
    host = re.sub(r"[^A-Za-z0-9]+", "-", m["host"]).strip("-") or "host"
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    # A quick run is a smoke test: it keeps latest.md (the last real run) and is git-ignored.
    if args.quick:
        paths = [os.path.join(args.results, "latest-quick.md")]
    elif args.pipeline_only:
        # Issue 19's rows alone: beside the full tables, not as latest.md.
        paths = [os.path.join(args.results, f"{stamp}-{host}-S{args.services}-pipeline.md")]
    elif args.policies_only:
        paths = [os.path.join(args.results, f"{stamp}-{host}-S{args.services}xE{args.envs}-policies.md")]
    else:
        paths = [os.path.join(args.results, f"{stamp}-{host}-S{args.services}xE{args.envs}.md"),
                 os.path.join(args.results, "latest.md")]
    for path in paths:
        with open(path, "w") as f:
            f.write(text)
    print(text)
    log(f"written to {' and '.join(paths)}")
    failed = [c for c in checks if c.startswith("✗")] + [r.name for r in rows if r.status == "error"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
