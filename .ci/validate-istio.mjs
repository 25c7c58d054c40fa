// Conformance check of snapset's Istio objects (and of every file's shape).
//
//   node .ci/validate-istio.mjs OUTDIR
//
// Needs the packages of .ci/package.json installed under SNAPSET_CI_NPM
// (default ${XDG_CACHE_HOME:-$HOME/.cache}/snapset-ci/npm); .ci/conformance.sh does that.
//
// 1. Every *.yaml under OUTDIR except kustomization.yaml is exactly one YAML document
//    (read as YAML 1.1, like kubectl) that is a mapping with string apiVersion and kind.
//    Files of the built-in templates (OUTDIR/<env>/<service>/deployment[-<track>].yaml,
//    service.yaml, destinationrule.yaml, virtualservice.yaml) must hold the kind their
//    name says; any other file name (a user template's name) may hold any kind.
// 2. Istio objects are selected by content: every object whose apiVersion's group is
//    istio.io or *.istio.io is validated with the JSON schemas of @kubernetes-models/istio
//    for its apiVersion/kind (networking.istio.io/v1: DestinationRule, Gateway,
//    ServiceEntry, Sidecar, VirtualService, WorkloadEntry, WorkloadGroup;
//    security.istio.io/v1: AuthorizationPolicy, PeerAuthentication,
//    RequestAuthentication; telemetry.istio.io/v1 Telemetry; and the kinds that exist
//    only before v1, such as networking.istio.io/v1alpha3 EnvoyFilter). An Istio kind the
//    package has no model for fails; so does an old version (v1beta1, v1alpha3) of a kind
//    that its group serves as v1 (Istio deprecates those).
//    Those schemas, like Istio's CRDs, do not forbid unknown fields, so the validator is
//    run once more over a Proxy that records which keys it reads: a key of an object
//    that the schema never looked at is a field the schema does not know (maps such as
//    labels or headers are iterated by the schema, so their keys count as read). An
//    object none of whose keys the schema even asked for is a free-form value (a
//    google.protobuf.Struct such as an EnvoyFilter patch) and is not looked into.
// 3. Before any file, the validator is run on known-good and known-bad objects in memory,
//    so a validator that passes everything fails this script.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join, relative, sep } from "node:path";
import { homedir } from "node:os";
import { pathToFileURL } from "node:url";

const outdir = process.argv[2];
if (!outdir || process.argv.length !== 3) {
  console.error("usage: node validate-istio.mjs OUTDIR");
  process.exit(2);
}
const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
const prefix = process.env.SNAPSET_CI_NPM || join(cache, "snapset-ci", "npm");
const nm = join(prefix, "node_modules");
const YAML = createRequire(join(prefix, "package.json"))("yaml");

// ---- the models: every <group>/<version>/index.js the package ships --------------------
const istioDir = join(nm, "@kubernetes-models", "istio");
const MODELS = new Map(); // "apiVersion kind" -> Model
for (const group of readdirSync(istioDir)) {
  if (!/\.istio\.io$/.test(group)) continue;
  for (const version of readdirSync(join(istioDir, group), { withFileTypes: true })) {
    if (!version.isDirectory()) continue;
    const index = join(istioDir, group, version.name, "index.js");
    if (!statSync(index, { throwIfNoEntry: false })?.isFile()) continue;
    const mod = await import(pathToFileURL(index).href);
    for (const Model of Object.values(mod)) {
      if (typeof Model === "function" && Model.apiVersion && Model.kind) {
        MODELS.set(`${Model.apiVersion} ${Model.kind}`, Model);
      }
    }
  }
}
const model = (apiVersion, kind) => MODELS.get(`${apiVersion} ${kind}`);
const REQUIRED = [
  "networking.istio.io/v1 DestinationRule", "networking.istio.io/v1 VirtualService",
  "networking.istio.io/v1 Gateway", "networking.istio.io/v1 ServiceEntry",
  "networking.istio.io/v1 Sidecar", "security.istio.io/v1 AuthorizationPolicy",
  "security.istio.io/v1 PeerAuthentication",
];
for (const k of REQUIRED) {
  if (!MODELS.has(k)) {
    console.error(`istio: @kubernetes-models/istio has no model for ${k}`);
    process.exit(1);
  }
}
const DestinationRule = model("networking.istio.io/v1", "DestinationRule");
const VirtualService = model("networking.istio.io/v1", "VirtualService");
const Gateway = model("networking.istio.io/v1", "Gateway");
const AuthorizationPolicy = model("security.istio.io/v1", "AuthorizationPolicy");
const EnvoyFilter = model("networking.istio.io/v1alpha3", "EnvoyFilter");

const groupOf = (apiVersion) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "");
const isIstio = (group) => group === "istio.io" || group.endsWith(".istio.io");

