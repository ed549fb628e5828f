// Conformance of twin-diff with jsondiffpatch 0.7, both ways, on random
// document pairs: jsondiffpatch's patch/unpatch of our delta must give the
// right documents, and our --patch/--unpatch of jsondiffpatch's delta too.
// Also reports how often the two deltas are identical (deep-equal); for
// documents whose arrays are all id-hashed that must be always.
//
// usage: node conformance.mjs TWIN_DIFF_BINARY [PAIRS] [SEED]
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const jsondiffpatch = require("jsondiffpatch");
const [binary, pairsArg, seedArg] = process.argv.slice(2);
const PAIRS = Number(pairsArg || 200);
let seed = Number(seedArg || 12345);

// state-rules.md §3: districtId last.
const ID_FIELDS = ["sensorId", "buildingId", "stationId", "nodeId", "edgeId", "busId",
                   "incidentId", "unitId", "districtId"];
const cityDiffer = jsondiffpatch.create({
  arrays: { detectMove: true },
  objectHash: (item, index) => {
    if (item && typeof item === "object" && !Array.isArray(item)) {
      for (const f of ID_FIELDS) if (typeof item[f] === "string") return item[f];
    }
    return "$$index:" + index;
  },
});

// twin-diff --object-hash id: jsondiffpatch's `item => item.id`, whatever
// the id's type (4 is not "4"), and by position where an item has none.
const byId = jsondiffpatch.create({
  arrays: { detectMove: true },
  objectHash: (item, index) =>
    item && typeof item === "object" && !Array.isArray(item) && item.id !== undefined
      ? item.id : "$$index:" + index,
});

// Deterministic PRNG (mulberry32).
function random() {
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const STRINGS = ["", "a", "Via Roma", "°C", "emoji 😀", "quote \" and \\ slash", "line\nbreak",
                 "x".repeat(80), "日本語", "ü"];
const NUMBERS = [0, 1, -1, 42, 3.5, 0.1, 1e-300, 1.7976931348623157e308, -0.25, 123456789.125,
                 9007199254740991, 13.3995, 1e21];

function primitive() {
  const r = random();
  if (r < 0.35) return pick(NUMBERS);
  if (r < 0.7) return pick(STRINGS);
  if (r < 0.85) return random() < 0.5;
  return null;
}

function value(depth, keyed) {
  const r = random();
  if (depth <= 0 || r < 0.45) return primitive();
  if (r < 0.75) return object(depth - 1, keyed);
  return array(depth - 1, keyed);
}

function object(depth, keyed) {
  const o = {};
  const n = Math.floor(random() * 5);
  for (let i = 0; i < n; i++) o[pick(["a", "b", "c", "value", "status", "loc", "k" + i])] = value(depth, keyed);
  return o;
}

function entity(i, depth, keyed) {
  const e = object(depth, keyed);
  // "id": jsondiffpatch's own examples' numeric ids, with now and then the
  // same digits as a string, which must not match the number.
  e[keyed] = keyed === "id" ? (random() < 0.2 ? String(i) : i) : "id-" + i;
  return e;
}

function array(depth, keyed) {
  const n = Math.floor(random() * 7);
  const out = [];
  if (keyed) {
    const ids = new Set();
    while (ids.size < n) ids.add(Math.floor(random() * 12));
    for (const i of ids) out.push(entity(i, depth, keyed));
  } else {
    for (let i = 0; i < n; i++) out.push(value(depth, keyed));
  }
  return out;
}

function mutate(v, depth, keyed) {
  if (random() < 0.15) return value(depth, keyed);  // replace, maybe a type change
  if (Array.isArray(v)) {
    const out = v.map((x) => (random() < 0.4 ? mutate(x, depth - 1, keyed) : x));
    if (random() < 0.3 && out.length) out.splice(Math.floor(random() * out.length), 1);
    if (random() < 0.3) {
      const item = keyed ? entity(100 + Math.floor(random() * 50), depth, keyed) : value(depth, keyed);
      out.splice(Math.floor(random() * (out.length + 1)), 0, item);
    }
    if (random() < 0.3 && out.length > 1) {  // a move
      const [x] = out.splice(Math.floor(random() * out.length), 1);
      out.splice(Math.floor(random() * (out.length + 1)), 0, x);
    }
    if (keyed) {  // ids stay unique within an array
      const seen = new Set();
      return out.filter((x) => !(x && typeof x === "object" && x[keyed] !== undefined &&
        (seen.has(x[keyed]) || !seen.add(x[keyed]))));
    }
    return out;
  }
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (random() < 0.1) continue;  // deleted
      out[k] = random() < 0.5 ? mutate(x, depth - 1, keyed) : x;
    }
    if (random() < 0.3) out["new" + Math.floor(random() * 3)] = value(depth, keyed);
    return out;
  }
  return random() < 0.5 ? primitive() : v;
}

