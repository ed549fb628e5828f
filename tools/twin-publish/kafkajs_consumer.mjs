// A live downstream consumer written as the design document's dashboards
// are: kafkajs for Kafka, jsondiffpatch for the deltas, "Option 2" logic.
// It follows state.full and state.incremental from the beginning, applies
// every message in sequence order (messages of the two topics can arrive
// out of order, so it holds an incremental until its predecessor came; a
// later state.full replaces the state whenever it comes, closing any gap,
// and incrementals older than the state are dropped), and
// checks the contract of state-rules.md §3 on the way. It stops once it has
// applied the sequence written in STOP_FILE, then writes its state to OUT.
// usage: node kafkajs_consumer.mjs BROKERS STOP_FILE OUT.json
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require("kafkajs");
const jsondiffpatch = require("jsondiffpatch");
const differ = jsondiffpatch.create();

const [brokers, stopFile, outFile] = process.argv.slice(2);
let passed = 0, failed = 0;
const check = (name, ok, detail = "") => {
  if (ok) passed++; else { failed++; console.error(`FAIL: ${name} ${detail}`); }
};
const kafka = new Kafka({ clientId: "kafkajs-dashboard", brokers: brokers.split(","),
                          logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `dashboard-${process.pid}`, sessionTimeout: 6000,
                                  heartbeatInterval: 500, maxBytes: 64 << 20,
                                  maxBytesPerPartition: 64 << 20 });
const pending = new Map();  // sequence -> message not yet applied
const seen = new Set();
let state = null, last = null, incrementals = 0, fulls = 0;

function apply() {
  for (;;) {
    for (const [seq] of pending) if (last !== null && seq <= last.seq) pending.delete(seq);
    let next = last === null ? undefined : pending.get(last.seq + 1);
    if (!next) {
      next = [...pending.values()].filter((m) => m.type === "full-state")
        .sort((a, b) => a.seq - b.seq)[0];
    }
    if (!next) return;
    pending.delete(next.seq);
    if (next.type === "full-state") {
      state = next.value;
      fulls++;
    } else {
      check(`previousSequence of ${next.seq}`, next.previousSequence === last.seq);
      check(`previousTimestamp of ${next.seq}`, next.previousTimestamp === last.timestamp);
      check(`key of ${next.seq}`, next.key === next.value.cityId);
      state = differ.patch(state, next.value.delta);
      check(`state after ${next.seq} has its timestamp`, state.timestamp === next.value.timestamp);
      incrementals++;
    }
    last = { seq: next.seq, timestamp: state.timestamp };
  }
}

await consumer.connect();
await consumer.subscribe({ topics: ["state.full", "state.incremental"], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    const h = (name) => message.headers[name]?.toString();
    const seq = Number(h("sequence"));
    check(`sequence ${seq} is used once`, !seen.has(seq));
    seen.add(seq);
    pending.set(seq, { seq, type: h("type"), key: message.key?.toString(),
                       previousSequence: Number(h("previousSequence")),
                       previousTimestamp: h("previousTimestamp"),
                       value: JSON.parse(message.value.toString()) });
    apply();
  },
});
const deadline = Date.now() + 120000;
for (;;) {
  await new Promise((r) => setTimeout(r, 200));
  const target = existsSync(stopFile) ? Number(readFileSync(stopFile, "utf8")) : Infinity;
  if ((last && last.seq >= target) || Date.now() > deadline) break;
}
await consumer.disconnect();
check("reached the final sequence", last !== null && existsSync(stopFile) &&
      last.seq >= Number(readFileSync(stopFile, "utf8")), `(at ${last?.seq})`);
check("applied incremental messages", incrementals >= 2, `(${incrementals})`);
check("nothing left waiting for a predecessor", pending.size === 0, `(${pending.size})`);
writeFileSync(outFile, JSON.stringify(state));
console.log(`kafkajs: ${fulls} full and ${incrementals} incremental messages applied`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
