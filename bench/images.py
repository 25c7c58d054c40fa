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
Standard library only. Usage: bench/images.py --snapset target/release/snapset
"""

import argparse
import hashlib
import http.client
import json
import os
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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--snapset", default=os.path.join(HERE, "..", "target", "release", "snapset"))
    p.add_argument("--services", type=int, default=1000)
    p.add_argument("--envs", type=int, default=3)
    p.add_argument("--runs", type=int, default=5)
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
