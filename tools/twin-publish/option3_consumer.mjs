// "Option 3" of state-rules.md §3: start from GET /api/state (sequence f,
// from X-Twin-Sequence), then take only the messages with a higher sequence,
// in order, from a capture of both topics (twin-replay capture): apply each
// incremental with jsondiffpatch, replace the state with a state.full. The
// result must deep-equal the final /api/state.
// usage: node option3_consumer.mjs CAPTURE.ndjson START.json START_SEQUENCE FINAL.json
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const jsondiffpatch = require("jsondiffpatch");
const differ = jsondiffpatch.create();

const [captureFile, startFile, startSequence, finalFile] = process.argv.slice(2);
const header = (r, name) => Object.fromEntries(r.headers || [])[name];
const canonical = (v) => JSON.stringify(v, (k, x) =>
  x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k2) => [k2, x[k2]])) : x);
const start = Number(startSequence);
const later = readFileSync(captureFile, "utf8").trim().split("\n").map((l) => JSON.parse(l))
  .map((r) => ({ ...r, seq: Number(header(r, "sequence")) }))
  .filter((r) => r.seq > start)
  .sort((a, b) => a.seq - b.seq);
let state = JSON.parse(readFileSync(startFile, "utf8"));
let previous = start, failures = 0, applied = 0;
for (const r of later) {
  if (r.topic === "state.full") {
    state = JSON.parse(r.value);  // a later full replaces the state (and closes a gap)
  } else if (Number(header(r, "previousSequence")) !== previous) {
    console.error(`FAIL: incremental ${r.seq} does not follow ${previous}`);
    failures++;
  } else {
    state = differ.patch(state, JSON.parse(r.value).delta);
    applied++;
  }
  previous = r.seq;
}
const final = JSON.parse(readFileSync(finalFile, "utf8"));
if (start < 1) { console.error("FAIL: no start sequence"); failures++; }
if (applied === 0) { console.error("FAIL: no incremental after the start"); failures++; }
if (canonical(state) !== canonical(final)) { console.error("FAIL: the state differs from /api/state"); failures++; }
console.log(`option3: from sequence ${start}, ${applied} incremental messages applied`);
process.exit(failures === 0 ? 0 : 1);
