// Measures this machine's browser GPU path for the bundled data: the app's own Measure page,
// served by `leti serve`, in headless Chromium (Debian's, through playwright-core) on its
// SwiftShader WebGPU adapter, exactly as a contributor's run goes (anchors first, then
// sampled cells never measured twice, records kept in IndexedDB and uploaded to the
// collector). The browser profile is persistent, so a later call resumes the same run.
//
// Run through trained/measure-browser.sh, which sets the variables below and copies
// tests/e2e/harness.mjs next to this file.
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, Serve, measureCounts } from "./harness.mjs";

const LABEL = process.env.LETI_LABEL || "swiftshader-chromium";
const SECONDS = Number(process.env.LETI_SECONDS || "600");
const log = (...a) => console.log(new Date().toISOString(), "[measure-browser]", ...a);

const server = new Serve({
  bin: process.env.LETI_BIN, port: process.env.LETI_PORT || "18555", db: process.env.LETI_DB, webRoot: process.env.LETI_WEB_ROOT,
});
const ORIGIN = server.origin;
await server.start();
const ctx = await chromium.launchPersistentContext(process.env.LETI_PROFILE, {
  executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 }, args: CHROMIUM_ARGS,
});
// A page busy with a long cell can miss one reading: log it and read again later.
const counts = (page) => measureCounts(page).catch((e) => {
  log("counts not readable now:", e.message.split("\n")[0]);
  return null;
});
let failed = false;
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on("console", (m) => { if (m.type() === "error") log("console:", m.text()); });
  await page.goto(ORIGIN + "/");
  await page.getByText("WebGPU works here.").waitFor({ timeout: 120_000 });
  log("adapter:", (await page.locator("dl.facts").first().innerText()).replace(/\n/g, " | "));
  const resume = page.getByRole("button", { name: "Resume" });
  await page.waitForTimeout(2000);
  if (await page.getByRole("button", { name: "Stop" }).count()) {
    if (await resume.count()) await resume.click();
    log("resuming the open run");
  } else {
    await page.getByLabel("Device name (optional)").fill(LABEL);
    await page.getByLabel("Device name (optional)").press("Tab");
    await page.getByRole("checkbox").check();
    await page.getByLabel("Until I stop it").check();
    await page.getByRole("button", { name: "Start measuring" }).click();
    log("started a new run");
  }
  const t0 = Date.now();
  while (Date.now() - t0 < SECONDS * 1000) {
    await page.waitForTimeout(30_000);
    log("counts", JSON.stringify(await counts(page)));
  }
  // Pause (the run stays open for the next call) and let the uploads drain.
  if (await page.getByRole("button", { name: "Pause" }).count()) await page.getByRole("button", { name: "Pause" }).click();
  await page.getByRole("button", { name: "Resume" }).waitFor({ timeout: 600_000 });
  for (let i = 0; i < 240; i++) {
    const c = await counts(page);
    if (c && c.pending === 0) break;
    await page.waitForTimeout(1000);
  }
  log("final", JSON.stringify(await counts(page)));
} catch (e) {
  failed = true;
  console.error("[measure-browser] FAILED:", e);
} finally {
  await ctx.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
