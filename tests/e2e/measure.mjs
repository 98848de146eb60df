// End-to-end test of the Measure page: the real page served by the real `leti serve`, in
// headless Chromium (Debian's, through playwright-core; no browser download) on its
// SwiftShader WebGPU adapter. It measures a few cells, reloads in the middle of the run,
// stops the collector and starts it again, and checks that the collector's database ends up
// with exactly the records the page stored: nothing lost, nothing duplicated.
// Screenshots at phone (412x915) and desktop size go to docs/screenshots/.
//
// Run through .ci/e2e-web, which builds the app and sets LETI_BIN / LETI_PORT / LETI_DB.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import assert from "node:assert/strict";
import { CHROMIUM, CHROMIUM_ARGS, Serve, measureCounts } from "./harness.mjs";

const PORT = process.env.LETI_PORT || "18080";
const SHOTS = process.env.LETI_SHOTS || "docs/screenshots";
const CELLS_BEFORE_RELOAD = 2;
const CELLS_WHILE_DOWN = 1;
mkdirSync(SHOTS, { recursive: true });

const log = (...a) => console.log("[e2e]", ...a);

const server = new Serve({ bin: process.env.LETI_BIN, port: PORT, db: process.env.LETI_DB, webRoot: process.env.LETI_WEB_ROOT || "www" });
const ORIGIN = server.origin;

async function serverIds() {
  const text = await (await fetch(`${ORIGIN}/api/v1/measurements?format=jsonl`)).text();
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l).id);
}

