#!/usr/bin/env python3
"""Checks that snapset and a peer (kustomize, Helm) rendered the same release.

Why this exists: a speed comparison is only fair when both tools produce the same
objects. This reads snapset's out/<env>/ tree and the peer's YAML stream(s) and
compares, per environment, the set of objects by (kind, name, namespace) and for each
object what the release decides: the images, replicas, container variables and cpu
request of a Deployment; the subsets of a DestinationRule; the route weights of a
VirtualService; the port of a Service. Labels, annotations and formatting may differ.

Runs with the benchmark's venv python (PyYAML). Usage:
  compare.py OUT_DIR ENV=PEER.yaml [ENV=PEER.yaml ...]
Prints one line per environment; exit 0 when all match, 1 otherwise.
"""

import os
import sys

import yaml


def key_facts(doc):
    kind = doc.get("kind")
    meta = doc.get("metadata") or {}
    key = (kind, meta.get("name"), meta.get("namespace"))
    spec = doc.get("spec") or {}
    if kind == "Deployment":
        pod = spec["template"]["spec"]
        containers = pod["containers"]
        facts = (
            spec.get("replicas"),
            tuple(c["image"] for c in containers),
            tuple(sorted((e["name"], str(e.get("value"))) for c in containers for e in c.get("env") or [])),
            tuple(str(((c.get("resources") or {}).get("requests") or {}).get("cpu")) for c in containers),
        )
    elif kind == "Service":
        facts = tuple((p.get("name"), p.get("port")) for p in spec.get("ports", []))
    elif kind == "DestinationRule":
        facts = tuple(sorted(s["name"] for s in spec.get("subsets", [])))
    elif kind == "VirtualService":
        facts = tuple(sorted((d["destination"]["subset"], d.get("weight"))
                             for h in spec.get("http", []) for d in h.get("route", [])))
    else:
        facts = None
    return key, facts


def load_tree(root):
    docs = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(".yaml") and f != "kustomization.yaml":
                with open(os.path.join(dirpath, f)) as fh:
                    docs.extend(d for d in yaml.safe_load_all(fh) if d)
    return docs


def load_stream(path):
    with open(path) as fh:
        return [d for d in yaml.safe_load_all(fh) if d]


def index(docs):
    out = {}
    for d in docs:
        k, facts = key_facts(d)
        if k in out:
            raise SystemExit(f"duplicate object {k}")
        out[k] = facts
    return out


def main():
    out_dir, pairs = sys.argv[1], sys.argv[2:]
    ok = True
    for pair in pairs:
        env, peer = pair.split("=", 1)
        mine = index(load_tree(os.path.join(out_dir, env)))
        theirs = index(load_stream(peer))
        kinds = {}
        for k in mine:
            kinds[k[0]] = kinds.get(k[0], 0) + 1
        only_mine = sorted(set(mine) - set(theirs), key=str)
        only_theirs = sorted(set(theirs) - set(mine), key=str)
        differ = sorted((k for k in set(mine) & set(theirs) if mine[k] != theirs[k]), key=str)
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        if only_mine or only_theirs or differ:
            ok = False
            print(f"{env}: MISMATCH with {os.path.basename(peer)}: {len(only_mine)} only in snapset, "
                  f"{len(only_theirs)} only in the peer, {len(differ)} differ")
            for k in only_mine[:3]:
                print(f"  only snapset: {k}")
            for k in only_theirs[:3]:
                print(f"  only peer:    {k}")
            for k in differ[:3]:
                print(f"  differ: {k}\n    snapset: {mine[k]}\n    peer:    {theirs[k]}")
        else:
            print(f"{env}: same {len(mine)} objects ({summary})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
