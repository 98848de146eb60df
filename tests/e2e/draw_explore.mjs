// End-to-end test of the Draw and Explore pages: the real pages served by the real
// `leti serve` (with the bundled models of trained/), in headless Chromium (Debian's, through
// playwright-core) on its SwiftShader WebGPU adapter.
// Draw: draws the NAS-Bench-101 README cell by taps on the editor and reads its module hash,
// trainable parameters and a latency estimate with a range off the page; the URL keeps the
// cell across a reload; "Measure on this device" shows measured next to predicted; "Download
// ONNX" gives the bytes `leti export-onnx` writes.
// Draw also: Undo/Redo, 44 px vertices in a column at 390 and 320 px.
// Explore: waits for every cell to be predicted in the worker, checks the plot drew all
// 423,624 cells, reads the prediction time, filters, searches a hash (Draw's number for the
// README cell must match), hovers and long-presses a cell, reads the parameters/latency front
// and its largest cell per budget, opens a synthetic NAS-Bench-101 file (written here in the
// dataset's format, imported by `leti nasbench import`) and reads the accuracy plot, its front
// and "most accurate under X ms" (kept over a reload, shown in Draw), and opens a cell in Draw.
// Screenshots at phone (390x844) and desktop (1280x800) size go to docs/screenshots/.
//
// Run through .ci/e2e-web, which builds the app and sets LETI_BIN / LETI_PORT / LETI_DB.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { CHROMIUM, CHROMIUM_ARGS, Serve } from "./harness.mjs";

const SHOTS = process.env.LETI_SHOTS || "docs/screenshots";
const server = new Serve({
  bin: process.env.LETI_BIN, port: process.env.LETI_PORT || "18081", db: process.env.LETI_DB,
  webRoot: process.env.LETI_WEB_ROOT || "www", modelsDir: process.env.LETI_MODELS || "trained",
});
const ORIGIN = server.origin;
const SPACE_SIZE = 423624;
mkdirSync(SHOTS, { recursive: true });
const log = (...a) => console.log("[e2e draw/explore]", ...a);

// The README cell's expected values, from the Rust tests' single source (tests/common/mod.rs).
const common = readFileSync(process.env.LETI_COMMON || "tests/common/mod.rs", "utf8");
const README_HASH = common.match(/README_HASH: &str = "([0-9a-f]{32})"/)[1];
const README_PARAMS = Number(common.match(/README_PARAMS: u64 = ([0-9_]+)/)[1].replace(/_/g, ""));
const withCommas = (n) => n.toLocaleString("en-US");
// The README cell as NAS-Bench-101's README writes it.
const README_SPEC = {
  module_adjacency: [[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]],
  module_operations: ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"],
};

