#!/usr/bin/env python3
"""Issue 14's figures: `snapset images` against a local registry.

Generates the benchmark release (gen.py workspace), points its image pattern at
Debian's docker-registry started on a free loopback port, pushes every image
(a tiny OCI manifest each), then times, N runs each:

  - a reference client: 16 threads, each with its own keep-alive connection,
    HEAD on every image's manifest (the same Accept as snapset);
  - `snapset images --refresh` (every image asked);
  - `snapset images` (every image answered from .snapset/);
  - `snapset check` (the offline compile, for the cached run's target).

Targets: --refresh <= 1.5 x the reference client, cached <= 2 x check.

Issue 20 (`--bump`, or `--only-bump` for this row alone): every service's second
commit is pushed too, except for one service in ten (index % 10 == 5), and
`snapset bump release --all --with-image` runs from the snapshot at the first commits,
with no `.snapset/images` (every image asked, as --refresh asks), in turn with
`snapset images --refresh` (A B A B ..., so that a busy machine weighs on both).
Target: bump <= 1.5 x images --refresh. Checked: the nine in ten move to their second
commit, the one in ten stay at their first.

Standard library only. Usage: bench/images.py --snapset target/release/snapset [--bump]
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_registry(work):
    port = free_port()
    config = os.path.join(work, "registry.yml")
    with open(config, "w") as f:
        f.write(f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                f"storage:\n  filesystem:\n    rootdirectory: {work}/registry\n"
                f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen(["docker-registry", "serve", config],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/v2/")
            c.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.05)
    sys.exit("docker-registry did not start")


def push_all(port, images, jobs=16):
    """Pushes each repository's config blob once and a manifest per tag."""
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest, "size": len(config)}, "layers": []}).encode()
    by_repo = {}
    for repo, tag in images:
        by_repo.setdefault(repo, []).append(tag)
    repos = sorted(by_repo)

    def worker(chunk):
        c = http.client.HTTPConnection("127.0.0.1", port)
        for repo in chunk:
            c.request("POST", f"/v2/{repo}/blobs/uploads/", body=b"")
            r = c.getresponse(); r.read()
            loc = r.getheader("Location")
            loc = loc.split(f"127.0.0.1:{port}", 1)[-1]
            sep = "&" if "?" in loc else "?"
            c.request("PUT", f"{loc}{sep}digest={digest}", body=config,
                      headers={"Content-Type": "application/octet-stream"})
            r = c.getresponse(); r.read()
            assert r.status == 201, (repo, r.status)
            for tag in by_repo[repo]:
                c.request("PUT", f"/v2/{repo}/manifests/{tag}", body=manifest,
                          headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
                r = c.getresponse(); r.read()
                assert r.status == 201, (repo, tag, r.status)

    threads = [threading.Thread(target=worker, args=(repos[i::jobs],)) for i in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def reference_client(port, images, jobs=16):
    """HEAD every manifest: `jobs` threads, one keep-alive connection each."""
    missing = []

    def worker(chunk):
        c = http.client.HTTPConnection("127.0.0.1", port)
        for repo, tag in chunk:
            c.request("HEAD", f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT})
            r = c.getresponse(); r.read()
            if r.status != 200:
                missing.append((repo, tag))

    threads = [threading.Thread(target=worker, args=(images[i::jobs],)) for i in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not missing, missing[:3]


def timed(f, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bump_row(ws, port, images, snapset, args):
    """Issue 20: `bump --all --with-image` where one service in ten has no image
    for its newest commit, against `images --refresh` on the same registry."""
    with open(os.path.join(ws, ".bench", "model.json")) as f:
        model = json.load(f)
    repository = {}
    for repo, tag in images:
        repository[repo.rsplit("/", 1)[-1]] = repo
    late, expected, extra = 0, {}, []
    for i, svc in enumerate(model["services"], start=1):
        first = svc["tracks"][0]["commit"]
        second = svc["moved_tracks"][0]["commit"]
        if i % 10 == 5:
            late += 1
            expected[svc["name"]] = first
        else:
            expected[svc["name"]] = second
            extra.append((repository[svc["name"]], second))
    push_all(port, extra)
    snap = os.path.join(ws, "snapshots", "release.kdl")
    with open(os.path.join(ws, ".bench", "release.kdl")) as f:
        original = f.read()
    cache = os.path.join(ws, ".snapset", "images")

    def bump():
        with open(snap, "w") as f:
            f.write(original)
        if os.path.exists(cache):
            os.remove(cache)
        start = time.perf_counter()
        r = snapset("bump", "release", "--all", "--with-image")
        took = time.perf_counter() - start
        assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
        return took, r

    def refresh():
        start = time.perf_counter()
        r = snapset("images", "--refresh")
        took = time.perf_counter() - start
        assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
        return took

    _, first_run = bump()  # warm-up, and the correctness check
    with open(snap) as f:
        text = f.read()
    pins = {}
    for name, block in re.findall(r'service "(svc-\d+)"(.*?)(?=\n    service |\n}\n)', text, re.S):
        pins[name] = set(re.findall(r'commit="([0-9a-f]+)"', block))
    wrong = [n for n, c in expected.items() if pins.get(n) != {c}]
    assert not wrong, (len(wrong), wrong[:3], pins.get(wrong[0]))
    skipped = first_run.stdout.decode().count("(no image in the registry)")
    assert skipped == late, (skipped, late)
    refresh()
    bumps, refreshes = [], []
    for _ in range(args.runs):
        bumps.append(bump()[0])
        refreshes.append(refresh())
    b, r = statistics.median(bumps), statistics.median(refreshes)
    # Each bump ran right after a refresh: the ratio of a pair shares the
    # machine's load of the moment, which swings both by half here.
    paired = statistics.median(x / y for x, y in zip(bumps, refreshes))
    print(f"issue 20: {len(model['services'])} services, {late} of them without an image for "
          f"their newest commit; median of {args.runs}, interleaved\n")
    print("| what | seconds |\n| --- | --- |")
    print(f"| snapset images --refresh | {r:.3f} |")
    print(f"| snapset bump release --all --with-image (no .snapset/images) | {b:.3f} |")
    print(f"\nbump --with-image / images --refresh = {b / r:.2f} (medians), {paired:.2f} "
          f"(median of the paired ratios; target <= 1.5); "
          f"runs: bump {', '.join(f'{x:.3f}' for x in bumps)}; "
          f"refresh {', '.join(f'{x:.3f}' for x in refreshes)}")
    print(f"checked: {len(expected) - late} services moved to their second commit, "
          f"{late} stayed at their first (their newest commit passed over)\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--snapset", default=os.path.join(HERE, "..", "target", "release", "snapset"))
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--envs", type=int, default=3)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--bump", action="store_true",
                   help="also issue 20's row: bump --all --with-image against images --refresh")
    p.add_argument("--only-bump", action="store_true", help="issue 20's row alone")
    args = p.parse_args()
    if not shutil.which("docker-registry"):
        sys.exit("docker-registry is missing: apt-get install -y docker-registry")
    work = tempfile.mkdtemp(prefix="snapset-images-bench-")
    ws = os.path.join(work, "ws")
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "workspace", ws,
                    "--services", str(args.services), "--envs", str(args.envs)],
                   check=True, stdout=subprocess.DEVNULL)
    proc, port = start_registry(work)
    try:
        kdl = os.path.join(ws, "snapset.kdl")
        with open(kdl) as f:
            text = f.read().replace("registry.example.com", f"127.0.0.1:{port}")
        with open(kdl, "w") as f:
            f.write(text)
        snapset = lambda *a, ok=(0,): subprocess.run(  # noqa: E731
            [args.snapset, "-C", ws, *a], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "HOME": work, "NO_PROXY": "*"})
        listing = snapset("images", "--format", "json")
        images = [(i["repository"], i["tag"]) for i in json.loads(listing.stdout)["images"]]
        push_all(port, images)
        for cmd in (["images", "--refresh"], ["images"], ["check"]):
            r = snapset(*cmd)
            assert r.returncode == 0, (cmd, r.returncode, r.stderr[-2000:])
        if args.bump or args.only_bump:
            bump_row(ws, port, images, snapset, args)
        if args.only_bump:
            return
        rows = [
            ("reference client, 16 keep-alive connections", timed(lambda: reference_client(port, images), args.runs)),
            ("snapset images --refresh", timed(lambda: snapset("images", "--refresh"), args.runs)),
            ("snapset images (from .snapset/)", timed(lambda: snapset("images"), args.runs)),
            ("snapset check", timed(lambda: snapset("check"), args.runs)),
        ]
        print(f"{len(images)} images, {args.services} services x {args.envs} environments, median of {args.runs}\n")
        print("| what | seconds |\n| --- | --- |")
        for name, t in rows:
            print(f"| {name} | {t:.3f} |")
        ref, refresh, cached, check = (t for _, t in rows)
        print(f"\n--refresh / reference = {refresh / ref:.2f} (target <= 1.5)")
        print(f"cached / check = {cached / check:.2f} (target <= 2)")
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
