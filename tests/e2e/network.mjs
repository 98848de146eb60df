// A phone's network, end to end: the real pages served by the real `leti serve` from the built
// www/ (content-hashed wasm and glue, brotli and gzip siblings), in headless Chromium
// (Debian's, through playwright-core) on SwiftShader WebGPU.
// 1. What the server sends: the hashed wasm precompressed (brotli when asked for, gzip else)
//    and cached for a year, the pages revalidated on every load.
// 2. The Measure page's first load under Chrome DevTools' "Slow 4G" profile (562.5 ms latency,
//    1.44 Mbit/s down, 675 kbit/s up) with the CPU slowed down 4x: the bytes on the wire by
//    kind (page, JS, wasm, and the cell space and models a run loads first) must fit in 1.5 MB;
//    the times to the shell, the mounted app and an enabled "Start measuring" are printed (the
//    issue's aim is 5 s; a test on a shared CI machine does not judge a time).
// 3. Installable and offline: the web manifest with its icons, the service worker in control,
//    then, with the network cut, Draw predicts the README cell and Explore plots the whole
//    space from what the first visit cached.
// Prints what each part gave.
//
// Run through .ci/e2e-web, which builds the app and sets LETI_BIN / LETI_PORT / LETI_DB.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { CHROMIUM, CHROMIUM_ARGS, Serve } from "./harness.mjs";

const server = new Serve({
  bin: process.env.LETI_BIN, port: process.env.LETI_PORT || "18084", db: process.env.LETI_DB,
  webRoot: process.env.LETI_WEB_ROOT || "www", modelsDir: process.env.LETI_MODELS || "trained",
});
const ORIGIN = server.origin;
const WEB_ROOT = process.env.LETI_WEB_ROOT || "www";
const log = (...a) => console.log("[e2e network]", ...a);
const SPACE_SIZE = "423,624";
const BUDGET_BYTES = 1_500_000;
// Chrome DevTools' "Slow 4G" preset (Lighthouse's mobile profile with DevTools' request-level factors).
const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: (1.6e6 * 0.9) / 8, uploadThroughput: (750e3 * 0.9) / 8 };
const CPU_SLOWDOWN = 4;
const kb = (n) => `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`;

/// The hashed file names this build's page shell preloads.
function builtNames() {
  const entry = readFileSync(`${WEB_ROOT}/pkg/entry.js`, "utf8");
  return { js: entry.match(/"\.\/(leti-[0-9a-f]+\.js)"/)[1], wasm: entry.match(/"\.\/(leti_bg-[0-9a-f]+\.wasm)"/)[1] };
}

// ---- 1. Headers: precompressed, and cached by name.
async function checkHeaders() {
  const { wasm } = builtNames();
  const get = (path, enc) => fetch(ORIGIN + path, { headers: { "accept-encoding": enc } });
  const br = await get(`/pkg/${wasm}`, "br, gzip");
  const gz = await get(`/pkg/${wasm}`, "gzip");
  const page = await get("/", "br, gzip");
  assert.equal(br.headers.get("content-encoding"), "br", "the wasm goes out as the build's brotli file");
  assert.equal(gz.headers.get("content-encoding"), "gzip", "and as gzip to a browser without brotli");
  assert.match(br.headers.get("cache-control"), /immutable/, "a hashed name is cached for good");
  assert.equal(page.headers.get("cache-control"), "no-cache", "the page is revalidated");
  const raw = readFileSync(`${WEB_ROOT}/pkg/${wasm}`).length;
  const sizes = { raw, br: Number(br.headers.get("content-length")), gzip: Number(gz.headers.get("content-length")) };
  log(`wasm ${wasm}: ${kb(sizes.raw)} raw, ${kb(sizes.gzip)} gzip, ${kb(sizes.br)} brotli; cache-control "${br.headers.get("cache-control")}"`);
}

/// What a CDP session saw on the wire: encoded bytes per URL and the encodings used.
function wireLog(cdp) {
  const urls = new Map(), bytes = new Map(), enc = new Map();
  cdp.on("Network.responseReceived", (e) => {
    urls.set(e.requestId, e.response.url);
    enc.set(e.requestId, e.response.headers["content-encoding"] || e.response.headers["Content-Encoding"] || "none");
  });
  cdp.on("Network.loadingFinished", (e) => bytes.set(e.requestId, e.encodedDataLength));
  return () => [...bytes].filter(([id]) => urls.has(id)).map(([id, n]) => ({ url: urls.get(id), bytes: n, enc: enc.get(id) }));
}

function kindOf(url) {
  const p = new URL(url).pathname;
  if (p.endsWith(".wasm")) return "wasm";
  if (p.endsWith(".js")) return "js";
  if (p.endsWith(".css")) return "css";
  if (p === "/space.bin") return "cell space";
  if (p.startsWith("/models/") || p.startsWith("/api/v1/models")) return "models";
  if (p.startsWith("/api/")) return "api";
  if (p.startsWith("/icons/") || p.endsWith(".webmanifest")) return "manifest, icons";
  return "page";
}