// The model for an Istio object, or an Error saying why there is none.
function istioModel(apiVersion, kind) {
  const group = groupOf(apiVersion);
  const ga = model(`${group}/v1`, kind);
  if (ga && apiVersion !== `${group}/v1`) {
    return new Error(`${apiVersion} ${kind} is deprecated: write ${group}/v1`);
  }
  return model(apiVersion, kind) ||
    new Error(`${apiVersion} ${kind}: @kubernetes-models/istio 3.0.1 has no model for this Istio kind`);
}

// Files of snapset's built-in templates: their kind is fixed.
const BUILTIN = [
  [/^deployment(-[a-z0-9]([-a-z0-9]*[a-z0-9])?)?\.yaml$/, "apps/v1", "Deployment"],
  [/^service\.yaml$/, "v1", "Service"],
  [/^destinationrule\.yaml$/, "networking.istio.io/v1", "DestinationRule"],
  [/^virtualservice\.yaml$/, "networking.istio.io/v1", "VirtualService"],
];

const isPlain = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Wrap data so that every key the validator reads is recorded in `seen` (object -> Set).
function track(data, seen) {
  if (Array.isArray(data)) return data.map((v) => track(v, seen));
  if (!isPlain(data)) return data;
  const keys = new Set();
  seen.set(data, keys);
  const wrapped = {};
  for (const [k, v] of Object.entries(data)) wrapped[k] = track(v, seen);
  const mark = (k) => { if (typeof k === "string") keys.add(k); };
  return new Proxy(wrapped, {
    get(t, k, r) { mark(k); return Reflect.get(t, k, r); },
    has(t, k) { mark(k); return Reflect.has(t, k); },
    getOwnPropertyDescriptor(t, k) { mark(k); return Reflect.getOwnPropertyDescriptor(t, k); },
  });
}

function unknownFields(data, seen, path = "") {
  const out = [];
  if (Array.isArray(data)) {
    data.forEach((v, i) => out.push(...unknownFields(v, seen, `${path}/${i}`)));
  } else if (isPlain(data)) {
    const keys = seen.get(data) || new Set();
    if (path !== "" && keys.size === 0) return out; // free-form: the schema asked for no key
    for (const [k, v] of Object.entries(data)) {
      if (!keys.has(k)) out.push(`${path}/${k}`);
      else out.push(...unknownFields(v, seen, `${path}/${k}`));
    }
  }
  return out;
}

// Throws on a schema error or an unknown field.
function validate(Model, obj) {
  new Model(obj).validate();
  const seen = new Map();
  const tracked = track(obj, seen);
  Model.prototype.validate.call(tracked);
  // `seen` is keyed by the original objects: walk those.
  const unknown = unknownFields(obj, seen);
  if (unknown.length) throw new Error(`unknown field(s): ${unknown.map((p) => "data" + p).join(", ")}`);
}

// ---- self-test of the validator ------------------------------------------------------
function selfTest() {
  const vs = () => ({
    apiVersion: "networking.istio.io/v1", kind: "VirtualService",
    metadata: { name: "t", namespace: "n", labels: { app: "t" } },
    spec: {
      hosts: ["t"],
      http: [
        { match: [{ headers: { "x-beta": { exact: "1" } } }], route: [{ destination: { host: "t", subset: "beta" } }] },
        { route: [{ destination: { host: "t", subset: "stable" }, weight: 90 },
                  { destination: { host: "t", subset: "canary" }, weight: 10 }] },
      ],
    },
  });
  const dr = () => ({
    apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "t" },
    spec: { host: "t", subsets: [{ name: "stable", labels: { version: "stable" } }] },
  });
  const gw = () => ({
    apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "t" },
    spec: {
      selector: { istio: "ingressgateway" },
      servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["shop.example.com"],
                  tls: { mode: "SIMPLE", credentialName: "shop-tls" } }],
    },
  });
  const ap = () => ({
    apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "t" },
    spec: { selector: { matchLabels: { app: "t" } }, action: "ALLOW",
            rules: [{ from: [{ source: { principals: ["cluster.local/ns/n/sa/cart"] } }] }] },
  });
  const ef = () => ({
    apiVersion: "networking.istio.io/v1alpha3", kind: "EnvoyFilter", metadata: { name: "t" },
    spec: { configPatches: [{ applyTo: "HTTP_FILTER", patch: { operation: "INSERT_BEFORE",
            value: { name: "envoy.lua", typed_config: { "@type": "x", inlineCode: "--" } } } }] },
  });
  const good = [[VirtualService, vs], [DestinationRule, dr], [Gateway, gw], [AuthorizationPolicy, ap], [EnvoyFilter, ef]];
  const bad = [
    ["weight as string", VirtualService, vs, (o) => { o.spec.http[1].route[0].weight = "ten"; }],
    ["unknown spec field", VirtualService, vs, (o) => { o.spec.bogus = 1; }],
    ["unknown nested field", VirtualService, vs, (o) => { o.spec.http[0].match[0].headers["x-beta"].exakt = "1"; }],
    ["unknown metadata field", VirtualService, vs, (o) => { o.metadata.bogus = "x"; }],
    ["header value as bool", VirtualService, vs, (o) => { o.spec.http[0].match[0].headers["x-beta"].exact = true; }],
    ["old apiVersion", VirtualService, vs, (o) => { o.apiVersion = "networking.istio.io/v1alpha3"; }],
    ["label value as bool", DestinationRule, dr, (o) => { o.spec.subsets[0].labels.version = true; }],
    ["missing host", DestinationRule, dr, (o) => { delete o.spec.host; }],
    ["unknown subset field", DestinationRule, dr, (o) => { o.spec.subsets[0].weight = 1; }],
    ["unknown server field", Gateway, gw, (o) => { o.spec.servers[0].portt = 1; }],
    ["port number as string", Gateway, gw, (o) => { o.spec.servers[0].port.number = "443"; }],
    ["unknown action", AuthorizationPolicy, ap, (o) => { o.spec.action = "PERMIT"; }],
    ["unknown rule field", AuthorizationPolicy, ap, (o) => { o.spec.rules[0].form = o.spec.rules[0].from; }],
  ];
  for (const [Model, make] of good) {
    try { validate(Model, make()); } catch (e) {
      throw new Error(`validator self-test: a good ${Model.kind} was rejected: ${e.message}`);
    }
  }
  for (const [what, Model, make, mutate] of bad) {
    const o = make();
    mutate(o);
    let failed = false;
    try { validate(Model, o); } catch { failed = true; }
    if (!failed) throw new Error(`validator self-test: ${Model.kind} with ${what} was accepted`);
  }
  return [good.length, bad.length];
}

