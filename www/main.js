// Loads the app's WebAssembly module and mounts the app. A separate file (not an inline
// script) so the server's Content-Security-Policy can forbid inline scripts.
import init, { start_app } from "./pkg/leti.js";

init({ module_or_path: new URL("./pkg/leti_bg.wasm", import.meta.url) })
  .then(() => start_app())
  .catch((e) => {
    const p = document.createElement("p");
    p.className = "error card";
    p.setAttribute("role", "alert");
    p.textContent = "The app could not start: " + e + ". Reload the page; if this persists, the browser may be too old for WebAssembly.";
    document.body.prepend(p);
  });
