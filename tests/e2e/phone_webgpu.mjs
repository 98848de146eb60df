// What a phone's browser gives, end to end: the real pages served by the real `leti serve`, in
// headless Chromium (Debian's, through playwright-core) on SwiftShader WebGPU.
// 1. Coarse timestamps, as every phone's Chrome gives them (the low 16 bits zeroed: 65.5 us).
//    Chromium here keeps fine timestamps even without --enable-webgpu-developer-features as
//    long as --enable-unsafe-webgpu is on, and without that flag it offers no adapter, so the
//    page emulates Chrome's rounding (`?timestamps=coarse`, `Gpu::coarsen_timestamps`). "Measure
//    on this device" must report the quantum it observed from the timestamps alone, keep a GPU
//    time only if it spans ten quanta, and mark every layer under ten quanta as unresolved (a
//    faint bar labelled "below timer resolution") rather than give it a time.
// 2. No timestamp queries at all (`?timestamps=off`, what a browser without them gets): wall
//    clock only, no GPU time, no per-layer breakdown, and said so.
// 3. WebGPU in compatibility mode only (a phone whose driver has OpenGL ES only; mocked: the
//    core `requestAdapter()` gives null, a `featureLevel: "compatibility"` one an adapter): the
//    Measure page says so and what the adapter's limits lack, if anything.
// Prints what each run gave.
//
// Run through .ci/e2e-web, which builds the app and sets LETI_BIN / LETI_PORT / LETI_DB.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { CHROMIUM, CHROMIUM_ARGS, Serve } from "./harness.mjs";

const server = new Serve({
  bin: process.env.LETI_BIN, port: process.env.LETI_PORT || "18083", db: process.env.LETI_DB,
  webRoot: process.env.LETI_WEB_ROOT || "www", modelsDir: process.env.LETI_MODELS || "trained",
});
const log = (...a) => console.log("[e2e phone webgpu]", ...a);
// The README cell on a reduced network would not be a phone's; the full one takes seconds here.
const DRAW = `${server.origin}/draw?cell=1333m-1d0463`;


/// Opens Draw at `url`, measures the cell on this device and returns what the page shows.
async function measureOnDraw(browser, url) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") log("console:", m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => [...document.querySelectorAll("button")].some((b) => b.textContent === "Measure on this device" && !b.disabled), null, { timeout: 90_000 });
  await page.getByRole("button", { name: "Measure on this device" }).click();
  const facts = page.locator("dl.facts.measured");
  await facts.waitFor({ timeout: 300_000 });
  const shown = {
    mode: await facts.getAttribute("data-mode"),
    timerNs: Number(await facts.getAttribute("data-timer-ns")) || null,
    gpuMs: Number(await facts.getAttribute("data-gpu-ms")) || null,
    wall: await page.locator(".measured-ms").textContent(),
    bars: await page.locator(".layer-chart rect.layer-bar").count(),
    faint: await page.locator(".layer-chart rect.layer-bar.unresolved").count(),
    caption: (await page.locator(".layer-chart figcaption").count()) ? await page.locator(".layer-chart figcaption").textContent() : "",
    titles: await page.locator(".layer-chart g > title").allTextContents(),
    noBreakdown: await page.getByText("No per-layer breakdown").count(),
  };
  await ctx.close();
  return shown;
}

await server.start();
let browser;
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  // ---- 1. Coarse timestamps, as on a phone.
  const coarse = await measureOnDraw(browser, `${DRAW}&timestamps=coarse`);
  log(`Chrome's coarse timer: ${coarse.mode}, timer ${coarse.timerNs} ns, GPU ${coarse.gpuMs ?? "dropped"} ms, wall ${coarse.wall}; ${coarse.faint} of ${coarse.bars} layers under ten quanta`);
  assert.ok(coarse.timerNs >= 65536 && coarse.timerNs % 65536 === 0, `the observed quantum ${coarse.timerNs} ns is on Chrome's grid`);
  assert.ok(coarse.bars > 0, "a per-layer breakdown (timestamp queries are there, only coarse)");
  // Every bar is resolved exactly when its time spans ten quanta.
  for (const t of coarse.titles) {
    const resolved = !t.endsWith("below timer resolution");
    if (resolved) {
      const m = t.match(/: ([\d.,]+) (ms|µs|s)$/);
      assert.ok(m, `a resolved layer states a time: ${t}`);
      const ms = Number(m[1].replace(/,/g, "")) * { "µs": 1e-3, ms: 1, s: 1e3 }[m[2]];
      assert.ok(ms * 1e6 >= 9.5 * coarse.timerNs, `${t} is resolved but under ten quanta of ${coarse.timerNs} ns`);
    }
  }
  if (coarse.faint > 0) assert.match(coarse.caption, /under the timer's resolution/);
  if (coarse.gpuMs !== null) assert.ok(coarse.gpuMs * 1e6 >= 10 * coarse.timerNs, "a GPU time is kept only when resolved");

  // ---- 2. No timestamp queries at all, as on a browser without them.
  const none = await measureOnDraw(browser, `${DRAW}&timestamps=off`);
  log(`no timestamp queries: ${none.mode}, timer ${none.timerNs}, GPU ${none.gpuMs}, wall ${none.wall}; breakdown note shown: ${none.noBreakdown > 0}`);
  assert.equal(none.mode, "plain", "wall clock only");
  assert.equal(none.gpuMs, null, "no GPU time");
  assert.equal(none.bars, 0, "no per-layer bars");
  assert.equal(none.noBreakdown, 1, "the page says why there is no breakdown");

  // ---- 3. Compatibility mode only, once with limits that fit and once with a small binding.
  for (const binding of [128 * 1048576, 4 * 1048576]) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await ctx.addInitScript((bindingSize) => {
      const compat = { features: new Set(), info: {}, limits: { maxStorageBuffersPerShaderStage: 4, maxStorageBufferBindingSize: bindingSize, maxComputeInvocationsPerWorkgroup: 128 } };
      navigator.gpu.requestAdapter = async (opts) => (opts && opts.featureLevel === "compatibility" ? compat : null);
    }, binding);
    const page = await ctx.newPage();
    await page.goto(server.origin + "/");
    const text = await page.locator("div.compat").textContent({ timeout: 30_000 });
    assert.match(text, /only in compatibility mode/);
    assert.match(text, binding >= 9_437_184 ? /would fit LETI's kernels/ : /maxStorageBufferBindingSize is 4194304, the kernels need 9437184/);
    log(`compatibility mode only, ${binding} B bindings: "${text.slice(0, 120)}…"`);
    await ctx.close();
  }
  log("ok");
} finally {
  await browser?.close();
  await server.stop();
}
