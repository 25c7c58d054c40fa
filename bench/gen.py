#!/usr/bin/env python3
"""Generates the inputs of the snapset benchmark (bench/run), deterministically.

Why this exists: issue 7 asks how snapset behaves on a release of S services x E
environments, and how it compares with the tools release teams use instead. That needs
the same release written three ways, from one model:

  workspace   a snapset workspace (snapset.kdl, snapshots/, varsets/) over a bare
              mono-repo services.git built with `git fast-import` (fixed dates, so the
              hashes are the same on every machine), plus the snapshot with every
              service moved to its second commit (for `diff` after a bump) and
              model.json (the release as data, read by the peers' generators);
  history     a workspace for `bump --all`: a long history (N commits per service,
              shuffled), the snapshot pinned at each service's first commit, and the
              commit `bump` must pick for each service;
  pipeline    issue 19: a workspace that is a git repository of its own, whose history
              moves one pin per commit along env-1 -> env-2 -> env-3 (`from=`, `soak=`);
  kustomize   the release as kustomize users write it: a base per service, one
              overlay per environment with an `images:` list pinning every service;
  helm        the release as a Helm chart: templates looping over the services,
              the commits in values.yaml, one values file per environment.

The model (who has a canary, who has per-environment overrides) is a pure function of
the service index, so every size shares it: 10% of the services (index % 10 == 0) run
tracks stable (weight 90) and canary (weight 10); in environment e, the services with
index % 10 == (e + 2) % 10 (a different 10% in each environment) override replicas and
cpu and add a container variable.

Two options of `workspace` add issue 11's user templates to the same release:
--user-templates writes templates/track/deployment.yaml.j2 (the built-in Deployment as a
user template), templates/service/configmap.yaml.j2 and templates/track/hpa.yaml.j2, and
structured vars (a `resources` map and an `hpa` map in base, `hpa null` for every 4th
service); --crd-objects copies Istio's VirtualService CRD into crds/ and adds
templates/service/edge.yaml.j2, one VirtualService per service. Both write
.bench/expected-files.json, the YAML files each environment of out/ must hold.

Standard library only. Usage: gen.py workspace DIR --services S --envs E
                                  [--user-templates] [--crd-objects [--istio-crds FILE]]
                              gen.py history DIR --services S --per-service N
                              gen.py pipeline DIR --services S --commits N
                              gen.py kustomize MODEL.json DIR [--env NAME]...
                              gen.py helm MODEL.json DIR
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys

REGISTRY = "registry.example.com/bench"
# 2026-01-01T00:00:00Z; commit n is dated EPOCH + 60 s * n.
EPOCH = 1_767_225_600
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
    "TZ": "UTC",
}


def svc_name(i):
    return f"svc-{i:04d}"


def port_of(i):
    return 9090 if i % 7 == 0 else 8080


def has_canary(i):
    return i % 10 == 0


def overridden(i, e):
    """Whether service i has a section in environment e's varset (e from 1)."""
    return i % 10 == (e + 2) % 10


def override_of(i, e):
    return {
        "replicas": 2 + e + (i % 3),
        "cpu": "250m",
        "env": {"EXTRA_FLAG": f"env-{e}-{svc_name(i)}"},
    }


def env_replicas(e):
    return e


def env_namespace(e):
    return f"bench-env-{e}"


# --------------------------------------------------------------------------- git


def git(*args, cwd=None, stdin=None):
    env = dict(os.environ)
    for k in [k for k in env if k.startswith("GIT_")]:
        del env[k]
    env.update(GIT_ENV)
    return subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, check=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    ).stdout


