// jsondiffpatch 0.7 side of //bench:diff_bench: times diff and patch of the
// document pairs it is given (parsing excluded), median of RUNS.
// usage: node jsondiffpatch_bench.mjs RUNS LEFT RIGHT [LEFT RIGHT ...]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const jsondiffpatch = require("jsondiffpatch");
const IDS = ["districtId", "sensorId", "buildingId", "stationId", "nodeId", "edgeId", "busId",
             "incidentId", "unitId"];
const differ = jsondiffpatch.create({
  arrays: { detectMove: true },
  objectHash: (item, index) => {
    if (item && typeof item === "object" && !Array.isArray(item)) {
      for (const f of IDS) if (typeof item[f] === "string") return item[f];
    }
    return "$$index:" + index;
  },
});
const [runs, ...files] = process.argv.slice(2);
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let i = 0; i < files.length; i += 2) {
  const left = JSON.parse(readFileSync(files[i], "utf8"));
  const right = JSON.parse(readFileSync(files[i + 1], "utf8"));
  const diffMs = [], patchMs = [];
  let delta;
  for (let r = 0; r < Number(runs); r++) {
    let t = process.hrtime.bigint();
    delta = differ.diff(left, right);
    diffMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    const copy = structuredClone(left);  // patch mutates; copying is not timed
    t = process.hrtime.bigint();
    differ.patch(copy, delta);
    patchMs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(JSON.stringify({ diff_ms: median(diffMs), patch_ms: median(patchMs),
                               delta_bytes: JSON.stringify(delta).length,
                               rss_mb: process.memoryUsage().rss / 1e6 }));
}
