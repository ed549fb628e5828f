// The live view in a real browser: Debian's chromium driven by
// playwright-core (no browser download), against a running twin-publish.
//   node live_view_browser.mjs URL WORKDIR
// WORKDIR holds produce.sh (sends the NDJSON file given to it to Kafka) and
// restart.sh (restarts twin-publish); the screenshot and a result line go
// there too. Asserts through the page's own state (window.twinView):
//   - the design-scale city is drawn, roads coloured by congestion;
//   - a traffic.graph message sent after the page loaded changes that
//     edge's drawn colour, and a transport.gps message for a new bus makes
//     it appear;
//   - when twin-publish goes away the page says "reconnecting", and once it
//     is back the page re-reads /api/state and follows again.
// Prints "live-view: ..." lines and ends with "N passed, N failed".
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
// playwright-core from TWIN_NPM_DIR (NODE_PATH), which ESM imports ignore.
const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");

const [url, work] = process.argv.slice(2);
let passed = 0, failed = 0;
function check(name, ok) {
  if (ok) passed++; else { failed++; console.log(`FAIL: ${name}`); }
}
const COLORS = { low: "#3ccf6e", moderate: "#f2d13a", high: "#f28c28", severe: "#e8383d" };

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.twinView && twinView.connected && twinView.frames > 0,
                             null, { timeout: 60000 });
  const loaded = await page.evaluate(() => ({
    edges: twinView.edges.size, drawnEdges: twinView.drawnEdgeColor.size,
    buses: twinView.buses.size, districts: twinView.districts.size, sequence: twinView.sequence,
    colours: [...new Set(twinView.drawnEdgeColor.values())],
  }));
  console.log(`live-view: loaded sequence ${loaded.sequence}: ${loaded.districts} districts, ` +
              `${loaded.edges} edges (${loaded.drawnEdges} drawn), ${loaded.buses} buses`);
  check("the page drew every edge of the design-scale city",
        loaded.edges >= 15000 && loaded.drawnEdges === loaded.edges);
  check("roads are drawn in the congestion colours",
        loaded.colours.length >= 2 && loaded.colours.every((c) => Object.values(COLORS).includes(c)));

  // A change sent after the page loaded.
  const edgeId = await page.evaluate(() => [...twinView.drawnEdgeColor.keys()][7]);
  const before = await page.evaluate((id) => ({
    colour: twinView.drawnEdgeColor.get(id),
    level: twinView.edges.get(id).trafficConditions.congestionLevel,
  }), edgeId);
  const level = before.level === "severe" ? "low" : "severe";
  const busId = "bus-live-view-test";
  const now = new Date().toISOString();
  const messages = [
    { topic: "traffic.graph", key: edgeId, value: { edgeId, lastUpdated: now,
      trafficConditions: { averageSpeed: 3.5, congestionLevel: level, vehicleCount: 90, travelTime: 9.9 } } },
    { topic: "transport.gps", key: busId, value: { busId, lastUpdated: now, speed: 12.5, passengerCount: 7,
      currentLocation: { latitude: 42.31, longitude: 13.31 } } },
  ];
  writeFileSync(`${work}/change.ndjson`, messages.map((m) => JSON.stringify(m)).join("\n") + "\n");
  const sent = Date.now();
  execFileSync("bash", [`${work}/produce.sh`, `${work}/change.ndjson`]);
  let coloured = true;
  try {
    await page.waitForFunction(([id, colour]) => twinView.drawnEdgeColor.get(id) === colour,
                               [edgeId, COLORS[level]], { timeout: 30000 });
  } catch (e) { coloured = false; }
  console.log(`live-view: edge ${edgeId} ${before.level} -> ${level}: drawn ` +
              `${await page.evaluate((id) => twinView.drawnEdgeColor.get(id), edgeId)} ` +
              `${Date.now() - sent} ms after the message was sent`);
  check("a traffic.graph message sent after the page loaded changed the edge's drawn colour", coloured);
  let bus = true;
  try {
    await page.waitForFunction((id) => twinView.drawnBuses.has(id), busId, { timeout: 30000 });
  } catch (e) { bus = false; }
  check("a transport.gps message for a new bus made it appear", bus);

  // Live traffic meanwhile (the shell produces it): how the page keeps up.
  await page.waitForTimeout(8000);
  const perf = await page.evaluate(() => {
    const d = [...twinView.drawMs].sort((a, b) => a - b);
    const at = (q) => d[Math.min(d.length - 1, Math.floor(q * d.length))];
    return { frames: twinView.frames, p50: at(0.5), p95: at(0.95), max: d[d.length - 1],
             rate: Math.round(twinView.changeTimes.length / 10), sequence: twinView.sequence };
  });
  console.log(`live-view: ${perf.frames} frames drawn; a frame of the whole city takes ` +
              `p50 ${perf.p50.toFixed(1)} ms, p95 ${perf.p95.toFixed(1)} ms, max ${perf.max.toFixed(1)} ms; ` +
              `${perf.rate} changes/s at sequence ${perf.sequence}`);
  // Pointing at the new bus shows it in the panel.
  const at = await page.evaluate((id) => twinView.positions.get("bus:" + id), busId);
  if (at) await page.mouse.move(at[0], at[1]);
  let panel = "";
  try {
    await page.waitForFunction((id) => document.getElementById("detail").textContent.includes(id),
                               busId, { timeout: 5000 });
    panel = await page.evaluate(() => document.getElementById("detail").textContent);
  } catch (e) { /* checked below */ }
  check("the panel shows the entity under the pointer", panel.includes(busId) && panel.includes("passengerCount"));
  await page.screenshot({ path: `${work}/live-view.png` });
  // Pointing around: each move shows a frame without redrawing the city.
  for (let i = 0; i < 40; i++) await page.mouse.move(300 + i * 20, 200 + i * 10);
  await page.waitForTimeout(300);
  const pointing = await page.evaluate(() => {
    const d = [...twinView.composeMs].sort((a, b) => a - b);
    return { n: d.length, p50: d[Math.floor(d.length / 2)], max: d[d.length - 1] };
  });
  console.log(`live-view: pointing: ${pointing.n} frames shown, p50 ${pointing.p50.toFixed(1)} ms, ` +
              `max ${pointing.max.toFixed(1)} ms each`);

  // The stream drops: twin-publish restarts.
  execFileSync("bash", [`${work}/restart.sh`, "stop"]);
  let down = true;
  try {
    await page.waitForFunction(() => !twinView.connected &&
        document.getElementById("conn").textContent !== "live", null, { timeout: 20000 });
  } catch (e) { down = false; }
  check("with twin-publish gone, the page says it is reconnecting", down);
  const restarted = Date.now();
  execFileSync("bash", [`${work}/restart.sh`, "start"]);
  let back = true;
  try {
    await page.waitForFunction((t) => twinView.connected && twinView.loadedAt > t, restarted,
                               { timeout: 60000 });
  } catch (e) { back = false; }
  console.log(`live-view: after the restart, ${await page.evaluate(() => twinView.rereads)} reads ` +
              `of /api/state in all, at sequence ${await page.evaluate(() => twinView.sequence)}`);
  check("once twin-publish is back, the page re-read the state and follows again", back);
  check("the page raised no script error", errors.length === 0);
  for (const e of errors) console.log(`live-view: page error: ${e}`);
  writeFileSync(`${work}/live-view.json`, JSON.stringify(perf));
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