def fast_import(bare, commits):
    """Builds bare repo `bare` with one linear branch main from `commits`, a list of
    (subject, [(path, content)]) where content=None appends a line to the file as it
    was. Returns the full hashes, in order. Reuses `bare` when it was built from the
    same stream (bench-hashes.json inside it keeps the stream's sha256 and the hashes)."""
    files = {}
    out = []
    for n, (subject, changes) in enumerate(commits):
        when = EPOCH + 60 * n
        msg = subject.encode() + b"\n"
        out.append(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
        out.append(b"author Bench <bench@example.invalid> %d +0000\n" % when)
        out.append(b"committer Bench <bench@example.invalid> %d +0000\n" % when)
        out.append(b"data %d\n%s" % (len(msg), msg))
        for path, content in changes:
            if content is None:
                content = files[path] + f"// - {subject}\n"
            files[path] = content
            data = content.encode()
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        out.append(b"\n")
    stream = b"".join(out)
    # The same stream gives the same repository: reuse it (20,000 commits take a while).
    key = hashlib.sha256(stream).hexdigest()
    cache = os.path.join(bare, "bench-hashes.json")
    if os.path.exists(cache):
        with open(cache) as f:
            cached = json.load(f)
        if cached.get("stream") == key:
            return cached["hashes"]
    if os.path.exists(bare):
        shutil.rmtree(bare)
    git("init", "-q", "--bare", "--template=", "-b", "main", bare)
    marks = os.path.join(bare, "bench-marks")
    git("--git-dir", bare, "fast-import", "--quiet", f"--export-marks={marks}", stdin=stream)
    hashes = {}
    with open(marks) as f:
        for line in f:
            mark, sha = line.split()
            hashes[int(mark[1:])] = sha
    os.remove(marks)
    result = [hashes[n + 1] for n in range(len(commits))]
    with open(cache, "w") as f:
        json.dump({"stream": key, "hashes": result}, f)
    return result


def split_import(ws, commits, repos):
    """`commits` as (service index or None, subject, changes): each service's commits
    go to its repository, in order; a commit of no service goes to every repository.
    Returns the hashes in the order of `commits` (the first one's, for a commit of
    no service)."""
    hashes = [None] * len(commits)
    for k in range(1, repos + 1):
        mine = [n for n, (i, _, _) in enumerate(commits) if i is None or repo_of(i, repos) == k]
        got = fast_import(os.path.join(ws, repo_dir(k, repos)),
                          [(commits[n][1], commits[n][2]) for n in mine])
        for n, h in zip(mine, got):
            if hashes[n] is None:
                hashes[n] = h
    return hashes


def first_files(i, subject):
    name = svc_name(i)
    port = port_of(i)
    return [
        (f"services/{name}/Dockerfile",
         f"FROM gcr.io/distroless/static\nCOPY {name} /{name}\nEXPOSE {port}\nENTRYPOINT [\"/{name}\"]\n"),
        (f"services/{name}/main.go",
         f"package main\n\n// {name} listens on :{port}.\nfunc main() {{ serve(\":{port}\") }}\n\n// changes:\n// - {subject}\n"),
    ]


# --------------------------------------------------------------------- workspace


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def repo_of(i, repos):
    """The repository (1-based) of service i when the services are split over `repos`."""
    return (i - 1) % repos + 1


def repo_dir(k, repos):
    return "services.git" if repos == 1 else f"services-{k}.git"


def config_kdl(services, envs, repos=1, clusters=0):
    lines = [
        "// Generated by bench/gen.py: the benchmark's release (see bench/README.md).",
    ]
    if repos == 1:
        lines.append('repo "services.git"')
    else:
        lines += [f'repo "r{k}" path="{repo_dir(k, repos)}"' for k in range(1, repos + 1)]
    lines += [f'image "{REGISTRY}/{{service}}:{{commit}}"', ""]
    for i in range(1, services + 1):
        n = svc_name(i)
        placed = "" if repos == 1 else f' repo="r{repo_of(i, repos)}"'
        lines.append(f'service "{n}"{placed} path="services/{n}" port={port_of(i)}')
    lines.append("")
    for e in range(1, envs + 1):
        env = f'environment "env-{e}" snapshot="release" varset="env-{e}"'
        if clusters:
            # --clusters N: every environment on N clusters, each with a
            # varset of its own layered last (docs/fleet.md).
            inner = "".join(f'    cluster "c-{c}" varset="cluster-{c}"\n' for c in range(1, clusters + 1))
            env += " {\n" + inner + "}"
        lines.append(env)
    return "\n".join(lines) + "\n"


def cluster_varset_kdl(c):
    return (f"// Generated by bench/gen.py --clusters: what cluster c-{c} of every environment sets.\n"
            f'varset "cluster-{c}" {{\n    env {{\n        REGION "region-{c}"\n    }}\n}}\n')


def snapshot_kdl(model, moved):
    lines = ["snapshot \"release\" {",
             '    description "generated by bench/gen.py' + (" (every service moved)" if moved else "") + '"']
    for s in model["services"]:
        tracks = s["moved_tracks"] if moved else s["tracks"]
        if len(tracks) == 1:
            lines.append(f'    service "{s["name"]}" commit="{tracks[0]["commit"]}"')
        else:
            lines.append(f'    service "{s["name"]}" {{')
            for t in tracks:
                lines.append(f'        track "{t["name"]}" commit="{t["commit"]}" weight={t["weight"]}')
            lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


BASE_VARSET = """// Generated by bench/gen.py: what every environment shares.
varset "base" {
    vars {
        replicas 1
        cpu "100m"
        memory "128Mi"
        log-level "info"
        readiness-path "/healthz"
        liveness-path "/healthz"
    }
    env {
        LOG_LEVEL "info"
    }
}
"""


def env_varset_kdl(model, e, structured=False):
    lines = [
        f'varset "env-{e}" {{',
        '    extends "base"',
        f'    namespace "{env_namespace(e)}"',
        "    vars {",
        f"        replicas {env_replicas(e)}",
        "    }",
        "    env {",
        f'        LOG_LEVEL "{model["log_level"][str(e)]}"',
        "    }",
    ]
    for s in model["services"]:
        ov = s["overrides"].get(str(e))
        if not ov:
            continue
        lines.append(f'    service "{s["name"]}" {{')
        if structured:
            # resources.requests.cpu, merged into base's map key by key
            lines += ["        vars {", f"            replicas {ov['replicas']}", "            resources {",
                      "                requests {", f'                    cpu "{ov["cpu"]}"', "                }",
                      "            }", "        }"]
        else:
            lines.append(f'        vars {{ replicas {ov["replicas"]}; cpu "{ov["cpu"]}"; }}')
        lines.append("        env {")
        for k, v in ov["env"].items():
            lines.append(f'            {k} "{v}"')
        lines.append("        }")
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------- user templates (issue 11)

# The built-in Deployment (src/render/templates/track/deployment.yaml.j2) as a user
# template: same objects, but through minijinja, the YAML reader and the typed check
# instead of the compiled built-in. Kept here (not read from src/) so that the benchmark
# measures the same template whatever the built-in becomes.
USER_DEPLOYMENT = """{#- bench/gen.py --user-templates: the built-in Deployment, as a user template. -#}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ name }}
  namespace: {{ environment.namespace }}
  labels:
    app: {{ service.name }}
    version: {{ track.name }}
    app.kubernetes.io/name: {{ service.name }}
    app.kubernetes.io/version: {{ track.short }}
spec:
  replicas: {{ track.replicas }}
  selector:
    matchLabels:
      app: {{ service.name }}
      version: {{ track.name }}
  template:
    metadata:
      labels:
        app: {{ service.name }}
        version: {{ track.name }}
        app.kubernetes.io/name: {{ service.name }}
        app.kubernetes.io/version: {{ track.short }}
    spec:
      containers:
        - name: {{ service.name }}
          image: {{ track.image }}
{%- if service.port is not none %}
          ports:
            - name: http
              containerPort: {{ service.port }}
              protocol: TCP
{%- endif %}
{%- if env or features %}
          env:
{%- for var in env %}
            - name: {{ var.name }}
{%- if var.secret is not none %}
              valueFrom:
                secretKeyRef:
                  name: {{ var.secret }}
                  key: {{ var.key }}
{%- else %}
              value: {{ var.value }}
{%- endif %}
{%- endfor %}
{%- for feature, enabled in features | items %}
            - name: {{ ("FEATURE_" ~ feature) | upper | replace("-", "_") }}
              value: {{ "true" if enabled else "false" }}
{%- endfor %}
{%- endif %}
{%- if "resources" in vars %}
          resources: {{ vars.resources }}
{%- endif %}
{%- if "readiness-path" in vars %}
          readinessProbe:
            httpGet:
              path: {{ vars["readiness-path"] }}
              port: http
            periodSeconds: {{ vars["probe-period"] | default(10) }}
{%- endif %}
{%- if "liveness-path" in vars %}
          livenessProbe:
            httpGet:
              path: {{ vars["liveness-path"] }}
              port: http
            periodSeconds: {{ vars["probe-period"] | default(10) }}
{%- endif %}
"""

USER_CONFIGMAP = """{#- bench/gen.py --user-templates: once per service. -#}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ service.name ~ "-config" }}
  namespace: {{ environment.namespace }}
  labels:
    app: {{ service.name }}
data:
  SERVICE: {{ service.name }}
  ENVIRONMENT: {{ environment.name }}
  LOG_LEVEL: {{ vars["log-level"] }}
  PORT: {{ service.port | string }}
{%- for t in tracks %}
  {{ "COMMIT_" ~ t.name | upper }}: {{ t.commit }}
{%- endfor %}
"""

USER_HPA = """{#- bench/gen.py --user-templates: once per track, only where `hpa` is defined
    (every 4th service sets `hpa null`: an empty render, no file). -#}
{%- if vars.hpa is defined %}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ name }}
  namespace: {{ environment.namespace }}
  labels:
    app: {{ service.name }}
    version: {{ track.name }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ name }}
  minReplicas: {{ vars.hpa["min-replicas"] }}
  maxReplicas: {{ vars.hpa["max-replicas"] }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ vars.hpa["cpu-utilization"] }}
{%- endif %}
"""

# --crd-objects: one Istio VirtualService per service, checked against the CRD in crds/.
# An edge route through the ingress gateway (the mesh-internal VirtualService of the
# canary services is the built-in one, named after the service; this one is
# <service>-edge, so both can exist).
CRD_EDGE = """{#- bench/gen.py --crd-objects: once per service, a custom resource
    validated against crds/virtualservices.yaml (Istio's CRD). -#}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {{ service.name ~ "-edge" }}
  namespace: {{ environment.namespace }}
  labels:
    app: {{ service.name }}
spec:
  hosts:
    - {{ service.name ~ ".bench.example.com" }}
  gateways:
    - "istio-system/public"
  http:
    - name: "api"
      match:
        - uri:
            prefix: {{ "/" ~ service.name ~ "/" }}
          ignoreUriCase: true
        - headers:
            x-service:
              exact: {{ service.name }}
      retries:
        attempts: 3
        perTryTimeout: "2s"
        retryOn: "5xx,connect-failure,refused-stream"
      timeout: "10s"
      headers:
        request:
          set:
            x-environment: {{ environment.name }}
      route:
{%- for t in tracks %}
        - destination:
            host: {{ service.name ~ "." ~ environment.namespace ~ ".svc.cluster.local" }}
{%- if service.multi_track %}
            subset: {{ t.name }}
{%- endif %}
            port:
              number: {{ service.port }}
{%- if t.weight is not none %}
          weight: {{ t.weight }}
{%- endif %}
{%- endfor %}
"""

# Istio's CRD bundle, kept in the repository for the tests (tests/crds/README.md).
ISTIO_CRDS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "tests", "crds", "istio.yaml")
CRD_NAME = "virtualservices.networking.istio.io"


