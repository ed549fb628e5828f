// The design document's three downstream consumers ("Consumer Integration
// Guide", Options 1-3), live: stock kafkajs and jsondiffpatch from npm, no
// codec plugin, against twin-publish with its default settings. Each keeps
// the design document's shape (JSON.parse the value; replace on state.full;
// differ.patch(currentState, data.delta) on state.incremental) and adds only
// what state-rules.md §3 asks of a consumer that wants the exact state:
//
//   option1  subscribes to state.full. Every message must parse.
//   option2  subscribes to both topics. Messages of two topics may arrive in
//            either order, so an incremental waits for its predecessor; a
//            state.full replaces the state whenever it comes (closing a gap).
//   option3  GET /api/state (sequence f from X-Twin-Sequence), then only
//            state.incremental, skipping every delta whose sequence is not
//            above f. A gap (a burnt sequence) makes it read /api/state again.
//
// Each checks the headers on the way, stops once it holds the sequence that
// the test writes to STOP_FILE (for option3: the last incremental's), then
// writes its state to OUT and prints "N passed, N failed".
// usage: node design_consumers.mjs MODE BROKERS HTTP_BASE STOP_FILE OUT.json
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require("kafkajs");
const jsondiffpatch = require("jsondiffpatch");

const [mode, brokers, httpBase, stopFile, outFile] = process.argv.slice(2);
const differ = jsondiffpatch.create();
let passed = 0, failed = 0;
const check = (name, ok, detail = "") => {
  if (ok) passed++; else { failed++; console.error(`FAIL: ${mode}: ${name} ${detail}`); }
};

const kafka = new Kafka({ clientId: `design-${mode}`, brokers: brokers.split(","),
                          logLevel: logLevel.ERROR });
// kafkajs's defaults, except a fetch large enough for a state.full.
const consumer = kafka.consumer({ groupId: `design-${mode}-${process.pid}`,
                                  maxBytes: 64 << 20, maxBytesPerPartition: 64 << 20 });

let currentState = null;
let last = null;  // { seq, timestamp } of currentState
let fulls = 0, incrementals = 0, gaps = 0, skipped = 0, refetches = 0, messages = 0;
let redelivered = 0;
// sequence -> "topic/partition/offset" of the record that carried it. Kafka
// delivers at least once: after a crash kafkajs restarts the consumer, which
// reads again from its last committed offset. The same record read twice is a
// re-delivery; two records with one sequence would be a second use.
const seen = new Map();
const pending = new Map();  // sequence -> message waiting for its predecessor

function updateVisualization() {}  // the design document's dashboard hook

function decode(topic, partition, message) {
  const h = (name) => message.headers[name]?.toString();
  let data = null;
  try {
    data = JSON.parse(message.value.toString());
  } catch (e) {
    check(`a ${topic} message parses`, false, String(e));
  }
  const seq = Number(h("sequence"));
  const record = `${topic}/${partition}/${message.offset}`;
  if (seen.get(seq) === record) {
    redelivered++;
  } else {
    check(`sequence ${seq} of ${topic} is used once`, !seen.has(seq),
          `(${record}, and before ${seen.get(seq)})`);
    seen.set(seq, record);
  }
  check(`key of ${seq} is the city id`, data === null || message.key?.toString() === data.cityId);
  return { topic, data, seq, type: h("type"), version: h("version"),
           previousSequence: Number(h("previousSequence")),
           previousTimestamp: h("previousTimestamp") };
}

function applyIncremental(m) {
  check(`incremental headers of ${m.seq}`, m.type === "incremental-state" && m.version === "1.0");
  check(`previousTimestamp of ${m.seq}`, m.previousTimestamp === last.timestamp);
  currentState = differ.patch(currentState, m.data.delta);
  check(`state after ${m.seq} has the message's timestamp`,
        currentState.timestamp === m.data.timestamp);
  last = { seq: m.seq, timestamp: m.data.timestamp };
  incrementals++;
}

function applyFull(m) {
  check(`full headers of ${m.seq}`, m.type === "full-state" && m.version === "1.0");
  if (last !== null && m.seq !== last.seq + 1) gaps++;
  currentState = m.data;
  last = { seq: m.seq, timestamp: m.data.timestamp };
  fulls++;
}

