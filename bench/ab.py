#!/usr/bin/env python3
"""Paired A/B timing of two snapset binaries on one workspace: runs them by turns
(A B, then B A, ...), so that the noise of a shared machine (other VMs, a compiler
in the background) falls on both alike, and prints the median wall and CPU time of
each and their ratios. bench/run times one binary after the other; on this 2-core VM
two such runs minutes apart differed by 1.5x, so a "B costs N x A" figure comes
from here (issue 28's target).

    python3 bench/ab.py WORKSPACE BIN_A BIN_B      # N=101 ARGS="check" by default

UNCACHED=policy-verdicts.json,policy-environments.json removes those files from the
workspace's cache folders before every run (issue 29's first runs).
"""
import glob
import os
import resource
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ws, a, b = sys.argv[1:4]
    n = int(os.environ.get("N", "101"))
    args = os.environ.get("ARGS", "check").split()
    uncached = [n for n in os.environ.get("UNCACHED", "").split(",") if n]
    wall = {a: [], b: []}
    cpu = {a: [], b: []}
    for i in range(n):
        for binary in (a, b) if i % 2 == 0 else (b, a):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            for name in uncached:
                for path in glob.glob(os.path.join(ws, ".git", "snapset", "*", name)) + glob.glob(
                        os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                                     "snapset", "*", name)):
                    os.remove(path)
            t = time.perf_counter()
            subprocess.run([binary] + args, cwd=ws, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            wall[binary].append(time.perf_counter() - t)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[binary].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    med = statistics.median
    for binary in (a, b):
        print(f"{binary}: wall median {med(wall[binary]) * 1000:.1f} ms, "
              f"min {min(wall[binary]) * 1000:.1f} ms; CPU median {med(cpu[binary]) * 1000:.1f} ms")
    print(f"B / A: wall median {med(wall[b]) / med(wall[a]):.3f}, "
          f"min {min(wall[b]) / min(wall[a]):.3f}; CPU median {med(cpu[b]) / med(cpu[a]):.3f} "
          f"({n} runs each, by turns)")


if __name__ == "__main__":
    main()
