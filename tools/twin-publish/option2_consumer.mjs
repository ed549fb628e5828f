// The design document's "Option 2" consumer over captured state.full and
// state.incremental records (NDJSON from twin-replay capture): start from a
// state.full, apply each state.incremental with jsondiffpatch.patch, and
// check the contract of state-rules.md §3 on the way.
// usage: node option2_consumer.mjs CAPTURE.ndjson API_STATE.json SAVED.json
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const jsondiffpatch = require("jsondiffpatch");
const differ = jsondiffpatch.create();  // patching needs no objectHash

const [captureFile, apiFile, savedFile] = process.argv.slice(2);
const header = (r, name) => Object.fromEntries(r.headers || [])[name];
const records = readFileSync(captureFile, "utf8").trim().split("\n").map((l) => JSON.parse(l))
  .map((r) => ({ ...r, seq: Number(header(r, "sequence")), message: JSON.parse(r.value) }))
  .sort((a, b) => a.seq - b.seq);
let passed = 0, failed = 0;
const check = (name, ok, detail = "") => {
  if (ok) passed++; else { failed++; console.error(`FAIL: ${name} ${detail}`); }
};
const canonical = (v) => JSON.stringify(v, (k, x) =>
  x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k2) => [k2, x[k2]])) : x);

const first = records.findIndex((r) => r.topic === "state.full");
check("a state.full comes first", first === 0);
let state = null, last = null, incrementals = 0, gaps = 0;
for (const r of records) {
  if (last) check(`sequence ${r.seq} is used once`, r.seq > last.seq);
  if (r.topic === "state.full") {
    check("full headers", header(r, "type") === "full-state" && header(r, "version") === "1.0");
    // A gap (a sequence twin-publish could not be sure it published) is
    // closed by the next state.full, which must come right after it.
    if (last && r.seq !== last.seq + 1) {
      gaps++;
      check(`the gap before ${r.seq} is one sequence`, r.seq === last.seq + 2);
    }
    state = r.message;
    last = { seq: r.seq, timestamp: state.timestamp };
    continue;
  }
  incrementals++;
  check("incremental headers", header(r, "type") === "incremental-state" && header(r, "version") === "1.0");
  check(`sequence ${r.seq} follows ${last.seq}`, r.seq === last.seq + 1);
  check(`previousSequence of ${r.seq}`, Number(header(r, "previousSequence")) === last.seq);
  check(`previousTimestamp of ${r.seq}`, header(r, "previousTimestamp") === last.timestamp);
  check(`key of ${r.seq} is the city id`, r.key === r.message.cityId);
  state = differ.patch(state, r.message.delta);
  check(`after ${r.seq} the state carries the message's timestamp`, state.timestamp === r.message.timestamp);
  last = { seq: r.seq, timestamp: r.message.timestamp };
}
check("some incremental messages were published", incrementals >= 2, `(${incrementals})`);
// A consumer that misses one incremental sees the gap in the headers.
const incs = records.filter((r) => r.topic === "state.incremental");
if (incs.length >= 2) {
  check("a missed message shows as a gap", Number(header(incs[1], "previousSequence")) !== incs[0].seq - 1);
}
const api = JSON.parse(readFileSync(apiFile, "utf8"));
check("the reconstructed state deep-equals /api/state", canonical(state) === canonical(api));
const saved = JSON.parse(readFileSync(savedFile, "utf8"));
delete saved.timestamp;
const withoutTime = { ...state };
delete withoutTime.timestamp;
check("and equals twin-snapshot save (but for the publish timestamp)", canonical(withoutTime) === canonical(saved));
console.log(`option2: ${incrementals} incremental messages applied, ${gaps} gaps closed by a state.full`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