/// CRC-32C (Castagnoli), as TFRecord frames use it, masked the TFRecord way.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c >>> 0;
});
function maskedCrc(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}
function tfrecord(rows) {
  const parts = [];
  for (const data of rows) {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(data.length));
    const c1 = Buffer.alloc(4), c2 = Buffer.alloc(4);
    c1.writeUInt32LE(maskedCrc(len));
    c2.writeUInt32LE(maskedCrc(data));
    parts.push(len, c1, data, c2);
  }
  return Buffer.concat(parts);
}
/// A `nasbench.ModelMetrics` protobuf: three EvaluationData (start, halfway, end of training).
function modelMetrics(params, final) {
  const dbl = (field, v) => { const b = Buffer.alloc(9); b[0] = (field << 3) | 1; b.writeDoubleLE(v, 1); return b; };
  const varint = (v) => { const o = []; while (v > 127) { o.push((v & 127) | 128); v >>>= 7; } o.push(v); return Buffer.from(o); };
  const evaluation = (e) => Buffer.concat([dbl(1, e.epoch), dbl(2, e.time), dbl(3, e.acc), dbl(4, e.valid), dbl(5, e.acc)]);
  const evals = [{ epoch: 0, time: 0, acc: 0.1, valid: 0.1 }, { epoch: 54, time: final.time / 2, acc: final.acc - 0.05, valid: final.valid - 0.05 }, { epoch: 108, ...final }];
  const msgs = evals.map((e) => { const m = evaluation(e); return Buffer.concat([Buffer.from([0x0a]), varint(m.length), m]); });
  return Buffer.concat([...msgs, Buffer.from([0x10]), varint(params), dbl(3, final.time * 1.1)]);
}
/// `n` cells of the space (a seeded sample) with made-up results, 3 runs each at 108 epochs,
/// written as a dataset file; returns its path, the import's output path and the best cell.
function syntheticNasbench(bin, n) {
  const dir = mkdtempSync(join(tmpdir(), "leti-nb-"));
  const cells = execFileSync(bin, ["space", "sample", "--n", String(n), "--seed", "11"], { encoding: "utf8" }).trim().split("\n").map((l) => JSON.parse(l));
  const rows = [];
  let best = null;
  for (const c of cells) {
    const base = 0.75 + 0.2 * (parseInt(c.hash.slice(0, 4), 16) / 65535);
    const accs = [base - 0.002, base, base + 0.002];
    const adjacency = c.module_adjacency.flat().join("");
    for (const [k, acc] of accs.entries()) {
      const metrics = modelMetrics(1000, { acc, valid: acc + 0.004, time: 1500 + 10 * k });
      rows.push(Buffer.from(JSON.stringify([c.hash, 108, adjacency, c.module_operations.join(","), metrics.toString("base64")]), "utf8"));
    }
    // The mean as the file keeps it: each accuracy rounded to 1/65535.
    const mean = accs.map((a) => Math.round(a * 65535) / 65535).reduce((s, a) => s + a, 0) / 3;
    if (!best || mean > best.mean) best = { hash: c.hash, mean };
  }
  const tfrecordPath = join(dir, "nasbench_synthetic.tfrecord");
  writeFileSync(tfrecordPath, tfrecord(rows));
  return { tfrecord: tfrecordPath, out: join(dir, "nb101.bin"), records: rows.length, best };
}