// ---- 2. The Measure page's first load on a slow phone network.
async function slowFirstLoad(browser) {
  // No service worker here: its fetches would not show in the page's network log (on a first
  // visit it installs after the load, and takes the shell from the HTTP cache).
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, serviceWorkers: "block" });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", SLOW_4G);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  const wire = wireLog(cdp);
  const t0 = Date.now();
  await page.goto(ORIGIN + "/", { waitUntil: "commit" });
  await page.locator("#boot").waitFor({ timeout: 60_000 });
  const shellMs = Date.now() - t0;
  await page.locator("nav a").first().waitFor({ timeout: 120_000 });
  const appMs = Date.now() - t0;
  await page.waitForFunction(() => [...document.querySelectorAll("button")].some((b) => b.textContent === "Start measuring" && !b.disabled), null, { timeout: 120_000 });
  const usableMs = Date.now() - t0;
  await page.waitForLoadState("networkidle", { timeout: 120_000 });
  // What a run fetches next, as the page would: the cell space (src/app/space_file.rs) and the
  // listed models, which the device's own model borrows from (src/app/bundled_models.rs).
  await page.evaluate(async () => {
    await fetch("/space.bin").then((r) => r.arrayBuffer());
    const list = await fetch("/api/v1/models").then((r) => r.json());
    await Promise.all(list.models.map((m) => fetch(m.url).then((r) => r.arrayBuffer())));
  });
  await page.waitForLoadState("networkidle", { timeout: 120_000 });
  const seen = wire();
  const byKind = {};
  for (const r of seen) byKind[kindOf(r.url)] = (byKind[kindOf(r.url)] || 0) + r.bytes;
  const total = seen.reduce((s, r) => s + r.bytes, 0);
  const wasmEnc = seen.find((r) => r.url.endsWith(".wasm"))?.enc;
  log(`slow 4G + ${CPU_SLOWDOWN}x CPU, Measure page: shell ${shellMs} ms, app mounted ${appMs} ms, "Start measuring" enabled ${usableMs} ms (aim 5,000 ms)`);
  log(`first load on the wire (${wasmEnc} from this server over http): ${Object.entries(byKind).map(([k, n]) => `${k} ${kb(n)}`).join(", ")}; total ${kb(total)} of a ${kb(BUDGET_BYTES)} budget, ${seen.length} requests`);
  assert.ok(byKind["cell space"] > 0 && byKind.models > 0, "the cell space and the models were counted");
  assert.ok(total <= BUDGET_BYTES, `the first load fits in 1.5 MB: ${total} bytes`);
  await ctx.close();
}

/// Waits until the service worker's cache holds `paths`.
async function waitCached(page, paths) {
  await page.waitForFunction(async (ps) => {
    for (const p of ps) if (!(await caches.match(p, { ignoreSearch: false }))) return false;
    return true;
  }, paths, { timeout: 60_000, polling: 500 });
}

// ---- 3. Installable, and Draw and Explore offline once loaded.
async function offline(browser) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") log("console:", m.text()); });
  const cdp = await ctx.newCDPSession(page);
  const draw = ORIGIN + "/draw?cell=1333m-1d0463";
  await page.goto(draw);
  await page.locator("li.estimate").first().waitFor({ timeout: 90_000 });
  const manifest = await cdp.send("Page.getAppManifest");
  assert.deepEqual(manifest.errors, [], "the web manifest parses without errors");
  const icons = JSON.parse(manifest.data).icons;
  for (const i of icons) {
    const r = await fetch(new URL(i.src, ORIGIN));
    assert.ok(r.ok, `icon ${i.src} is served`);
  }
  const installability = await cdp.send("Page.getInstallabilityErrors").then((r) => r.installabilityErrors.map((e) => e.errorId)).catch(() => ["(not reported)"]);
  log(`manifest: ${icons.length} icons; installability errors here: ${installability.join(", ") || "none"} (headless contexts are incognito)`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  await page.goto(ORIGIN + "/explore");
  await page.getByText(`Plotted ${SPACE_SIZE} of ${SPACE_SIZE} cells.`).waitFor({ timeout: 180_000 });
  const hashed = page.locator("li[data-hash-ms]");
  await hashed.waitFor({ timeout: 180_000 });
  log(`Explore hashed every cell in its workers in ${await hashed.getAttribute("data-hash-ms")} ms (slowest worker)`);
  await waitCached(page, ["/index.html", "/space.bin", "/api/v1/models"]);
  const cached = await page.evaluate(async () => (await Promise.all((await caches.keys()).map(async (k) => (await caches.open(k)).keys()))).flat().map((r) => new URL(r.url).pathname));
  log(`service worker cache: ${cached.length} entries (${cached.filter((p) => p.startsWith("/models/")).length} model files)`);

  await ctx.setOffline(true);
  const t0 = Date.now();
  await page.goto(draw);
  const est = page.locator("li.estimate").first();
  await est.waitFor({ timeout: 60_000 });
  const drawMs = Date.now() - t0;
  const point = await est.locator(".point").textContent();
  const t1 = Date.now();
  await page.goto(ORIGIN + "/explore");
  await page.getByText(`Plotted ${SPACE_SIZE} of ${SPACE_SIZE} cells.`).waitFor({ timeout: 180_000 });
  log(`offline: Draw predicted the README cell (${point}) in ${drawMs} ms, Explore plotted ${SPACE_SIZE} cells in ${Date.now() - t1} ms`);
  await ctx.close();
}

await server.start();
let browser;
try {
  await checkHeaders();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  await slowFirstLoad(browser);
  await offline(browser);
  log("passed");
} catch (e) {
  console.error("[e2e network] FAILED:", e);
  process.exitCode = 1;
} finally {
  await browser?.close();
  await server.stop();
}
