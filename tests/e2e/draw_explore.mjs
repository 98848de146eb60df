// End-to-end test of the Draw and Explore pages: the real pages served by the real
// `leti serve` (with the bundled models of trained/), in headless Chromium (Debian's, through
// playwright-core) on its SwiftShader WebGPU adapter.
// Draw: draws the NAS-Bench-101 README cell by taps on the editor and reads its module hash,
// trainable parameters and a latency estimate with a range off the page; the URL keeps the
// cell across a reload; "Measure on this device" shows measured next to predicted.
// Explore: waits for every cell to be predicted in the worker, checks the plot drew all
// 423,624 cells, reads the prediction time, filters, searches a hash and opens a cell in Draw.
// Screenshots at phone (390x844) and desktop (1280x800) size go to docs/screenshots/.
//
// Run through .ci/e2e-web, which builds the app and sets LETI_BIN / LETI_PORT / LETI_DB.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
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
  log("edits: 10th edge refused, Back undoes, focus stays after an op choice, Escape cancels, broken JSON keeps the drawing");
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
  // Explore predicts the space's own labeling of each cell (one per module hash); Draw the
  // labeling drawn. Both run Model::predict, but isomorphic labelings schedule differently in
  // the engine (order-dependent memory traffic features), so the numbers may differ a little.
  const hitLine = await dpage.locator("ul.hits li").first().textContent();
  log(`README cell: Draw ${point} (${drawModel}, README labeling); Explore "${hitLine}" (${model}, the space's labeling)`);
  await hit.click();
  await dpage.locator(".hash").waitFor();
  assert.equal(await dpage.locator(".hash").textContent(), README_HASH, "the hit opens in Draw");
  await dpage.goBack();
  await dpage.locator("#plotted").getByText(/^Plotted [\d,]+ of/).waitFor({ timeout: 180_000 });
  assert.equal(await dpage.locator("#f-conv1x1").inputValue(), "1", "Back restores the filter");
  assert.match(await dpage.locator("#plotted").textContent(), new RegExp(`^Plotted (?!${withCommas(SPACE_SIZE)} )`), "and applies it");
  log("explore view kept in the address:", new URL(dpage.url()).search);

  // A click on empty plot space does nothing; a click on a drawn cell opens it in Draw.
  await dpage.goto(ORIGIN + "/explore");
  await predicted.waitFor({ timeout: 180_000 });
  await dpage.getByText(`Plotted ${withCommas(SPACE_SIZE)} of`).waitFor();
  const plot = dpage.locator("#plot-scatter");
  // The plot's top left corner (slow cells with few MACs) is empty; LEFT = 58, TOP = 22 px.
  await plot.click({ position: { x: 62, y: 26 } });
  await dpage.waitForTimeout(500);
  assert.match(dpage.url(), /\/explore\/?$/, `a click on empty space stays on Explore: ${dpage.url()}`);
  // A pixel the density image inked (blue: the grid and labels are grey), in CSS pixels.
  const spot = await dpage.evaluate(() => {
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
  assert.ok(spot, "the scatter has a drawn cell to click");
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