def crd_document(path, name):
    """The one document of the multi-document YAML `path` whose metadata.name is `name`
    (found by its text: a line `  name: <name>` in the document's metadata)."""
    with open(path) as f:
        text = f.read()
    docs = re.split(r"(?m)^---[ \t]*\n", text)
    for doc in docs:
        if re.search(r"(?m)^kind: CustomResourceDefinition\s*$", doc) and \
                re.search(rf"(?m)^  name: {re.escape(name)}\s*$", doc):
            return doc if doc.startswith("apiVersion") else doc.lstrip("\n")
    raise SystemExit(f"gen.py: no CustomResourceDefinition {name} in {path}")


def hpa_removed(i):
    """--user-templates: every 4th service sets `hpa null` (its HPA template renders
    nothing); some of them have canaries (i % 20 == 0), some do not."""
    return i % 4 == 0


def base_varset_templates(services):
    lines = [
        "// Generated by bench/gen.py --user-templates: what every environment shares,",
        "// with structured vars (maps) read by the workspace's own templates.",
        'varset "base" {',
        "    vars {",
        "        replicas 1",
        "        resources {",
        "            requests {",
        '                cpu "100m"',
        '                memory "128Mi"',
        "            }",
        "            limits {",
        '                memory "128Mi"',
        "            }",
        "        }",
        "        hpa {",
        "            min-replicas 2",
        "            max-replicas 10",
        "            cpu-utilization 75",
        "        }",
        '        log-level "info"',
        '        readiness-path "/healthz"',
        '        liveness-path "/healthz"',
        "    }",
        "    env {",
        '        LOG_LEVEL "info"',
        "    }",
    ]
    for i in range(1, services + 1):
        if hpa_removed(i):
            lines += [f'    service "{svc_name(i)}" {{', "        vars {", "            hpa null", "        }", "    }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def expected_files(model, user_templates, crd_objects):
    """The YAML files (but kustomization.yaml) each environment's folder must hold."""
    out = []
    for idx, s in enumerate(model["services"], start=1):
        n = s["name"]
        multi = len(s["tracks"]) > 1
        for t in s["tracks"]:
            suffix = f"-{t['name']}" if multi else ""
            out.append(f"{n}/deployment{suffix}.yaml")
            if user_templates and not hpa_removed(idx):
                out.append(f"{n}/hpa{suffix}.yaml")
        out.append(f"{n}/service.yaml")
        if multi:
            out += [f"{n}/destinationrule.yaml", f"{n}/virtualservice.yaml"]
        if user_templates:
            out.append(f"{n}/configmap.yaml")
        if crd_objects:
            out.append(f"{n}/edge.yaml")
    return sorted(out)


def cmd_workspace(args):
    ws = args.dir
    os.makedirs(ws, exist_ok=True)
    for sub in ("snapshots", "varsets", "out", ".bench", "templates", "crds"):
        shutil.rmtree(os.path.join(ws, sub), ignore_errors=True)
    S, E, R = args.services, args.envs, args.repos
    commits = []
    for i in range(1, S + 1):
        subj = f"{svc_name(i)}: first version"
        commits.append((i, subj, first_files(i, subj)))
    for i in range(1, S + 1):
        subj = f"{svc_name(i)}: second version"
        commits.append((i, subj, [(f"services/{svc_name(i)}/main.go", None)]))
    hashes = split_import(ws, commits, R)
    model = {
        "services_count": S,
        "envs": [f"env-{e}" for e in range(1, E + 1)],
        "namespaces": {f"env-{e}": env_namespace(e) for e in range(1, E + 1)},
        "replicas": {str(e): env_replicas(e) for e in range(1, E + 1)},
        "log_level": {str(e): ("debug" if e == 1 else "info" if e < E else "warn") for e in range(1, E + 1)},
        "registry": REGISTRY,
        "services": [],
    }
    for i in range(1, S + 1):
        c1, c2 = hashes[i - 1], hashes[S + i - 1]
        if has_canary(i):
            tracks = [{"name": "stable", "commit": c1, "weight": 90},
                      {"name": "canary", "commit": c2, "weight": 10}]
            moved = [{"name": "stable", "commit": c2, "weight": 90},
                     {"name": "canary", "commit": c2, "weight": 10}]
        else:
            tracks = [{"name": "stable", "commit": c1, "weight": 100}]
            moved = [{"name": "stable", "commit": c2, "weight": 100}]
        model["services"].append({
            "name": svc_name(i), "port": port_of(i), "tracks": tracks, "moved_tracks": moved,
            "overrides": {str(e): override_of(i, e) for e in range(1, E + 1) if overridden(i, e)},
        })
    write(os.path.join(ws, "snapset.kdl"), config_kdl(S, E, R, args.clusters))
    for c in range(1, args.clusters + 1):
        write(os.path.join(ws, "varsets", f"cluster-{c}.kdl"), cluster_varset_kdl(c))
    model["clusters"] = [f"c-{c}" for c in range(1, args.clusters + 1)]
    write(os.path.join(ws, "snapshots", "release.kdl"), snapshot_kdl(model, moved=False))
    write(os.path.join(ws, ".bench", "release.kdl"), snapshot_kdl(model, moved=False))
    write(os.path.join(ws, ".bench", "release-moved.kdl"), snapshot_kdl(model, moved=True))
    tpl = args.user_templates
    write(os.path.join(ws, "varsets", "base.kdl"), base_varset_templates(S) if tpl else BASE_VARSET)
    for e in range(1, E + 1):
        write(os.path.join(ws, "varsets", f"env-{e}.kdl"), env_varset_kdl(model, e, structured=tpl))
    os.makedirs(os.path.join(ws, "templates"), exist_ok=True)
    if tpl:
        write(os.path.join(ws, "templates", "track", "deployment.yaml.j2"), USER_DEPLOYMENT)
        write(os.path.join(ws, "templates", "service", "configmap.yaml.j2"), USER_CONFIGMAP)
        write(os.path.join(ws, "templates", "track", "hpa.yaml.j2"), USER_HPA)
    if args.crd_objects:
        # The vendor's CRD is copied at run time into the generated (git-ignored)
        # workspace, never committed.
        doc = crd_document(args.istio_crds, CRD_NAME)
        write(os.path.join(ws, "crds", "virtualservices.yaml"), doc)
        write(os.path.join(ws, "templates", "service", "edge.yaml.j2"), CRD_EDGE)
        model["crd"] = {"name": CRD_NAME, "source": os.path.abspath(args.istio_crds),
                        "bytes": len(doc.encode()), "lines": doc.count("\n"),
                        "versions": re.findall(r"(?m)^    name: (v[0-9a-z]+)\s*$", doc)}
    if tpl or args.crd_objects:
        files = expected_files(model, tpl, args.crd_objects)
        with open(os.path.join(ws, ".bench", "expected-files.json"), "w") as f:
            json.dump({"per_env": files,
                       "hpa": sum(1 for x in files if "/hpa" in x),
                       "crd_objects": sum(1 for x in files if x.endswith("/edge.yaml"))}, f, indent=1)
    with open(os.path.join(ws, ".bench", "model.json"), "w") as f:
        json.dump(model, f, indent=1)


def cmd_history(args):
    """A workspace whose snapshot pins every service at its first commit, over a
    history of per_service commits per service in a shuffled (fixed-seed) order: the
    newest commit of some services is near HEAD, of others deep in the history."""
    ws = args.dir
    os.makedirs(ws, exist_ok=True)
    for sub in ("snapshots", "varsets", "out", ".bench"):
        shutil.rmtree(os.path.join(ws, sub), ignore_errors=True)
    S, N, R = args.services, args.per_service, args.repos
    order = [i for i in range(1, S + 1) for _ in range(N - 1)]
    random.Random(7).shuffle(order)
    commits = []
    for i in range(1, S + 1):
        subj = f"{svc_name(i)}: first version"
        commits.append((i, subj, first_files(i, subj)))
    count = {}
    for i in order:
        count[i] = count.get(i, 1) + 1
        commits.append((i, f"{svc_name(i)}: change {count[i]}", [(f"services/{svc_name(i)}/main.go", None)]))
    # A root-level commit on top, touching no service: bump must look past it.
    commits.append((None, "docs: release notes", [("README.md", "# services\n")]))
    hashes = split_import(ws, commits, R) if R > 1 else fast_import(
        os.path.join(ws, "services.git"), [(c[1], c[2]) for c in commits])
    first = {svc_name(i): hashes[i - 1] for i in range(1, S + 1)}
    last = dict(first)
    for n, i in enumerate(order):
        last[svc_name(i)] = hashes[S + n]
    write(os.path.join(ws, "snapset.kdl"), config_kdl(S, 1, R))
    lines = ['snapshot "release" {']
    for i in range(1, S + 1):
        lines.append(f'    service "{svc_name(i)}" commit="{first[svc_name(i)]}"')
    lines.append("}")
    snap = "\n".join(lines) + "\n"
    write(os.path.join(ws, "snapshots", "release.kdl"), snap)
    write(os.path.join(ws, ".bench", "release.kdl"), snap)
    write(os.path.join(ws, "varsets", "base.kdl"), BASE_VARSET)
    write(os.path.join(ws, "varsets", "env-1.kdl"),
          'varset "env-1" {\n    extends "base"\n    namespace "bench-env-1"\n}\n')
    os.makedirs(os.path.join(ws, "templates"), exist_ok=True)
    with open(os.path.join(ws, ".bench", "expected-bump.json"), "w") as f:
        json.dump({"commits": len(hashes), "newest": last}, f, indent=1)


# ---------------------------------------------------------------------- pipeline

# env-3 takes a service this many env-2 takes after env-2 took it: 3 * 12 + 1 steps of
# 10 minutes, 6 h 10 min, past env-3's soak of 6 h.
PIPELINE_DELAY = 12
PIPELINE_STEP = 600


def pipeline_snapshot(e, pins):
    lines = [f'snapshot "env-{e}" {{']
    lines += [f'    service "{svc_name(i)}" commit="{c}"' for i, c in sorted(pins.items())]
    return "\n".join(lines) + "\n}\n"


def pipeline_config(S, path):
    lines = ["// Generated by bench/gen.py pipeline: issue 19's workspace (see bench/README.md).",
             'repo "services.git"', f'image "{REGISTRY}/{{service}}:{{commit}}"', ""]
    lines += [f'service "{svc_name(i)}" path="services/{svc_name(i)}" port={port_of(i)}' for i in range(1, S + 1)]
    lines.append("")
    rule = {1: "", 2: ' from="env-1"', 3: ' from="env-2" soak="6h"'} if path else {1: "", 2: "", 3: ""}
    lines += [f'environment "env-{e}" snapshot="env-{e}" varset="env-{e}"{rule[e]}' for e in (1, 2, 3)]
    return "\n".join(lines) + "\n"


def cmd_pipeline(args):
    """A workspace in git whose first commit pins every service at its first commit in
    three snapshots (env-1, env-2, env-3), whose second declares env-2 from="env-1" and
    env-3 from="env-2" soak="6h", and whose next N commits (10 minutes apart) each move
    one pin: env-1 takes a service's second commit, then env-2, then, 6 h later, env-3.
    Every pin is proven at HEAD: `check` passes. .bench/plain/ is the same release
    without from= (the plain `check` it is compared with)."""
    ws = args.dir
    S, N = args.services, args.commits
    os.makedirs(ws, exist_ok=True)
    commits = []
    for i in range(1, S + 1):
        subj = f"{svc_name(i)}: first version"
        commits.append((subj, first_files(i, subj)))
    for i in range(1, S + 1):
        commits.append((f"{svc_name(i)}: second version", [(f"services/{svc_name(i)}/main.go", None)]))
    hashes = fast_import(os.path.join(ws, "services.git"), commits)
    first = {i: hashes[i - 1] for i in range(1, S + 1)}
    second = {i: hashes[S + i - 1] for i in range(1, S + 1)}
    pins = {e: dict(first) for e in (1, 2, 3)}
    varsets = [("varsets/base.kdl", BASE_VARSET)] + [
        (f"varsets/env-{e}.kdl", f'varset "env-{e}" {{\n    extends "base"\n    namespace "{env_namespace(e)}"\n}}\n')
        for e in (1, 2, 3)]
    files = [(".gitignore", "/services.git/\n/.bench/\n/.snapset/\n/out/\n"),
             ("snapset.kdl", pipeline_config(S, False))] + varsets
    files += [(f"snapshots/env-{e}.kdl", pipeline_snapshot(e, pins[e])) for e in (1, 2, 3)]
    history = [("a workspace", files), ("the path to production", [("snapset.kdl", pipeline_config(S, True))])]
    for k in range(N):
        j, phase = divmod(k, 3)
        if phase < 2:
            e, i = phase + 1, j % S + 1
        elif j >= PIPELINE_DELAY:
            e, i = 3, (j - PIPELINE_DELAY) % S + 1
        else:
            e, i = 1, S - j
        pins[e][i] = second[i]
        history.append((f"env-{e}: {svc_name(i)} at its second commit",
                        [(f"snapshots/env-{e}.kdl", pipeline_snapshot(e, pins[e]))]))
    stream = []
    for n, (subject, changes) in enumerate(history):
        when = EPOCH + PIPELINE_STEP * n
        msg = subject.encode() + b"\n"
        stream.append(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
        stream.append(b"committer Bench <bench@example.invalid> %d +0000\n" % when)
        stream.append(b"data %d\n%s" % (len(msg), msg))
        for path, content in changes:
            data = content.encode()
            stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        stream.append(b"\n")
    stream = b"".join(stream)
    key = hashlib.sha256(stream).hexdigest()
    stamp = os.path.join(ws, ".git", "bench-stream")
    if not (os.path.exists(stamp) and open(stamp).read() == key):
        shutil.rmtree(os.path.join(ws, ".git"), ignore_errors=True)
        git("init", "-q", "--template=", "-b", "main", ws)
        git("-C", ws, "fast-import", "--quiet", stdin=stream)
        with open(stamp, "w") as f:
            f.write(key)
    # The work tree as HEAD has it.
    git("-C", ws, "reset", "-q", "--hard")
    plain = os.path.join(ws, ".bench", "plain")
    shutil.rmtree(plain, ignore_errors=True)
    write(os.path.join(plain, "snapset.kdl"),
          pipeline_config(S, False).replace('repo "services.git"', 'repo "../../services.git"'))
    for path, content in varsets:
        write(os.path.join(plain, path), content)
    for e in (1, 2, 3):
        write(os.path.join(plain, "snapshots", f"env-{e}.kdl"), pipeline_snapshot(e, pins[e]))
    with open(os.path.join(ws, ".bench", "pipeline.json"), "w") as f:
        json.dump({"commits": len(history), "head_time": EPOCH + PIPELINE_STEP * (len(history) - 1)}, f)


# --------------------------------------------------------------------- kustomize


def k_deployment(svc, track, multi):
    name = f"{svc['name']}-{track['name']}" if multi else svc["name"]
    image = f"{REGISTRY}/{svc['name']}" + ("-canary" if track["name"] == "canary" else "")
    port = svc["port"]
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {svc['name']}
    version: {track['name']}
    app.kubernetes.io/name: {svc['name']}
    app.kubernetes.io/managed-by: kustomize
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {svc['name']}
      version: {track['name']}
  template:
    metadata:
      labels:
        app: {svc['name']}
        version: {track['name']}
        app.kubernetes.io/name: {svc['name']}
    spec:
      containers:
        - name: {svc['name']}
          image: {image}
          ports:
            - name: http
              containerPort: {port}
              protocol: TCP
          env:
            - name: LOG_LEVEL
              value: "info"
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 128Mi
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
"""


def k_service(svc):
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {svc['name']}
  labels:
    app: {svc['name']}
    app.kubernetes.io/name: {svc['name']}
spec:
  selector:
    app: {svc['name']}
  ports:
    - name: http
      port: {svc['port']}
      protocol: TCP
      targetPort: http
"""


def k_istio(svc):
    n = svc["name"]
    dr = f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: {n}
  labels:
    app: {n}
spec:
  host: {n}
  subsets:
""" + "".join(f"    - name: {t['name']}\n      labels:\n        version: {t['name']}\n" for t in svc["tracks"])
    vs = f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {n}
  labels:
    app: {n}
spec:
  hosts:
    - {n}
  http:
    - name: default
      route:
""" + "".join(f"        - destination:\n            host: {n}\n            subset: {t['name']}\n          weight: {t['weight']}\n"
              for t in svc["tracks"])
    return dr, vs


def cmd_kustomize(args):
    with open(args.model) as f:
        model = json.load(f)
    root = args.dir
    shutil.rmtree(root, ignore_errors=True)
    for svc in model["services"]:
        base = os.path.join(root, "base", svc["name"])
        multi = len(svc["tracks"]) > 1
        res = []
        for t in svc["tracks"]:
            fn = f"deployment-{t['name']}.yaml" if multi else "deployment.yaml"
            write(os.path.join(base, fn), k_deployment(svc, t, multi))
            res.append(fn)
        write(os.path.join(base, "service.yaml"), k_service(svc))
        res.append("service.yaml")
        if multi:
            dr, vs = k_istio(svc)
            write(os.path.join(base, "destinationrule.yaml"), dr)
            write(os.path.join(base, "virtualservice.yaml"), vs)
            res += ["destinationrule.yaml", "virtualservice.yaml"]
        write(os.path.join(base, "kustomization.yaml"),
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              + "".join(f"  - {r}\n" for r in res))
    envs = args.env or model["envs"]
    for env in envs:
        e = env.split("-")[1]
        lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization",
                 f"namespace: {model['namespaces'][env]}", "resources:"]
        lines += [f"  - ../../base/{s['name']}" for s in model["services"]]
        lines.append("images:")
        for s in model["services"]:
            for t in s["tracks"]:
                if t["name"] == "canary":
                    lines += [f"  - name: {REGISTRY}/{s['name']}-canary",
                              f"    newName: {REGISTRY}/{s['name']}", f"    newTag: \"{t['commit']}\""]
                else:
                    lines += [f"  - name: {REGISTRY}/{s['name']}", f"    newTag: \"{t['commit']}\""]
        lines += ["patches:",
                  "  - target:", "      kind: Deployment", "    patch: |-",
                  "      - op: replace", "        path: /spec/replicas", f"        value: {model['replicas'][e]}",
                  "      - op: replace", "        path: /spec/template/spec/containers/0/env/0/value",
                  f"        value: \"{model['log_level'][e]}\""]
        for s in model["services"]:
            ov = s["overrides"].get(e)
            if not ov:
                continue
            lines += ["  - target:", "      kind: Deployment", f"      labelSelector: app={s['name']}",
                      "    patch: |-",
                      "      - op: replace", "        path: /spec/replicas", f"        value: {ov['replicas']}",
                      "      - op: replace", "        path: /spec/template/spec/containers/0/resources/requests/cpu",
                      f"        value: \"{ov['cpu']}\""]
            for k, v in ov["env"].items():
                lines += ["      - op: add", "        path: /spec/template/spec/containers/0/env/-",
                          f"        value: {{name: {k}, value: \"{v}\"}}"]
        write(os.path.join(root, "overlays", env, "kustomization.yaml"), "\n".join(lines) + "\n")


# -------------------------------------------------------------------------- helm

HELM_DEPLOYMENT = """{{- /* One Deployment per service and track, like snapset's default template. */ -}}
{{- range $svc := .Values.services }}
{{- $ov := index $.Values.overrides $svc.name | default dict }}
{{- $multi := gt (len $svc.tracks) 1 }}
{{- range $t := $svc.tracks }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ if $multi }}{{ $svc.name }}-{{ $t.name }}{{ else }}{{ $svc.name }}{{ end }}
  namespace: {{ $.Values.namespace | quote }}
  labels:
    app: {{ $svc.name | quote }}
    version: {{ $t.name | quote }}
    app.kubernetes.io/name: {{ $svc.name | quote }}
    app.kubernetes.io/version: {{ substr 0 8 $t.commit | quote }}
    app.kubernetes.io/managed-by: helm
  annotations:
    snapset.dev/commit: {{ $t.commit | quote }}
spec:
  replicas: {{ $ov.replicas | default $.Values.replicas }}
  selector:
    matchLabels:
      app: {{ $svc.name | quote }}
      version: {{ $t.name | quote }}
  template:
    metadata:
      labels:
        app: {{ $svc.name | quote }}
        version: {{ $t.name | quote }}
        app.kubernetes.io/name: {{ $svc.name | quote }}
        app.kubernetes.io/version: {{ substr 0 8 $t.commit | quote }}
    spec:
      containers:
        - name: {{ $svc.name | quote }}
          image: "{{ $.Values.registry }}/{{ $svc.name }}:{{ $t.commit }}"
          ports:
            - name: http
              containerPort: {{ $svc.port }}
              protocol: TCP
          env:
            - name: LOG_LEVEL
              value: {{ $.Values.logLevel | quote }}
            {{- range $k, $v := $ov.env }}
            - name: {{ $k | quote }}
              value: {{ $v | quote }}
            {{- end }}
          resources:
            requests:
              cpu: {{ $ov.cpu | default $.Values.cpu | quote }}
              memory: {{ $.Values.memory | quote }}
            limits:
              memory: {{ $.Values.memory | quote }}
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
{{- end }}
{{- end }}
"""

HELM_SERVICE = """{{- range $svc := .Values.services }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $svc.name | quote }}
  namespace: {{ $.Values.namespace | quote }}
  labels:
    app: {{ $svc.name | quote }}
    app.kubernetes.io/name: {{ $svc.name | quote }}
spec:
  selector:
    app: {{ $svc.name | quote }}
  ports:
    - name: http
      port: {{ $svc.port }}
      protocol: TCP
      targetPort: http
{{- end }}
"""

HELM_ISTIO = """{{- range $svc := .Values.services }}
{{- if gt (len $svc.tracks) 1 }}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: {{ $svc.name | quote }}
  namespace: {{ $.Values.namespace | quote }}
  labels:
    app: {{ $svc.name | quote }}
spec:
  host: {{ $svc.name | quote }}
  subsets:
  {{- range $t := $svc.tracks }}
    - name: {{ $t.name | quote }}
      labels:
        version: {{ $t.name | quote }}
  {{- end }}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {{ $svc.name | quote }}
  namespace: {{ $.Values.namespace | quote }}
  labels:
    app: {{ $svc.name | quote }}
spec:
  hosts:
    - {{ $svc.name | quote }}
  http:
    - name: default
      route:
      {{- range $t := $svc.tracks }}
        - destination:
            host: {{ $svc.name | quote }}
            subset: {{ $t.name | quote }}
          weight: {{ $t.weight }}
      {{- end }}
{{- end }}
{{- end }}
"""


def cmd_helm(args):
    with open(args.model) as f:
        model = json.load(f)
    root = args.dir
    shutil.rmtree(root, ignore_errors=True)
    write(os.path.join(root, "Chart.yaml"),
          "apiVersion: v2\nname: bench\nversion: 0.1.0\ndescription: the snapset benchmark's release as a Helm chart\n")
    write(os.path.join(root, "templates", "deployment.yaml"), HELM_DEPLOYMENT)
    write(os.path.join(root, "templates", "service.yaml"), HELM_SERVICE)
    write(os.path.join(root, "templates", "istio.yaml"), HELM_ISTIO)
    # values.yaml: the release (every service's commits), shared by all environments.
    # JSON is YAML, and json.dumps quotes every string.
    values = {
        "registry": REGISTRY, "namespace": "default", "replicas": 1, "cpu": "100m",
        "memory": "128Mi", "logLevel": "info", "overrides": {},
        "services": [{"name": s["name"], "port": s["port"], "tracks": s["tracks"]} for s in model["services"]],
    }
    write(os.path.join(root, "values.yaml"), json.dumps(values, indent=1) + "\n")
    for env in model["envs"]:
        e = env.split("-")[1]
        per_env = {
            "namespace": model["namespaces"][env], "replicas": model["replicas"][e],
            "logLevel": model["log_level"][e],
            "overrides": {s["name"]: s["overrides"][e] for s in model["services"] if e in s["overrides"]},
        }
        write(os.path.join(root, f"values-{env}.yaml"), json.dumps(per_env, indent=1) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("workspace")
    w.add_argument("dir")
    w.add_argument("--services", type=int, default=1000)
    w.add_argument("--envs", type=int, default=3)
    w.add_argument("--repos", type=int, default=1, help="split the services over this many repositories")
    w.add_argument("--clusters", type=int, default=0,
                   help="run every environment on this many clusters (out/<env>/c-N/), each with a varset of its own")
    w.add_argument("--user-templates", action="store_true",
                   help="user templates (deployment, configmap, hpa) and structured vars (issue 11)")
    w.add_argument("--crd-objects", action="store_true",
                   help="crds/ with Istio's VirtualService CRD and one VirtualService per service")
    w.add_argument("--istio-crds", default=ISTIO_CRDS,
                   help="the Istio CRD bundle to take the VirtualService CRD from (default: %(default)s)")
    h = sub.add_parser("history")
    h.add_argument("dir")
    h.add_argument("--services", type=int, default=1000)
    h.add_argument("--per-service", type=int, default=20)
    h.add_argument("--repos", type=int, default=1, help="split the services over this many repositories")
    pl = sub.add_parser("pipeline")
    pl.add_argument("dir")
    pl.add_argument("--services", type=int, default=1000)
    pl.add_argument("--commits", type=int, default=1000)
    k = sub.add_parser("kustomize")
    k.add_argument("model")
    k.add_argument("dir")
    k.add_argument("--env", action="append")
    m = sub.add_parser("helm")
    m.add_argument("model")
    m.add_argument("dir")
    args = p.parse_args()
    {"workspace": cmd_workspace, "history": cmd_history, "pipeline": cmd_pipeline,
     "kustomize": cmd_kustomize, "helm": cmd_helm}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
