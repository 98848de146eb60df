// What the browser scripts share: `leti serve` started (and stopped) with its health poll,
// Debian's Chromium launched with WebGPU on its SwiftShader adapter, and the Measure page's
// counts line. Imported by tests/e2e/*.mjs and trained/measure-browser.mjs, each run from a
// folder holding a copy of this file next to it (.ci/e2e-web, trained/measure-browser.sh).
import { spawn } from "node:child_process";

/// Debian's Chromium (no browser download); CHROMIUM overrides.
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/// WebGPU on (SwiftShader where there is no GPU), with adapter details and fine timestamps;
/// no sandbox (CI runs as root); nothing in the background; timers of a hidden page at speed.
export const CHROMIUM_ARGS = [
  "--enable-unsafe-webgpu", "--enable-webgpu-developer-features", "--no-sandbox", "--disable-gpu-sandbox",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
  "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
];

/// One `leti serve` process on 127.0.0.1:`port`; `start` returns once /healthz answers.
/// `extraArgs` go after the others (e.g. the learning job's interval).
export class Serve {
  constructor({ bin, port, db, webRoot, modelsDir, extraArgs = [] }) {
    this.args = ["serve", "--addr", `127.0.0.1:${port}`, "--db", db, "--web-root", webRoot];
    if (modelsDir) this.args.push("--models-dir", modelsDir);
    this.args.push(...extraArgs);
    this.bin = bin;
    this.origin = `http://127.0.0.1:${port}`;
    this.child = null;
  }

  async start() {
    this.child = spawn(this.bin, this.args, { stdio: ["ignore", "inherit", "inherit"] });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${this.origin}/healthz`)).ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("leti serve did not become healthy");
  }

  /// Stops the server and waits for it to exit (SIGKILL: the collector vanishes mid-request).
  async stop(signal = "SIGTERM") {
    if (!this.child) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill(signal);
    await exited;
    this.child = null;
  }
}

/// The Measure page's "N stored on this device · U uploaded · P waiting to upload" line, or
/// null when the page does not show it.
export async function measureCounts(page) {
  const t = await page.locator("p.counts").textContent();
  const m = t.match(/(\d+) stored on this device · (\d+) uploaded · (\d+) waiting/);
  return m ? { stored: +m[1], uploaded: +m[2], pending: +m[3] } : null;
}
