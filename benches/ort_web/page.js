// The benchmark page (served by benches/ort_web/run.sh from a scratch web root): LETI's engine
// (this build's wasm, www/pkg) and ONNX Runtime Web (npm onnxruntime-web, served under /ort/)
// in one page of one browser. bench.mjs calls the two functions below one after the other;
// each returns the wall time of every timed run, submit to result available on the CPU.
import init, { bench_cell, WASM_URL } from "/pkg/entry.js";
import * as ort from "/ort/ort.all.min.mjs";

ort.env.wasm.wasmPaths = "/ort/";
// One thread for the wasm provider (what the first comparison used, and all a 2-vCPU
// machine can give without stealing the renderer's core); no proxy worker.
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

/// LETI: `spec` (cell JSON text), `conv` kernel family ("auto", "workgroup", "register", "register-wide"),
/// optionally with the planner's rules after a colon (":layerwise").
window.runLeti = async (spec, warmup, runs, conv) => {
  const r = await bench_cell(spec, warmup, runs, conv);
  return { times: r.times_ms, input: Array.from(r.input), logits: Array.from(r.logits), dispatches: r.dispatches, conv: r.conv, adapter: r.adapter };
};

/// ONNX Runtime Web: the model at `url` on execution provider `ep` ("webgpu" or "wasm"), fed
/// `input` (NCHW, batch 1, 32 x 32). Session creation is not timed (nor is LETI's planning).
window.runOrt = async (url, ep, input, warmup, runs) => {
  const session = await ort.InferenceSession.create(url, { executionProviders: [ep], graphOptimizationLevel: "all" });
  const data = Float32Array.from(input);
  const times = [];
  let logits = null;
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      const out = await session.run({ input: new ort.Tensor("float32", data, [1, 3, 32, 32]) });
      logits = out.logits.data;
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    await session.release();
  }
  return { times, logits: Array.from(logits), median: median(times) };
};

window.benchReady = init({ module_or_path: WASM_URL }).then(() => {
  document.getElementById("state").textContent = `ready: onnxruntime-web ${ort.env.versions.web}`;
  return ort.env.versions.web;
});
