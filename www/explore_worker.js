// The app's Web Worker: loads the app's wasm module (this build's, named by ./pkg/entry.js)
// and, on request, computes the per-cell costs of the packed space or predicts every cell with
// one model or hashes every cell (Explore, src/app/space_worker_api.rs), or fits this device's model from its
// measured cells (Measure, src/app/fit_worker.rs), off the page's main thread. Replies carry
// the time the call took.
import init, { predict_space, space_costs, space_hashes, fit_device_model, WASM_URL } from "./pkg/entry.js";

const ready = init({ module_or_path: WASM_URL });

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    await ready;
    const t0 = performance.now();
    if (msg.kind === "costs") {
      const r = space_costs(new Uint8Array(msg.space));
      self.postMessage({ kind: "costs", macs: r.macs, params: r.params, ms: performance.now() - t0 }, [r.macs.buffer, r.params.buffer]);
    } else if (msg.kind === "predict") {
      const ms = predict_space(new Uint8Array(msg.model), new Uint8Array(msg.space));
      self.postMessage({ kind: "predict", latency: ms, ms: performance.now() - t0 }, [ms.buffer]);
    } else if (msg.kind === "hashes") {
      const h = space_hashes(new Uint8Array(msg.space));
      self.postMessage({ kind: "hashes", hashes: h, ms: performance.now() - t0 }, [h.buffer]);
    } else if (msg.kind === "fit") {
      const json = fit_device_model(msg.request, msg.sources.map((b) => new Uint8Array(b)));
      self.postMessage({ kind: "fit", json, ms: performance.now() - t0 });
    } else {
      throw new Error("unknown request " + msg.kind);
    }
  } catch (e) {
    self.postMessage({ kind: "error", message: String((e && e.message) || e) });
  }
};