function idDocument() {
  return { items: array(3, "id"), meta: object(2, "id"), nested: [{ id: 1, list: array(2, "id") }] };
}

function document(keyed) {
  // keyed: every array holds entities with an id field
  const field = keyed ? pick(ID_FIELDS) : null;
  return { districts: array(3, field), meta: object(2, field), list: array(2, field) };
}

const dir = mkdtempSync(join(tmpdir(), "twin-conformance-"));
const write = (name, v) => { const p = join(dir, name); writeFileSync(p, JSON.stringify(v)); return p; };
function twin(args) {
  const r = spawnSync(binary, args, { encoding: "utf8" });
  if (r.status !== 0 && r.status !== 1) throw new Error(`twin-diff ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout.trim() === "" ? undefined : JSON.parse(r.stdout);
}
const clone = (v) => JSON.parse(JSON.stringify(v));
const same = (a, b) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

let passed = 0, failed = 0, theirOwn = 0;
const identical = { keyed: [0, 0], mixed: [0, 0], "numeric-id": [0, 0] };
for (let i = 0; i < PAIRS; i++) {
  // Every third pair: ids named by --object-hash id, of any JSON type.
  const numeric = i % 3 === 2;
  const keyed = numeric || i % 3 === 0;
  const left = numeric ? idDocument() : document(keyed);
  const right = mutate(clone(left), 4, numeric ? "id" : null);
  const L = write("left.json", left), R = write("right.json", right);
  const hash = numeric ? ["--object-hash", "id"] : [];
  const differ = numeric ? byId : cityDiffer;
  const ours = twin([...hash, L, R]);
  const theirs = differ.diff(clone(left), clone(right));
  const problems = [];
  // jsondiffpatch's unpatch goes through its reverse, which misplaces items
  // for some deltas with several moves, even its own: such pairs are counted
  // apart, and there only our unpatch is checked.
  let theirUnpatchWorks = true;
  try {
    theirUnpatchWorks = theirs === undefined || same(differ.unpatch(clone(right), clone(theirs)), left);
  } catch (e) {
    theirUnpatchWorks = false;
  }
  if (!theirUnpatchWorks) theirOwn++;
  // jsondiffpatch applies our delta.
  if (ours !== undefined) {
    if (!same(differ.patch(clone(left), clone(ours)), right)) problems.push("jsondiffpatch.patch(ours)");
    let back;
    try { back = differ.unpatch(clone(right), clone(ours)); } catch (e) { back = e.message; }
    if (theirUnpatchWorks && !same(back, left)) problems.push("jsondiffpatch.unpatch(ours)");
  } else if (theirs !== undefined) {
    problems.push("we saw no difference");
  }
  // We apply jsondiffpatch's delta.
  if (theirs !== undefined) {
    const D = write("delta.json", theirs);
    if (!same(twin(["--patch", L, D]), right)) problems.push("twin-diff --patch(theirs)");
    if (!same(twin(["--unpatch", R, D]), left)) problems.push("twin-diff --unpatch(theirs)");
  }
  const kind = numeric ? "numeric-id" : keyed ? "keyed" : "mixed";
  identical[kind][1]++;
  if (JSON.stringify(sortKeys(ours)) === JSON.stringify(sortKeys(theirs))) identical[kind][0]++;
  else if (keyed) problems.push("delta differs from jsondiffpatch's on an id-hashed document");
  if (problems.length) {
    failed++;
    if (failed <= 5) {
      console.error(`pair ${i}: ${problems.join(", ")}`);
      console.error(`  left:   ${JSON.stringify(left)}\n  right:  ${JSON.stringify(right)}`);
      console.error(`  ours:   ${JSON.stringify(ours)}\n  theirs: ${JSON.stringify(theirs)}`);
    }
  } else {
    passed++;
  }
}
for (const [kind, [same, all]] of Object.entries(identical)) {
  console.log(`identical deltas, ${kind} documents: ${same}/${all} (${(100 * same / all).toFixed(1)}%)`);
}
console.log(`pairs whose delta jsondiffpatch itself cannot unpatch: ${theirOwn}`);
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