async function counts(page) {
  const c = await measureCounts(page);
  assert.ok(c, `unexpected counts line: ${await page.locator("p.counts").textContent()}`);
  return c;
}
async function waitFor(page, what, pred, timeoutMs = 240_000) {
  const t0 = Date.now();
  for (;;) {
    const c = await counts(page);
    if (pred(c)) return c;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; counts ${JSON.stringify(c)}`);
    await page.waitForTimeout(250);
  }
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
let failed = false;
try {
  await server.start();
  const phone = await browser.newContext({
    viewport: { width: 412, height: 915 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, acceptDownloads: true,
  });
  // A phone on battery (the Battery Status API, mocked): a long run asks for the charger,
  // and every record says the device was not charging.
  await phone.addInitScript(() => {
    const battery = Object.assign(new EventTarget(), { charging: false, level: 0.42, chargingTime: Infinity, dischargingTime: 7200 });
    navigator.getBattery = () => Promise.resolve(battery);
  });
  const page = await phone.newPage();
  // A phone's User-Agent Client Hints, through CDP (Chrome's reduced User-Agent hides the
  // model): the records must carry the reported model, and the collector key the device by it.
  const cdp = await phone.newCDPSession(page);
  await cdp.send("Emulation.setUserAgentOverride", {
    userAgent: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
    userAgentMetadata: { brands: [{ brand: "Chromium", version: "156" }], fullVersion: "156.0.0.0", platform: "Android", platformVersion: "14.0.0", architecture: "arm", model: "Pixel 7", mobile: true },
  });
  page.on("console", (m) => { if (m.type() === "error") log("console:", m.text()); });
  await page.goto(ORIGIN + "/");
  await page.getByText("WebGPU works here.").waitFor({ timeout: 60_000 });
  log("adapter:", (await page.locator("dl.facts").first().innerText()).replace(/\n/g, " | "));
  await page.screenshot({ path: `${SHOTS}/measure-phone.png`, fullPage: true });
  // Chromium's SwiftShader adapter has no shader-f16: the page says it measures at f32, and
  // offers no f32-as-well choice (that is for devices measured at f16).
  assert.match(await page.locator("dd.precision").textContent(), /^no: networks are measured at f32/);
  assert.equal(await page.locator("input.also-f32").count(), 0, "no f32-too choice without f16");

  assert.equal(await page.locator("code.hints").textContent({ timeout: 10_000 }), "Pixel 7, Android 14.0.0", "the consent list shows the reported model");
  await page.getByLabel("Device name (optional)").fill("e2e headless chromium");
  await page.getByLabel("Device name (optional)").press("Tab");
  await page.getByRole("checkbox").check();
  await page.getByLabel("Until I stop it").check();
  const charger = await page.locator("p.charger").textContent({ timeout: 5_000 });
  assert.match(charger, /on battery: plug in the charger/, "a long run on battery asks for the charger");
  await page.getByRole("button", { name: "Start measuring" }).click();

  // The run comes into view with focus on its heading; the sections keep their order; the
  // clock ticks while a cell is measured (not only when one ends).
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === "run-h", null, { timeout: 30_000 });
  const inView = await page.evaluate(() => { const r = document.getElementById("run-h").getBoundingClientRect(); return r.top >= -1 && r.bottom <= innerHeight; });
  assert.ok(inView, "the run card is scrolled into view when the run starts");
  const headings = (await page.locator("h2").allTextContents()).filter((h) => /^\d\./.test(h)).map((h) => h[0]);
  assert.deepEqual(headings, ["1", "2", "3"], `sections in order: ${headings}`);
  const usedText = async () => (await page.locator("#run-h + p.status").textContent()).match(/· (.+) used/)[1];
  const used0 = await usedText();
  await page.waitForFunction((u0) => { const m = document.querySelector("#run-h + p.status").textContent.match(/· (.+) used/); return m && m[1] !== u0; }, used0, { timeout: 5_000 });
  log(`run in view and focused; clock ticks: ${used0} -> ${await usedText()}`);

  // A hidden page pauses at once (the cell on the GPU discarded) and a visible one goes on.
  const setHidden = (hidden) => page.evaluate((h) => {
    Object.defineProperty(document, "visibilityState", { value: h ? "hidden" : "visible", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
  const runStatus = () => page.locator("#run-h + p.status strong").textContent();
  const hiddenAt = Date.now();
  await setHidden(true);
  await page.getByText("Paused while this page is hidden").waitFor();
  await page.waitForFunction(() => document.querySelector("#run-h + p.status strong")?.textContent === "Paused", null, { timeout: 30_000 });
  const pausedAfter = Date.now() - hiddenAt;
  const whileHidden = (await counts(page)).stored;
  await page.waitForTimeout(2_000);
  assert.equal((await counts(page)).stored, whileHidden, "nothing is measured while hidden");
  await setHidden(false);
  await page.waitForFunction(() => document.querySelector("#run-h + p.status strong")?.textContent === "Measuring", null, { timeout: 30_000 });
  log(`hidden: paused after ${pausedAfter} ms, resumed when visible (${await runStatus()})`);

  // A few cells, uploaded as they come.
  await waitFor(page, `${CELLS_BEFORE_RELOAD} records`, (c) => c.stored >= CELLS_BEFORE_RELOAD);
  await page.screenshot({ path: `${SHOTS}/measure-phone-running.png`, fullPage: true });

  // Reload in the middle of the run: it must resume, keeping what was stored.
  const before = (await counts(page)).stored;
  await page.reload();
  await page.getByText("it resumes where it stopped").waitFor({ timeout: 60_000 });
  const afterReload = await waitFor(page, "records back after reload", (c) => c.stored >= before);
  assert.ok(afterReload.stored >= before, "records survived the reload");
  log("reload: before", before, "after", afterReload.stored);

  // Cut the collector: new records wait on the device.
  await waitFor(page, "uploads to catch up", (c) => c.pending === 0);
  await server.stop("SIGKILL");
  const down = await counts(page);
  await waitFor(page, "records waiting while the collector is down", (c) => c.pending >= CELLS_WHILE_DOWN && c.stored >= down.stored + CELLS_WHILE_DOWN);
  await page.getByText(/Upload failed/).waitFor({ timeout: 30_000 });
  log("collector down: waiting", (await counts(page)).pending);

  // Bring it back: the queue drains (backoff is capped at 60 s).
  await server.start();
  // Stop acts after the GPU run in flight, not after the whole cell.
  const stopAt = Date.now();
  await page.getByRole("button", { name: "Stop" }).click();
  await page.getByText(/^Stopped/).waitFor({ timeout: 60_000 });
  const stopMs = Date.now() - stopAt;
  log(`stop took effect in ${stopMs} ms`);
  assert.ok(stopMs < 20_000, `Stop acts within a GPU run or so (${stopMs} ms)`);
  const final = await waitFor(page, "every record uploaded", (c) => c.pending === 0, 120_000);
  log("final counts", JSON.stringify(final));

  // The page's records (its own JSONL download) and the collector's database agree exactly.
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: /JSONL/ }).click()]);
  const local = readFileSync(await dl.path(), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const ids = await serverIds();
  assert.equal(new Set(ids).size, ids.length, "the collector holds no duplicate");
  assert.deepEqual([...ids].sort(), local.map((r) => r.id).sort(), "the collector holds exactly the page's records");
  assert.equal(new Set(local.map((r) => r.hash)).size, local.length, "no cell measured twice");
  const runs = new Map();
  for (const r of local) {
    const s = runs.get(r.run.run_id) || [];
    s.push(r.run.sequence);
    runs.set(r.run.run_id, s);
  }
  for (const [run, seqs] of runs) {
    seqs.sort((a, b) => a - b);
    assert.deepEqual(seqs, seqs.map((_, i) => i), `run ${run}: sequences have no gap or repeat`);
  }
  assert.ok(local.every((r) => r.client.device_label === "e2e headless chromium"));
  assert.ok(local.every((r) => r.client.hints?.model === "Pixel 7" && r.client.hints.platform === "Android"), "records carry the phone model the browser reports");
  assert.ok(local.every((r) => r.run.charging === false), "records say the phone was on battery");
  const keys = (await (await fetch(`${ORIGIN}/api/v1/devices`)).json()).devices.map((d) => d.device);
  assert.ok(keys.length === 1 && keys[0].endsWith(" on Pixel 7"), `the collector keys the phone by its model: ${keys}`);
  log(`device key: ${keys[0]}`);
  assert.ok(local.slice(0, Math.min(local.length, 16)).every((r) => r.run.anchor), "anchors come first");
  log(`ok: ${local.length} records measured, stored and uploaded exactly once`);
  await page.screenshot({ path: `${SHOTS}/measure-phone-done.png`, fullPage: true });

  // Desktop size, with this device's records (same browser profile, wider window).
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${SHOTS}/measure-desktop.png`, fullPage: true });

  // Explore puts this browser's measurements next to the bundled model's predictions.
  const explore = await phone.newPage();
  await explore.goto(ORIGIN + "/explore");
  const versus = await explore.getByText(/cells measured in this browser/).textContent({ timeout: 180_000 });
  assert.ok(versus.startsWith(`${local.length} cells measured`), versus);
  log("explore:", versus);

} catch (e) {
  failed = true;
  console.error("[e2e] FAILED:", e);
} finally {
  await browser.close();
  await server.stop("SIGKILL");
}
process.exit(failed ? 1 : 0);
