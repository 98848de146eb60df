// Measures this machine's browser GPU path for the bundled data: the app's own Measure page,
// served by `leti serve`, in headless Chromium (Debian's, through playwright-core) on its
// SwiftShader WebGPU adapter, exactly as a contributor's run goes (anchors first, then
// sampled cells never measured twice, records kept in IndexedDB and uploaded to the
// collector). The browser profile is persistent, so a later call resumes the same run.
//
// Run through trained/measure-browser.sh, which sets the variables below.
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";

const BIN = process.env.LETI_BIN;
const PORT = process.env.LETI_PORT || "18555";
const DB = process.env.LETI_DB;
const WEB_ROOT = process.env.LETI_WEB_ROOT;
const PROFILE = process.env.LETI_PROFILE;
const LABEL = process.env.LETI_LABEL || "swiftshader-chromium";
const SECONDS = Number(process.env.LETI_SECONDS || "600");
const ORIGIN = `http://127.0.0.1:${PORT}`;
const log = (...a) => console.log(new Date().toISOString(), "[measure-browser]", ...a);

const server = spawn(BIN, ["serve", "--addr", `127.0.0.1:${PORT}`, "--db", DB, "--web-root", WEB_ROOT], { stdio: ["ignore", "inherit", "inherit"] });
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${ORIGIN}/healthz`)).ok) break;
  } catch {}
  if (i > 100) throw new Error("leti serve did not become healthy");
  await new Promise((r) => setTimeout(r, 100));
}
const ctx = await chromium.launchPersistentContext(PROFILE, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    "--enable-unsafe-webgpu", "--enable-webgpu-developer-features", "--no-sandbox", "--disable-gpu-sandbox",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
  ],
});
const counts = async (page) => {
  const m = (await page.locator("p.counts").textContent()).match(/(\d+) stored on this device · (\d+) uploaded · (\d+) waiting/);
  return m ? { stored: +m[1], uploaded: +m[2], pending: +m[3] } : null;
};
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
  server.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
