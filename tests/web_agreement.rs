//! The GPU-versus-CPU agreement checks and the timing protocol in a browser (headless Chromium's
//! WebGPU adapter, SwiftShader on machines without a GPU), through wasm-bindgen-test:
//! `wasm-pack test --headless --chrome --mode no-install` (see README / BENCHMARKS).
#![cfg(target_arch = "wasm32")]

mod agreement_cells;
mod common;

use agreement_cells::cases;
use leti::engine::{agreement, seeded_input, ConvStrategy, Gpu, Program, Weights};
use leti::measure::{measure, profile_mode, Protocol, TimingMode};
use leti::measure::{table_line, time_layer};
use leti::net::{build, NetConfig};
use leti::predict::distinct_layer_configs;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn log(s: &str) {
    web_sys::console::log_1(&s.into());
}

async fn open() -> Option<Gpu> {
    match Gpu::open(None).await {
        Ok(gpu) => Some(gpu),
        Err(e) if option_env!("LETI_REQUIRE_GPU").is_some() => panic!("LETI_REQUIRE_GPU is set but there is no WebGPU adapter: {e}"),
        Err(e) => {
            log(&format!("SKIPPED: no WebGPU adapter in this browser ({e}); run Chromium with --enable-unsafe-webgpu"));
            None
        }
    }
}

#[wasm_bindgen_test]
async fn gpu_matches_cpu_in_the_browser() {
    let Some(mut gpu) = open().await else { return };
    log(&format!("adapter: {:?}; tiling {:?}", gpu.info, gpu.tiling()));
    for conv in ConvStrategy::ALL {
        gpu.set_conv_strategy(conv);
        check_small_networks(&gpu, conv).await;
    }
}

/// Every case cell in two small networks (one with widths a multiple of 4, one odd, batch 2)
/// agrees with the CPU reference under the conv family `conv`.
async fn check_small_networks(gpu: &Gpu, conv: ConvStrategy) {
    let cfgs = [
        NetConfig { input_size: 8, stem_channels: 16, num_stacks: 3, cells_per_stack: 1, ..NetConfig::default() },
        NetConfig { batch: 2, input_size: 7, stem_channels: 10, num_stacks: 2, cells_per_stack: 1, ..NetConfig::default() },
    ];
    for cfg in &cfgs {
        for (name, cell) in cases() {
            let net = build(&cell.validate().unwrap(), cfg);
            let a = agreement::check(gpu, &net, 1).await.unwrap();
            let fails = a.failures();
            assert!(a.tensors.len() > 5);
            assert!(fails.is_empty(), "{name} {cfg:?} {}: {} tensors disagree, e.g. {:?}", conv.as_str(), fails.len(), &fails[..fails.len().min(5)]);
        }
    }
}

#[wasm_bindgen_test]
async fn protocol_times_a_network_in_the_browser() {
    let Some(gpu) = open().await else { return };
    let cfg = NetConfig { input_size: 8, stem_channels: 8, num_stacks: 2, cells_per_stack: 1, ..NetConfig::default() };
    let net = build(&cases()[0].1.validate().unwrap(), &cfg);
    let program = Program::new(&gpu, &net, &Weights::seeded(&net, 0), &seeded_input(net.tensors[net.input].shape, 0), true).unwrap();
    let p = Protocol { runs: 5, profile_runs: 2, warmup_max: 6, ..Protocol::default() };
    let m = measure(&gpu, &program, &p).await.unwrap();
    log(&format!("browser measurement: {m:?}"));
    assert!(m.wall.runs >= 5 && m.wall.median_ms > 0.0);
    if gpu.timestamps {
        // Only pass-boundary timestamps exist in the browser: one pass per layer.
        assert_eq!(m.layers_mode, Some(TimingMode::PerPass));
        assert_eq!(m.layers.as_ref().unwrap().len(), program.dispatches.len());
    } else {
        assert_eq!(m.mode, TimingMode::Plain);
        assert!(m.layers.is_none());
    }
}

/// A benchmark, not a check: the README cell's full-size network timed with the protocol in
/// the browser, logged for BENCHMARKS.md. Ignored by default; run it with the test runner's
/// `--include-ignored` (and `--nocapture` to see the output).
#[wasm_bindgen_test]
#[ignore = "benchmark: the full-size README network takes seconds on SwiftShader"]
async fn readme_network_latency_in_the_browser() {
    let Some(gpu) = open().await else { return };
    let net = build(&common::readme_cell().validate().unwrap(), &NetConfig::default());
    let program = Program::new(&gpu, &net, &Weights::seeded(&net, 0), &seeded_input(net.tensors[net.input].shape, 0), true).unwrap();
    let p = Protocol { runs: 10, profile_runs: 3, warmup_max: 10, max_remeasure: 1, ..Protocol::default() };
    let m = measure(&gpu, &program, &p).await.unwrap();
    let gflops = 2.0 * program.macs() as f64 / (m.wall.median_ms * 1e6);
    log(&format!(
        "README network on {}: wall median {:.1} ms (p10 {:.1}, p90 {:.1}, cov {:.3}, {} runs, mode {:?}), {:.2} GFLOP/s; gpu median {:?} ms; overheads {:?}; timestamp resolution {:?} ns",
        gpu.info.name, m.wall.median_ms, m.wall.p10_ms, m.wall.p90_ms, m.wall.cov, m.wall.runs, m.mode, gflops,
        m.gpu.map(|g| g.median_ms), m.mode_overheads, m.timestamp_resolution_ns
    ));
}

/// A tool, not a check: the lookup-table baseline's layer table for this browser's adapter.
/// Every distinct layer configuration of the space is timed alone (one pass per layer, as
/// `leti measure --layers` does natively, with 15 timed runs), one JSONL line per
/// configuration logged after `LAYER `; `grep '^LAYER ' | cut -c7-` gives the table
/// (trained/swiftshader-chromium/layers.jsonl). Ignored by default; run it with the test
/// runner's `--include-ignored layer_table --nocapture`.
#[wasm_bindgen_test]
#[ignore = "tool: times the space's distinct layers on this adapter (minutes on SwiftShader)"]
async fn layer_table_in_the_browser() {
    let Some(gpu) = open().await else { return };
    let mode = profile_mode(&gpu).expect("this adapter has no timestamp queries");
    let cells: Vec<_> = leti::space::enumerate().entries.iter().map(|e| e.cell).collect();
    let configs = distinct_layer_configs(&cells, &NetConfig::default());
    log(&format!("adapter: {:?}; {} layer configurations, {mode:?} timing", gpu.info, configs.len()));
    for c in &configs {
        let stats = time_layer(&gpu, c, 1, mode, 6, 15).await.unwrap();
        log(&format!("LAYER {}", table_line(c, stats.as_ref())));
    }
}
