// Conformance check of snapset's Istio objects (and of every file's kind).
//
//   node .ci/validate-istio.mjs OUTDIR
//
// Needs the packages of .ci/package.json installed under SNAPSET_CI_NPM
// (default ${XDG_CACHE_HOME:-$HOME/.cache}/snapset-ci/npm); .ci/conformance.sh does that.
//
// 1. Every *.yaml under OUTDIR except kustomization.yaml is one YAML document (read as
//    YAML 1.1, like kubectl) whose apiVersion/kind is what its file name says.
// 2. destinationrule*.yaml / virtualservice*.yaml are validated with the JSON schemas of
//    @kubernetes-models/istio (networking.istio.io/v1). Those schemas, like Istio's CRDs,
//    do not forbid unknown fields, so the validator is run once more over a Proxy that
//    records which keys it reads: a key of an object that the schema never looked at is
//    a field the schema does not know (maps such as labels or headers are iterated by the
//    schema, so their keys count as read).
// 3. Before any file, the validator is run on known-good and known-bad objects in memory,
//    so a validator that passes everything fails this script.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
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
const load = (p) => import(pathToFileURL(join(nm, p)).href);
const YAML = createRequire(join(prefix, "package.json"))("yaml");
const { DestinationRule } = await load("@kubernetes-models/istio/networking.istio.io/v1/DestinationRule.js");
const { VirtualService } = await load("@kubernetes-models/istio/networking.istio.io/v1/VirtualService.js");

// file name prefix -> expected apiVersion, kind, model class (null: checked elsewhere)
const KINDS = [
  ["destinationrule", "networking.istio.io/v1", "DestinationRule", DestinationRule],
  ["virtualservice", "networking.istio.io/v1", "VirtualService", VirtualService],
  ["deployment", "apps/v1", "Deployment", null],
  ["service", "v1", "Service", null],
];
const kindOfFile = (name) =>
  KINDS.find(([p]) => name === `${p}.yaml` || (name.startsWith(`${p}-`) && name.endsWith(".yaml")));

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
  const bad = [
    ["weight as string", VirtualService, (o) => { o.spec.http[1].route[0].weight = "ten"; }],
    ["unknown spec field", VirtualService, (o) => { o.spec.bogus = 1; }],
    ["unknown nested field", VirtualService, (o) => { o.spec.http[0].match[0].headers["x-beta"].exakt = "1"; }],
    ["unknown metadata field", VirtualService, (o) => { o.metadata.bogus = "x"; }],
    ["header value as bool", VirtualService, (o) => { o.spec.http[0].match[0].headers["x-beta"].exact = true; }],
    ["old apiVersion", VirtualService, (o) => { o.apiVersion = "networking.istio.io/v1alpha3"; }],
    ["label value as bool", DestinationRule, (o) => { o.spec.subsets[0].labels.version = true; }],
    ["missing host", DestinationRule, (o) => { delete o.spec.host; }],
    ["unknown subset field", DestinationRule, (o) => { o.spec.subsets[0].weight = 1; }],
  ];
  validate(VirtualService, vs());
  validate(DestinationRule, dr());
  for (const [what, Model, mutate] of bad) {
    const o = Model === VirtualService ? vs() : dr();
    mutate(o);
    let failed = false;
    try { validate(Model, o); } catch { failed = true; }
    if (!failed) throw new Error(`validator self-test: ${Model.kind} with ${what} was accepted`);
  }
  return bad.length;
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
const counts = { named: 0, DestinationRule: 0, VirtualService: 0 };
for (const file of walk(outdir)) {
  const name = basename(file);
  const rel = file;
  if (name === "kustomization.yaml") continue;
  const kind = kindOfFile(name);
  if (!kind) { errors.push(`${rel}: unexpected file name (expected <kind>[-<track>].yaml)`); continue; }
  const [, apiVersion, kindName, Model] = kind;
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
  if (obj.apiVersion !== apiVersion || obj.kind !== kindName) {
    errors.push(`${rel}: apiVersion/kind is ${obj.apiVersion}/${obj.kind}, the file name says ${apiVersion}/${kindName}`);
    continue;
  }
  counts.named++;
  if (!Model) continue;
  try {
    validate(Model, obj);
    counts[kindName]++;
  } catch (e) {
    errors.push(`${rel}: ${kindName}: ${e.message}`);
  }
}
for (const e of errors) console.error(`istio: ${e}`);
if (errors.length) {
  console.error(`istio: ${errors.length} problem(s)`);
  process.exit(1);
}
console.log(
  `istio: ${counts.DestinationRule + counts.VirtualService} files OK ` +
  `(${counts.DestinationRule} DestinationRule, ${counts.VirtualService} VirtualService; ` +
  `kind matches file name in ${counts.named} files; validator self-test rejected ${selfTests} bad objects)`,
);