/// A pixel the scatter's density image inked (blue: the grid and labels are grey), in CSS
/// pixels of the canvas; null if none.
function inkedSpot(page) {
  return page.evaluate(() => {
    const c = document.getElementById("plot-scatter");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const k = c.width / c.clientWidth;
    for (let i = 0; i < d.length; i += 4 * 97) {
      if (d[i + 3] > 0 && d[i + 2] - d[i] > 80) {
        const p = i / 4;
        return { x: (p % c.width) / k, y: Math.floor(p / c.width) / k };
      }
    }
    return null;
  });
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
let failed = false;
try {
  await server.start();
  const models = (await (await fetch(`${ORIGIN}/api/v1/models`)).json()).models;
  assert.ok(models.length > 0, "the server bundles at least one model");
  log("models:", models.map((m) => m.name).join(", "));

  // ---- Draw, on a phone, by taps.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const page = await phone.newPage();
  page.on("console", (m) => { if (m.type() === "error") log("console:", m.text()); });
  // An unknown address shows the app's own not-found page, with the navigation, as a 404.
  const nf = await page.goto(ORIGIN + "/no/such/page");
  assert.equal(nf.status(), 404);
  await page.getByRole("heading", { name: "Page not found" }).waitFor();
  assert.equal(await page.locator("nav a").count(), 3, "the navigation is there");
  assert.equal(await page.title(), "Page not found · LETI");
  await page.goto(ORIGIN + "/draw");
  await page.locator("svg.cell-drawing").waitFor();
  assert.equal(await page.title(), "Draw a cell · LETI");
  const vertex = (v) => page.locator(`svg.cell-drawing [data-vertex="${v}"]`);
  const edge = async (a, b) => { await vertex(a).tap(); await vertex(b).tap(); };
  await page.getByRole("button", { name: "Start over" }).tap();
  for (let i = 0; i < 5; i++) await page.getByRole("button", { name: "Add vertex" }).tap();
  assert.equal(await page.locator("svg.cell-drawing [data-vertex]").count(), 7);
  assert.equal(await page.getByRole("button", { name: "Add vertex" }).isDisabled(), true, "at most 7 vertices");
  await vertex(1).tap();
  await page.getByRole("button", { name: "conv 1×1" }).tap();
  await vertex(5).tap();
  await page.getByRole("button", { name: "max-pool 3×3" }).tap();
  await edge(6, 0); // "Start over" joined input to output: tapped later-first, it is removed
  await page.getByText("Not a valid cell: the input is not connected to the output").waitFor();
  await edge(0, 1);
  await edge(1, 6);
  await edge(0, 2);
  // Vertex 2 has no way to the output yet: shown as removed by pruning.
  assert.ok((await vertex(2).getAttribute("class")).includes("pruned"), "a vertex without a path to the output is shown as pruned");
  assert.ok(!(await vertex(1).getAttribute("class")).includes("pruned"));
  await page.getByText(/Pruning removes vertex 2, 3, 4, 5/).waitFor();
  for (const [a, b] of [[0, 3], [0, 5], [2, 6], [3, 4], [4, 6], [5, 6]]) await edge(a, b);
  await page.locator(".hash").waitFor();
  assert.equal(await page.locator(".hash").textContent(), README_HASH, "module hash of the drawn cell");
  assert.equal(await page.locator(".params").textContent(), withCommas(README_PARAMS), "trainable parameters");
  assert.equal(await page.locator("svg.cell-drawing .pruned").count(), 0, "nothing pruned in the README cell");
  const est = page.locator("li.estimate").first();
  await est.waitFor({ timeout: 60_000 });
  const point = await est.locator(".point").textContent();
  const range = await est.locator(".range").textContent();
  assert.match(point, /^\d+(\.\d+)? ms$/, "a point estimate");
  const m = range.match(/^\d+% range (\d+(?:\.\d+)?) ms–(\d+(?:\.\d+)?) ms$/);
  assert.ok(m, `a range: ${range}`);
  const p = parseFloat(point);
  assert.ok(+m[1] <= p && p <= +m[2], `the range ${range} holds the point ${point}`);
  const drawModel = await est.getAttribute("data-model");
  log(`drawn by taps: hash ${README_HASH}, ${README_PARAMS} parameters, estimate ${point} (${range}) by ${drawModel}`);
  await page.screenshot({ path: `${SHOTS}/draw-phone.png`, fullPage: true });

  // "Download ONNX" gives the bytes `leti export-onnx` writes for the same cell.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download ONNX" }).click()]);
  assert.equal(download.suggestedFilename(), `cell-${README_HASH.slice(0, 8)}.onnx`);
  const onnxDir = mkdtempSync(join(tmpdir(), "leti-onnx-"));
  const fromPage = readFileSync(await download.path());
  execFileSync(process.env.LETI_BIN, ["export-onnx", "--out", join(onnxDir, "cli.onnx")], { input: JSON.stringify(README_SPEC) });
  assert.ok(fromPage.equals(readFileSync(join(onnxDir, "cli.onnx"))), "Draw's ONNX file is the CLI's, byte for byte");
  log(`Download ONNX: ${download.suggestedFilename()}, ${fromPage.length} bytes, the same as leti export-onnx`);

  // The cell lives in the URL: a reload (or a shared link) shows the same cell.
  assert.match(page.url(), /\/draw\?cell=1333m-1d0463$/, "a short share URL");
  await page.reload();
  await page.locator(".hash").waitFor();
  assert.equal(await page.locator(".hash").textContent(), README_HASH, "the URL keeps the cell");
  const shared = page.url();

  // A 10th edge is refused and the cell stays; Back undoes an edit within Draw; broken JSON
  // keeps the (faded) drawing and Start over, with the error said once.
  await edge(1, 2);
  await page.getByText(/^Not done: after pruning the cell has 10 edges/).waitFor();
  assert.equal(await page.locator(".hash").textContent(), README_HASH, "a refused edit leaves the cell as it was");
  await vertex(5).tap();
  await page.getByRole("button", { name: "conv 3×3", exact: true }).tap();
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-vertex") === "5", null, { timeout: 5_000 });
  await page.waitForFunction((h) => document.querySelector(".hash")?.textContent !== h, README_HASH);
  await page.goBack();
  await page.waitForFunction((h) => document.querySelector(".hash")?.textContent === h, README_HASH);
  assert.match(page.url(), /\/draw\/?\?cell=1333m-1d0463$/, "Back undid the edit and stayed in Draw");
  // Undo and Redo are Back and Forward through Draw's own edits, disabled where they would leave.
  const undo = page.getByRole("button", { name: "Undo", exact: true });
  const redo = page.getByRole("button", { name: "Redo", exact: true });
  assert.ok((await undo.isDisabled()) && !(await redo.isDisabled()), "after Back: nothing earlier to undo, the edit to redo");
  await redo.tap();
  await page.waitForFunction((h) => document.querySelector(".hash")?.textContent !== h, README_HASH);
  await page.waitForFunction(() => !document.querySelector(".undo-redo button")?.disabled);
  await undo.tap();
  await page.waitForFunction((h) => document.querySelector(".hash")?.textContent === h, README_HASH);
  assert.ok(await undo.isDisabled(), "Undo stops at the first drawing");
  await page.locator("textarea.spec").fill("{ broken");
  await page.locator("svg.cell-drawing.stale").waitFor();
  assert.equal(await page.getByText(/Not a valid cell/).count(), 1, "the error is said once");
  assert.ok(await page.getByRole("button", { name: "Start over" }).isVisible(), "Start over stays");
  // Keyboard: Enter selects the focused vertex, Escape cancels.
  await page.goto(shared);
  await page.locator(".hash").waitFor();
  await vertex(2).focus();
  await page.keyboard.press("Enter");
  await page.locator("svg.cell-drawing .vertex.selected").waitFor();
  await page.keyboard.press("Escape");
  await page.getByText("Selection cancelled.").waitFor();
  assert.equal(await page.locator("svg.cell-drawing .vertex.selected").count(), 0, "Escape cancels the selection");
  log("edits: 10th edge refused, Back and Undo undo, Redo redoes, focus stays after an op choice, Escape cancels, broken JSON keeps the drawing");
  // Tap targets: a column of vertices on narrow screens, each at least 44 px across, apart.
  for (const width of [390, 320]) {
    const narrow = await browser.newContext({ viewport: { width, height: 700 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const np = await narrow.newPage();
    await np.goto(shared);
    await np.locator("svg.cell-drawing.vertical").waitFor();
    const boxes = await np.$$eval("svg.cell-drawing [data-vertex] circle", (cs) => cs.map((c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; }));
    assert.equal(boxes.length, 7);
    const smallest = Math.min(...boxes.flatMap((b) => [b.w, b.h]));
    assert.ok(smallest >= 44, `vertices are 44 px tap targets at ${width} px: ${smallest.toFixed(1)} px`);
    for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i].y >= boxes[i - 1].y + boxes[i - 1].h, `vertex ${i} sits below vertex ${i - 1}`);
    await np.locator("svg.cell-drawing [data-vertex=\"3\"]").tap();
    await np.locator("svg.cell-drawing .vertex.selected").waitFor();
    log(`at ${width} px: vertices ${smallest.toFixed(1)} px across, in a column`);
    if (width === 320) await np.screenshot({ path: `${SHOTS}/draw-320.png`, fullPage: true });
    await narrow.close();
  }
  await page.goto(shared);
  await page.locator(".hash").waitFor();

  // ---- A phone whose GPU no model describes (the adapter spoofed as an Adreno 740): Draw and
  // Explore say so first, and label the other devices' estimates by device, not file name.
  const adreno = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  await adreno.addInitScript(() => {
    Object.defineProperty(GPUAdapter.prototype, "info", {
      get: () => ({ vendor: "qualcomm", architecture: "adreno-7xx", device: "", description: "Adreno (TM) 740", isFallbackAdapter: false }),
    });
  });
  const apage = await adreno.newPage();
  await apage.goto(ORIGIN + "/draw");
  await apage.locator("p.no-model").waitFor({ timeout: 60_000 });
  const firstTitle = await apage.locator("li.estimate .model").first().textContent();
  assert.match(firstTitle, /^On /, `another device's estimate is labelled by its device: ${firstTitle}`);
  assert.equal(await apage.locator("li.estimate.here").count(), 0, "no estimate passes for this device's");
  await apage.screenshot({ path: `${SHOTS}/draw-phone-no-model.png`, fullPage: true });
  await apage.goto(ORIGIN + "/explore");
  await apage.locator("p.no-model").waitFor({ timeout: 60_000 });
  const option = await apage.locator("#model option").first().textContent();
  assert.match(option, /\(.*\.model\)$/, `models are named by device: ${option}`);
  log(`spoofed Adreno: Draw says "${(await apage.locator("p.no-model").textContent()).slice(0, 40)}…", first estimate "${firstTitle}", Explore lists "${option}"`);
  await adreno.close();

  // ---- Draw on a desktop: measure the shared cell on this device.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const dpage = await desk.newPage();
  dpage.on("console", (m) => { if (m.type() === "error") log("console:", m.text()); });
  await dpage.goto(shared);
  await dpage.locator("li.estimate").first().waitFor({ timeout: 60_000 });
  assert.equal(await dpage.locator(".hash").textContent(), README_HASH, "the shared link opens the cell");
  const measure = dpage.getByRole("button", { name: "Measure on this device" });
  await dpage.waitForFunction(() => [...document.querySelectorAll("button")].some((b) => b.textContent === "Measure on this device" && !b.disabled), null, { timeout: 60_000 });
  await measure.click();
  await dpage.locator(".measured-ms").waitFor({ timeout: 300_000 });
  const measured = await dpage.locator(".measured-ms").textContent();
  assert.ok((await dpage.locator("table.side-by-side tbody tr").count()) >= 1, "measured next to predicted");
  const layerBars = await dpage.locator(".layer-chart rect.layer-bar").count();
  // Draw asks for a per-layer profile even on a software adapter (the Measure page does not).
  assert.ok(layerBars > 0, "the measurement shows per-layer bars");
  log(`measured here: ${measured}; ${layerBars} per-layer bars`);
  await dpage.screenshot({ path: `${SHOTS}/draw-desktop.png`, fullPage: true });

  // ---- Explore on a desktop.
  await dpage.goto(ORIGIN + "/explore");
  const predicted = dpage.locator("ul.progress-steps[data-predict-ms]");
  await predicted.waitFor({ timeout: 180_000 });
  const predictMs = Number(await predicted.getAttribute("data-predict-ms"));
  assert.equal(await dpage.title(), "Explore the space · LETI");
  await dpage.getByText(`Plotted ${withCommas(SPACE_SIZE)} of ${withCommas(SPACE_SIZE)} cells.`).waitFor({ timeout: 120_000 });
  const inked = await dpage.evaluate(() => {
    const c = document.getElementById("plot-scatter");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  assert.ok(inked > 2000, `the scatter has ink (${inked} pixels)`);
  const model = await dpage.locator("#model").inputValue();
  log(`explore: ${SPACE_SIZE} cells predicted with ${model} in ${predictMs} ms (request to predictions on the page; ${await predicted.getAttribute("data-predict-workers")}), ${inked} inked pixels`);
  await dpage.screenshot({ path: `${SHOTS}/explore-desktop.png`, fullPage: true });

  // Filter: no max-pool vertex.
  await dpage.locator("#f-maxpool").selectOption("0");
  const plotted = await dpage.locator("#plotted").textContent();
  const kept = Number(plotted.match(/Plotted ([\d,]+) of/)[1].replace(/,/g, ""));
  assert.ok(kept > 0 && kept < SPACE_SIZE, `the op filter narrows the plot: ${plotted}`);
  await dpage.locator("#f-maxpool").selectOption("any");
  await dpage.getByText(`Plotted ${withCommas(SPACE_SIZE)} of`).waitFor();
  // The latency range applies as it is typed, and says why nothing is plotted.
  await dpage.locator("#f-min").fill("100000000");
  await dpage.getByText(/^Plotted 0 of [\d,]+ cells: no cell has/).waitFor();
  await dpage.locator("#f-min").fill("20");
  await dpage.locator("#f-max").fill("10");
  await dpage.getByText("The latency range is empty: from 20 ms is above to 10 ms.").waitFor();
  await dpage.locator("#f-min").fill("");
  await dpage.locator("#f-max").fill("");
  await dpage.getByText(`Plotted ${withCommas(SPACE_SIZE)} of`).waitFor();

  // The view lives in the address: a filter set before leaving for Draw is back after Back.
  await dpage.locator("#f-conv1x1").selectOption("1");
  await dpage.waitForURL(/\/explore\?conv1=1$/);

  // Search by hash, then open the hit in Draw.
  await dpage.locator("#hash-search").fill(README_HASH.slice(0, 8));
  await dpage.getByRole("button", { name: "Find" }).click();
  const hit = dpage.locator("ul.hits a").first();
  await hit.waitFor();
  assert.equal(await hit.textContent(), README_HASH, "search finds the README cell");
  // Draw predicts the README's drawing, Explore the space's labeling of the same cell: both
  // read the cell in the generator's labeling, so one model gives one number.
  const hitLine = await dpage.locator("ul.hits li").first().textContent();
  log(`README cell: Draw ${point} (${drawModel}, README labeling); Explore "${hitLine}" (${model}, the space's labeling)`);
  if (drawModel === model) {
    const explored = parseFloat(hitLine.match(/predicted (\d+(?:\.\d+)?) ms/)[1]);
    assert.ok(Math.abs(explored - p) <= 0.001 * p, `Draw (${point}) and Explore (${explored} ms) agree for one cell and model`);
  }
  await hit.click();
  await dpage.locator(".hash").waitFor();
  assert.equal(await dpage.locator(".hash").textContent(), README_HASH, "the hit opens in Draw");
  await dpage.goBack();
  await dpage.locator("#plotted").getByText(/^Plotted [\d,]+ of/).waitFor({ timeout: 180_000 });
  assert.equal(await dpage.locator("#f-conv1x1").inputValue(), "1", "Back restores the filter");
  assert.match(await dpage.locator("#plotted").textContent(), new RegExp(`^Plotted (?!${withCommas(SPACE_SIZE)} )`), "and applies it");
  log("explore view kept in the address:", new URL(dpage.url()).search);

  // ---- Accuracy against latency: a synthetic NAS-Bench-101 file in the dataset's own format
  // (TFRecord rows of JSON with a base64 ModelMetrics protobuf), imported by `leti nasbench
  // import`, opened in Explore's file picker, kept over a reload, and shown in Draw.
  await dpage.goto(ORIGIN + "/explore");
  await predicted.waitFor({ timeout: 180_000 });
  await dpage.locator("p.no-accuracy").waitFor();
  const nb = syntheticNasbench(process.env.LETI_BIN, 300);
  const importStart = Date.now();
  const importOut = execFileSync(process.env.LETI_BIN, ["nasbench", "import", nb.tfrecord, "--out", nb.out], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  log(`nasbench import of ${nb.records} records in ${Date.now() - importStart} ms: ${importOut.trim().split("\n").pop()}`);
  await dpage.locator("#nasbench-file").setInputFiles(nb.out);
  const best = dpage.locator("#best-under");
  await best.waitFor({ timeout: 60_000 });
  // The slider at its top: the most accurate cell of all, whatever its latency.
  await dpage.locator("#latency-budget").fill("1000");
  await dpage.waitForFunction((h) => document.querySelector("#best-under")?.textContent.includes(h), nb.best.hash.slice(0, 12));
  const bestText = await best.textContent();
  assert.ok(bestText.includes(`${(100 * nb.best.mean).toFixed(2)}% test accuracy`), `the most accurate cell and its mean: ${bestText}`);
  // A tight budget gives a less accurate cell or none.
  await dpage.locator("#latency-budget").fill("150");
  await dpage.waitForFunction((h) => !document.querySelector("#best-under")?.textContent.includes(h), nb.best.hash.slice(0, 12));
  log("best under:", await best.textContent());
  const accSection = dpage.locator("section[data-front-ms]");
  log(`accuracy file read and averaged in ${await accSection.getAttribute("data-parse-ms")} ms, the whole space's front in ${await accSection.getAttribute("data-front-ms")} ms`);
  const inkedAcc = await dpage.evaluate(() => {
    const c = document.getElementById("plot-accuracy");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let red = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 180 && d[i + 1] < 90 && d[i + 2] < 90) red++;
    return red;
  });
  assert.ok(inkedAcc > 20, `the accuracy plot draws its front in red (${inkedAcc} pixels)`);
  await dpage.locator("#accuracy-h").scrollIntoViewIfNeeded();
  await dpage.screenshot({ path: `${SHOTS}/explore-accuracy.png`, fullPage: true });
  // Kept in this browser: a reload shows it again; the answer opens in Draw with its accuracies.
  await dpage.reload();
  await dpage.locator("#latency-budget").fill("1000");
  await dpage.waitForFunction((h) => document.querySelector("#best-under")?.textContent.includes(h), nb.best.hash.slice(0, 12), { timeout: 180_000 });
  await best.locator("a").click();
  await dpage.locator("dd.nasbench").waitFor({ timeout: 60_000 });
  const drawAcc = await dpage.locator("dd.nasbench").textContent();
  assert.ok(drawAcc.startsWith(`${(100 * nb.best.mean).toFixed(2)}% test accuracy`), `Draw shows the cell's accuracies: ${drawAcc}`);
  assert.equal(await dpage.locator(".hash").textContent(), nb.best.hash);
  log("draw shows:", drawAcc);

  // A click on empty plot space does nothing; a click on a drawn cell opens it in Draw.
  await dpage.goto(ORIGIN + "/explore");
  await predicted.waitFor({ timeout: 180_000 });
  await dpage.getByText(`Plotted ${withCommas(SPACE_SIZE)} of`).waitFor();
  const plot = dpage.locator("#plot-scatter");
  // The plot's top left corner (slow cells with few MACs) is empty; LEFT = 58, TOP = 22 px.
  await plot.click({ position: { x: 62, y: 26 } });
  await dpage.waitForTimeout(500);
  assert.match(dpage.url(), /\/explore\/?$/, `a click on empty space stays on Explore: ${dpage.url()}`);
  const spot = await inkedSpot(dpage);
  assert.ok(spot, "the scatter has a drawn cell to click");
  // Hovering shows the cell under the pointer; empty space shows nothing.
  await plot.hover({ position: spot });
  const card = dpage.locator(".plot-wrap .pointed");
  await card.waitFor();
  const cardText = await card.textContent();
  assert.match(cardText, /^cell [0-9a-f]{12}.* MACs · .* parameters · predicted \d/, `the hover card: ${cardText}`);
  await plot.hover({ position: { x: 62, y: 26 } });
  await card.waitFor({ state: "detached" });
  log("hover:", cardText);
  // The Pareto front of parameters against latency, and the largest cell per budget.
  const frontHint = await dpage.locator("#pareto-h + p").textContent();
  const frontLen = Number(frontHint.match(/the ([\d,]+) shown cells/)[1].replace(/,/g, ""));
  assert.ok(frontLen > 1, `the front holds more than one cell: ${frontHint}`);
  const budgetRows = await dpage.locator("#budget-table tbody tr").allTextContents();
  assert.ok(budgetRows.length >= 3, `budgets answered: ${budgetRows.join(" | ")}`);
  log(`front of ${frontLen} cells; largest per budget: ${budgetRows.join(" | ")}`);
  await plot.click({ position: spot });
  await dpage.waitForURL(/\/draw\?cell=/);
  await dpage.locator(".hash").waitFor();
  log("plot click opened", await dpage.locator(".hash").textContent());

  // Explore on the phone.
  const ephone = await phone.newPage();
  await ephone.goto(ORIGIN + "/explore");
  const ephonePredicted = ephone.locator("ul.progress-steps[data-predict-ms]");
  await ephonePredicted.waitFor({ timeout: 180_000 });
  await ephone.getByText(`Plotted ${withCommas(SPACE_SIZE)} of`).waitFor();
  log(`explore on the phone page: ${await ephonePredicted.getAttribute("data-predict-ms")} ms (${await ephonePredicted.getAttribute("data-predict-workers")})`);
  // A long press shows the cell under the finger, and does not open it.
  await ephone.locator("#plot-scatter").scrollIntoViewIfNeeded();
  const pbox = await ephone.locator("#plot-scatter").boundingBox();
  const pspot = await inkedSpot(ephone);
  const touch = await phone.newCDPSession(ephone);
  const at = [{ x: pbox.x + pspot.x, y: pbox.y + pspot.y }];
  await touch.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: at });
  await ephone.waitForTimeout(800);
  await touch.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await ephone.locator(".plot-wrap .pointed").waitFor();
  await ephone.waitForTimeout(500);
  assert.match(ephone.url(), /\/explore\/?$/, "a long press shows the cell without opening it");
  log("long press:", await ephone.locator(".plot-wrap .pointed").textContent());
  await ephone.screenshot({ path: `${SHOTS}/explore-phone.png`, fullPage: true });
  log("ok");
} catch (e) {
  failed = true;
  console.error("[e2e draw/explore] FAILED:", e);
} finally {
  await browser.close();
  await server.stop("SIGKILL");
}
process.exit(failed ? 1 : 0);