// Option 2: apply whatever can be applied, in sequence order.
function drain() {
  for (;;) {
    for (const seq of [...pending.keys()]) if (last !== null && seq <= last.seq) pending.delete(seq);
    let next = last === null ? undefined : pending.get(last.seq + 1);
    if (next && next.topic === "state.incremental") {
      check(`previousSequence of ${next.seq}`, next.previousSequence === last.seq);
    }
    if (!next) {
      next = [...pending.values()].filter((m) => m.topic === "state.full")
        .sort((a, b) => a.seq - b.seq)[0];
    }
    if (!next) return;
    pending.delete(next.seq);
    if (next.topic === "state.full") applyFull(next); else applyIncremental(next);
    updateVisualization(currentState);
  }
}

async function fetchState() {
  const response = await fetch(`${httpBase}/api/state`);
  check("GET /api/state is 200", response.status === 200, `(${response.status})`);
  const sequence = Number(response.headers.get("x-twin-sequence"));
  check("GET /api/state has X-Twin-Sequence", sequence > 0);
  currentState = await response.json();
  last = { seq: sequence, timestamp: currentState.timestamp };
  for (const seq of [...pending.keys()]) if (seq <= sequence) pending.delete(seq);
}

// Option 3: deltas above the fetched sequence, in order; a gap re-fetches.
async function drainIncrementals() {
  for (;;) {
    for (const seq of [...pending.keys()]) if (seq <= last.seq) { pending.delete(seq); skipped++; }
    if (pending.size === 0) return;
    const next = pending.get(last.seq + 1);
    if (next && next.previousSequence === last.seq) {
      pending.delete(next.seq);
      applyIncremental(next);
      updateVisualization(currentState);
      continue;
    }
    // Nothing follows last.seq yet. A later incremental whose predecessor is
    // not last.seq means the sequences between were state.fulls or burnt:
    // this consumer cannot patch across them, so it reads the state again.
    const blocked = [...pending.values()].some((m) => m.previousSequence > last.seq);
    if (!blocked) return;
    refetches++;
    await fetchState();
  }
}

const target = () => (existsSync(stopFile) ? Number(readFileSync(stopFile, "utf8")) : Infinity);

await consumer.connect();
if (mode === "option3") await fetchState();
const topics = { option1: ["state.full"], option2: ["state.full", "state.incremental"],
                 option3: ["state.incremental"] }[mode];
if (!topics) throw new Error(`unknown mode ${mode}`);
await consumer.subscribe({ topics, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ topic, partition, message }) => {
    messages++;
    const m = decode(topic, partition, message);
    if (m.data === null) return;
    if (mode === "option1") {  // "always uses latest full state"
      check(`full headers of ${m.seq}`, m.type === "full-state" && m.version === "1.0");
      if (last === null || m.seq > last.seq) {
        currentState = m.data;
        last = { seq: m.seq, timestamp: m.data.timestamp };
        fulls++;
      }
      updateVisualization(currentState);
      return;
    }
    pending.set(m.seq, m);
    if (mode === "option2") drain(); else await drainIncrementals();
  },
});
const deadline = Date.now() + 240000;
while (!(last && last.seq >= target()) && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 200));
}
await consumer.disconnect();
check("reached the final sequence", last !== null && last.seq >= target(),
      `(at ${last?.seq}, want ${target()})`);
if (mode !== "option1") {
  check("applied incremental messages", incrementals >= 2, `(${incrementals})`);
  check("nothing left waiting for a predecessor", pending.size === 0, `(${pending.size})`);
}
if (mode === "option3") check("skipped the deltas /api/state already held", skipped >= 1, `(${skipped})`);
writeFileSync(outFile, JSON.stringify(currentState));
console.log(`${mode}: ${messages} messages, ${fulls} full and ${incrementals} incremental applied, ` +
            `${gaps} gaps closed by a state.full, ${skipped} skipped, ${refetches} re-reads, ` +
            `${redelivered} re-delivered`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
