// Drives benches/ort_web/page.html in one headless Chromium (Debian's, WebGPU on its adapter,
// the flags of the e2e tests): for each cell, LETI's engine, then ONNX Runtime Web's webgpu
// execution provider, then its wasm one, on the same network (the ONNX file `leti export-onnx`
// wrote from the weights LETI runs) and the same input, one after the other. Prints a markdown
// table of medians and ratios, checks that the three runtimes' logits agree, and writes the
// table to LETI_BENCH_OUT when set. Run by run.sh, which sets the environment:
//   LETI_BENCH_ORIGIN  the server of the scratch web root
//   LETI_BENCH_CELLS   JSON file: [{name, spec (cell JSON text), onnx (URL path)}]
//   LETI_BENCH_WARMUP, LETI_BENCH_RUNS, LETI_BENCH_CONV (comma-separated LETI conv families,
//   each optionally with :layerwise, the planner before projections were merged)
import { readFileSync, writeFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "./harness.mjs";

const env = process.env;
const ORIGIN = env.LETI_BENCH_ORIGIN;
const cells = JSON.parse(readFileSync(env.LETI_BENCH_CELLS, "utf8"));
const WARMUP = Number(env.LETI_BENCH_WARMUP || 2);
const RUNS = Number(env.LETI_BENCH_RUNS || 10);
const CONVS = (env.LETI_BENCH_CONV || "auto").split(",");
/// Largest logit difference accepted between two runtimes, relative to the largest logit
/// (float32 sums in different orders; the tract check in tests/onnx.rs saw 5e-7).
const TOLERANCE = 1e-3;
const log = (...a) => console.log("[ort-web bench]", ...a);

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const spread = (v) => { const s = [...v].sort((a, b) => a - b); return `${s[0].toFixed(1)}-${s[s.length - 1].toFixed(1)}`; };
function relDiff(a, b) {
  const scale = Math.max(...a.map(Math.abs), 1e-12);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]))) / scale;
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const rows = [];
let failed = false;
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") log("page:", m.text()); });
  await page.goto(`${ORIGIN}/page.html`);
  const ortVersion = await page.evaluate(() => window.benchReady);
  const chromeVersion = browser.version();
  log(`Chromium ${chromeVersion}, onnxruntime-web ${ortVersion}; ${WARMUP} warm-up and ${RUNS} timed runs each`);
  for (const cell of cells) {
    const leti = [];
    for (const conv of CONVS) {
      const r = await page.evaluate(([s, w, n, c]) => window.runLeti(s, w, n, c), [cell.spec, WARMUP, RUNS, conv]);
      log(`${cell.name}: LETI (${r.conv}) ${median(r.times).toFixed(1)} ms, ${r.dispatches} dispatches, on ${r.adapter}`);
      leti.push(r);
    }
    const input = leti[0].input;
    const ort = {};
    for (const ep of ["webgpu", "wasm"]) {
      ort[ep] = await page.evaluate(([u, e, x, w, n]) => window.runOrt(u, e, x, w, n), [cell.onnx, ep, input, WARMUP, RUNS]);
      log(`${cell.name}: ONNX Runtime Web ${ep} ${ort[ep].median.toFixed(1)} ms`);
    }
    // Every LETI family's logits against each ONNX Runtime provider: the worst counts.
    const worst = (ep) => Math.max(...leti.map((r) => relDiff(r.logits, ort[ep].logits)));
    const diffs = { webgpu: worst("webgpu"), wasm: worst("wasm") };
    for (const [ep, d] of Object.entries(diffs)) {
      if (!(d <= TOLERANCE)) {
        log(`FAIL ${cell.name}: LETI and ONNX Runtime Web ${ep} logits differ by ${d.toExponential(2)} of their scale (tolerance ${TOLERANCE})`);
        failed = true;
      }
    }
    rows.push({ cell, leti, ort, diffs });
  }
  const table = render(rows, { chromeVersion, ortVersion, adapter: rows[0]?.leti[0].adapter });
  console.log("\n" + table);
  if (env.LETI_BENCH_OUT) writeFileSync(env.LETI_BENCH_OUT, table + "\n");
} finally {
  await browser.close();
}
if (failed) process.exit(1);

function render(rows, { chromeVersion, ortVersion, adapter }) {
  const family = (r, i) => (CONVS[i].startsWith("auto") ? `auto (${r.conv})` : r.conv);
  const letiCols = CONVS.length > 1 ? rows[0].leti.map((r, i) => `LETI ${family(r, i)} ms`) : ["LETI ms"];
  const head = ["cell", "dispatches", ...letiCols, "ORT webgpu ms", "ORT wasm ms", ...(CONVS.length > 1 ? ["best LETI / ORT webgpu", "best LETI / ORT wasm"] : ["LETI / ORT webgpu", "LETI / ORT wasm"]), "max logit diff"];
  const lines = [
    `Chromium ${chromeVersion}, adapter ${adapter}; onnxruntime-web ${ortVersion} (wasm: 1 thread); ` +
      `median of ${RUNS} runs after ${WARMUP} warm-up, submit to logits on the CPU (range in brackets).`,
    "",
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
  ];
  for (const { cell, leti, ort, diffs } of rows) {
    const best = Math.min(...leti.map((r) => median(r.times)));
    const ms = (v) => `${median(v).toFixed(1)} (${spread(v)})`;
    lines.push(`| ${cell.name} | ${[...new Set(leti.map((r) => r.dispatches))].join(" / ")} | ${leti.map((r) => ms(r.times)).join(" | ")} | ${ms(ort.webgpu.times)} | ${ms(ort.wasm.times)} | ` +
      `${(best / ort.webgpu.median).toFixed(2)} | ${(best / ort.wasm.median).toFixed(2)} | ${Math.max(diffs.webgpu, diffs.wasm).toExponential(1)} |`);
  }
  return lines.join("\n");
}