// ---- files -----------------------------------------------------------------------------
function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

let selfTests;
try {
  selfTests = selfTest();
} catch (e) {
  console.error(`istio: ${e.message}`);
  process.exit(1);
}

if (!statSync(outdir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error(`istio: ${outdir} is not a directory`);
  process.exit(1);
}
const errors = [];
const counts = new Map(); // kind -> files validated
let files = 0;
let named = 0;
for (const file of walk(outdir)) {
  const name = basename(file);
  const rel = file;
  if (name === "kustomization.yaml") continue;
  files++;
  let docs;
  try {
    docs = YAML.parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1", uniqueKeys: true });
  } catch (e) { errors.push(`${rel}: ${e.message}`); continue; }
  if (!Array.isArray(docs)) docs = [docs];
  const docErrors = docs.flatMap((d) => d.errors.map((e) => e.message));
  if (docErrors.length) { errors.push(`${rel}: YAML: ${docErrors.join("; ")}`); continue; }
  docs = docs.filter((d) => d.toJS() !== null); // an empty document (a lone `---`) is no object
  if (docs.length !== 1) { errors.push(`${rel}: ${docs.length} YAML documents, expected 1`); continue; }
  const obj = docs[0].toJS();
  if (!isPlain(obj)) { errors.push(`${rel}: not a mapping`); continue; }
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
    errors.push(`${rel}: no string apiVersion and kind`);
    continue;
  }
  // <env>/<service>/<file>: the level where the built-in templates write.
  const depth = relative(outdir, file).split(sep).length;
  const builtin = depth === 3 && BUILTIN.find(([re]) => re.test(name));
  if (builtin) {
    const [, apiVersion, kind] = builtin;
    if (obj.apiVersion !== apiVersion || obj.kind !== kind) {
      errors.push(`${rel}: apiVersion/kind is ${obj.apiVersion}/${obj.kind}, the file name says ${apiVersion}/${kind}`);
      continue;
    }
    named++;
  }
  if (!isIstio(groupOf(obj.apiVersion))) continue;
  const Model = istioModel(obj.apiVersion, obj.kind);
  if (Model instanceof Error) { errors.push(`${rel}: ${Model.message}`); continue; }
  try {
    validate(Model, obj);
    counts.set(obj.kind, (counts.get(obj.kind) || 0) + 1);
  } catch (e) {
    errors.push(`${rel}: ${obj.apiVersion} ${obj.kind}: ${e.message}`);
  }
}
for (const e of errors) console.error(`istio: ${e}`);
if (errors.length) {
  console.error(`istio: ${errors.length} problem(s)`);
  process.exit(1);
}
const total = [...counts.values()].reduce((a, b) => a + b, 0);
const byKind = [...counts.entries()].sort().map(([k, n]) => `${n} ${k}`).join(", ") || "none";
console.log(
  `istio: ${total} Istio objects OK (${byKind}); ${files} files are one object each, ` +
  `${named} of them of the kind their built-in file name says; ` +
  `validator self-test: ${selfTests[0]} good objects passed, ${selfTests[1]} bad rejected`,
);
