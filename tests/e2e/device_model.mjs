// End-to-end test of the device model learned in the page: the real pages served by the real
// `leti serve` (bundled models of trained/, the learning job on a short interval), in headless
// Chromium on its SwiftShader WebGPU adapter, at phone size (390x844).
// Measure: measures the 20 anchor cells and a few more; the page fits its own model after the
// anchors and refits after each cell, and shows the prospective accuracy (cells measured after
// each fit); a reload keeps model and tally; "Download model" gives a model file. Draw lists
// "this device" first with that accuracy. The collector learns the device's model from the
// uploaded records; a second browser context with empty storage and the same adapter gets it
// first on Draw without measuring ("learned from N cells measured on another device with
// this GPU"). Screenshots go to docs/screenshots/.
//
// Run through .ci/e2e-web, which builds the app and sets LETI_BIN / LETI_PORT / LETI_DB.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import assert from "node:assert/strict";
import { CHROMIUM, CHROMIUM_ARGS, Serve } from "./harness.mjs";

const SHOTS = process.env.LETI_SHOTS || "docs/screenshots";
const ANCHORS = 20;
/// Cells measured after the first fit before the test stops the run.
const AFTER = 2;
const server = new Serve({
  bin: process.env.LETI_BIN, port: process.env.LETI_PORT || "18082", db: process.env.LETI_DB,
  webRoot: process.env.LETI_WEB_ROOT || "www", modelsDir: process.env.LETI_MODELS || "trained",
  extraArgs: ["--learn-interval-s", "3", "--learn-min-cells", String(ANCHORS)],
});
const ORIGIN = server.origin;
mkdirSync(SHOTS, { recursive: true });
const log = (...a) => console.log("[e2e device model]", ...a);
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };

/// The model card's headline: cells fitted on, and the prospective tally once there is one.
async function modelLine(page) {
  const t = (await page.locator("section.model-card p.model-line").textContent({ timeout: 1000 }).catch(() => "")) || "";
  const m = t.match(/Your GPU's model: (\d+) cells(?:, (\d+)% of the (\d+) cells measured after it was fitted)?/);
  return m ? { cells: +m[1], pct: m[2] === undefined ? null : +m[2], checked: m[3] === undefined ? 0 : +m[3], text: t } : null;
}

async function until(what, fn, timeoutMs) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/// The first estimate on Draw (the page opens with a valid cell drawn) once it is `model`'s
/// (the adapter check, the stored model and the listing arrive in any order): what the page
/// says of it.
async function firstEstimate(page, model) {
  await page.goto(ORIGIN + "/draw");
  const first = page.locator("ul.estimates li.estimate").first();
  await first.waitFor({ timeout: 60_000 });
  await until(`${model} listed first on Draw`, async () => (await first.locator("span.model").textContent()).trim() === model, 60_000);
  const note = first.locator("span.note");
  return (await note.count()) ? (await note.textContent()).trim() : "";
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
let failed = false;
try {
  await server.start();
  const phone = await browser.newContext({ ...PHONE, acceptDownloads: true });
  const page = await phone.newPage();
  page.on("console", (m) => { if (m.type() === "error") log("console:", m.text()); });
  await page.goto(ORIGIN + "/");
  await page.getByText("WebGPU works here.").waitFor({ timeout: 60_000 });
  await page.getByRole("checkbox").check();
  await page.getByLabel("Until I stop it").check();
  await page.getByRole("button", { name: "Start measuring" }).click();

  // The anchors, then the first fit: no accuracy claimed before a cell measured after it.
  const fitted = await until("the first fit", () => modelLine(page), 1_500_000);
  assert.ok(fitted.cells >= ANCHORS, fitted.text);
  log("first fit:", fitted.text);
  const checked = await until(`${AFTER} cells checked after a fit`, async () => { const l = await modelLine(page); return l && l.checked >= AFTER && l; }, 300_000);
  assert.ok(checked.cells > fitted.cells || checked.checked >= AFTER, checked.text);
  assert.ok(checked.pct >= 0 && checked.pct <= 100);
  log("prospective:", checked.text);
  await page.getByRole("button", { name: "Stop" }).click();
  await page.getByText(/^Stopped/).waitFor({ timeout: 240_000 });
  await page.locator("section.model-card").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/measure-phone-model.png`, fullPage: true });

  // A reload keeps the model and its tally (IndexedDB).
  const before = await until("the last refit", async () => { const l = await modelLine(page); return l && !(await page.getByText(/Fitting your GPU's model/).count()) && l; }, 120_000);
  await page.reload();
  const after = await until("the model after a reload", () => modelLine(page), 60_000);
  assert.equal(after.text, before.text, "model and tally survive a reload");

  // The model file, as `leti predict --model` reads it.
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download model" }).click()]);
  assert.match(dl.suggestedFilename(), /^leti-.*\.model\.json$/);
  const file = JSON.parse(readFileSync(await dl.path(), "utf8"));
  assert.equal(file.training.n_cells, after.cells);
  assert.match(file.training.device, /SwiftShader/);

  // Draw: this device's own model first, with its measured accuracy.
  const own = await firstEstimate(page, "this device");
  assert.match(own, /^Your GPU's own model, learned in this browser from \d+ cells; \d+% of the \d+ cells measured after it was fitted/, own);
  log("draw:", own);

  // The collector learns this GPU's model from the uploads; a new browser with empty storage
  // and the same adapter gets it first without measuring.
  const learned = await until("a learned model of this GPU", async () => {
    const models = (await (await fetch(`${ORIGIN}/api/v1/models`)).json()).models;
    return models.find((m) => m.kind === "learned" && m.adapter && /SwiftShader/.test(m.adapter.description));
  }, 120_000);
  log("learned:", learned.name, learned.n_cells, "cells");
  const fresh = await browser.newContext(PHONE);
  const other = await fresh.newPage();
  const first = await firstEstimate(other, learned.name);
  // The collector may relearn from later uploads meanwhile: the fresh page shows that model or a newer one.
  const shown = first.match(/^Learned from (\d+) cells measured on another device with this GPU/);
  assert.ok(shown && Number(shown[1]) >= learned.n_cells, first);
  await other.screenshot({ path: `${SHOTS}/draw-phone-learned.png`, fullPage: true });
  log(`ok: own model of ${after.cells} cells (${after.pct}% of ${after.checked} later cells within ±10%), learned model served to a fresh browser`);
} catch (e) {
  failed = true;
  console.error("[e2e device model] FAILED:", e);
} finally {
  await browser.close();
  await server.stop("SIGKILL");
}
process.exit(failed ? 1 : 0);
