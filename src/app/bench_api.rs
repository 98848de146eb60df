//! What the side-by-side benchmark page (`benches/ort_web/`) calls: one cell's network run on
//! this browser's WebGPU adapter the way an application runs it, timed from submit to result
//! available (input upload, the whole inference, the logits read back), with the seeded weights
//! and input that `leti export-onnx` writes, so another runtime can run the same model on the same
//! input and the outputs can be compared.

use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::engine::{now_ms, seeded_input, ConvStrategy, Gpu, PlanRules, Program, TimingMode, Weights, MEASURE_SEED};
use crate::net::{build, NetConfig};
use crate::space::CellSpec;

fn js_err(what: &str, e: impl std::fmt::Display) -> JsError {
    JsError::new(&format!("{what}: {e}"))
}

fn set(obj: &Object, key: &str, value: &JsValue) -> Result<(), JsError> {
    Reflect::set(obj, &key.into(), value).map(|_| ()).map_err(|_| JsError::new("could not build the result object"))
}

/// Runs the network of the cell spec `cell_json` (unpruned allowed) `warmup` times untimed,
/// then `runs` times timed. `conv` picks the conv kernel family (`"workgroup"`, `"register"`,
/// `"register-wide"`), or `"auto"` for the one the engine picks on this adapter by its probe,
/// optionally followed by `:` and the planner's rules (`"register:layerwise"`).
///
/// Returns `{times_ms, input, logits, dispatches, conv, adapter}`: the wall time of each timed
/// run (submit to logits on the CPU), the input image (NCHW, batch 1), the logits of the last
/// run, the kernel launches per inference, the family that ran (with `, layerwise` when not
/// the default plan) and the adapter (vendor, architecture, description).
#[wasm_bindgen]
pub async fn bench_cell(cell_json: String, warmup: u32, runs: u32, conv: String) -> Result<Object, JsError> {
    let cell = CellSpec::from_json_str(&cell_json).and_then(|s| s.prune()).map_err(|e| js_err("cell", e))?.cell;
    let mut gpu = Gpu::open(None).await.map_err(|e| js_err("WebGPU", e))?;
    let (family, rules) = conv.split_once(':').unwrap_or((&conv, PlanRules::default().as_str()));
    if family != "auto" {
        let family = ConvStrategy::from_name(family).ok_or_else(|| JsError::new(&format!("conv: {family:?} is not auto, {}", ConvStrategy::names())))?;
        gpu.set_conv_strategy(family);
    }
    gpu.set_plan_rules(PlanRules::from_name(rules).ok_or_else(|| JsError::new(&format!("conv: plan {rules:?} is not one of {}", PlanRules::names())))?);
    let net = build(&cell, &NetConfig::default());
    let weights = Weights::seeded(&net, MEASURE_SEED);
    let input = seeded_input(net.tensors[net.input].shape, MEASURE_SEED);
    let program = Program::new(&gpu, &net, &weights, &input, true).map_err(|e| js_err("plan", e))?;
    let mut times = Vec::with_capacity(runs as usize);
    let mut logits = Vec::new();
    for i in 0..warmup + runs {
        let t0 = now_ms();
        program.set_input(&gpu, &input).map_err(|e| js_err("input", e))?;
        program.run(&gpu, TimingMode::Plain).await.map_err(|e| js_err("run", e))?;
        logits = program.read_output(&gpu).await.map_err(|e| js_err("read", e))?;
        if i >= warmup {
            times.push(now_ms() - t0);
        }
    }
    let out = Object::new();
    set(&out, "times_ms", &times.iter().map(|&t| JsValue::from_f64(t)).collect::<Array>())?;
    set(&out, "input", &Float32Array::from(input.as_slice()))?;
    set(&out, "logits", &Float32Array::from(logits.as_slice()))?;
    set(&out, "dispatches", &JsValue::from(program.dispatches.len() as u32))?;
    let plan = if gpu.plan_rules() == PlanRules::default() { String::new() } else { format!(", {}", gpu.plan_rules().as_str()) };
    set(&out, "conv", &JsValue::from_str(&format!("{}{plan}", gpu.tiling().conv.as_str())))?;
    let a = gpu.adapter_info();
    set(&out, "adapter", &JsValue::from_str(format!("{} {} {}", a.vendor, a.architecture, a.description).trim()))?;
    Ok(out)
}
