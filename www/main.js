// Loads the app's WebAssembly module and mounts the app, then registers the service worker
// (www/sw.js: installable app, Draw and Explore offline once loaded). A separate file (not an
// inline script) so the server's Content-Security-Policy can forbid inline scripts.
// ./pkg/entry.js is written by .ci/build-web: it re-exports this build's content-hashed glue
// and names its wasm file (WASM_URL).
import init, { start_app, WASM_URL } from "./pkg/entry.js";

init({ module_or_path: WASM_URL })
  .then(() => {
    document.getElementById("boot")?.remove();
    start_app();
  })
  .catch((e) => {
    document.getElementById("boot")?.remove();
    const p = document.createElement("p");
    p.className = "error card";
    p.setAttribute("role", "alert");
    p.textContent = "The app could not start: " + e + ". Reload the page; if this persists, the browser may be too old for WebAssembly.";
    document.body.prepend(p);
  });

// The service worker caches what this page loaded before it took control, so the first visit
// already counts as "loaded" for offline use.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" })
      .then(() => navigator.serviceWorker.ready)
      .then((reg) => {
        const loaded = performance.getEntriesByType("resource").map((e) => e.name);
        reg.active?.postMessage({ kind: "cache", urls: loaded });
      })
      .catch((e) => console.warn("service worker not registered:", e));
  });
}
