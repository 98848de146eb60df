//! The timing protocol on a real adapter (Mesa lavapipe in CI): what each protocol setting
//! times and records. Skips with a message only when no adapter exists.

#![cfg(not(target_arch = "wasm32"))]

mod agreement_cells;
mod common;

use agreement_cells::cases;
use leti::engine::{seeded_input, Gpu, Program, Weights};
use leti::measure::{measure, Protocol, TimingMode};
use leti::net::{build, NetConfig};

fn small_program(gpu: &Gpu) -> Program {
    let cfg = NetConfig { input_size: 8, stem_channels: 8, num_stacks: 2, cells_per_stack: 1, ..NetConfig::default() };
    let net = build(&cases()[0].1.validate().unwrap(), &cfg);
    Program::new(gpu, &net, &Weights::seeded(&net, 0), &seeded_input(net.tensors[net.input].shape, 0), true).unwrap()
}

/// The full protocol: plain and whole-pass runs interleaved, the overhead of each instrumented
/// mode recorded against plain, and a per-layer profile.
#[test]
fn full_protocol_records_mode_overheads_and_layers() {
    let Some(gpu) = common::open_gpu() else { return };
    let program = small_program(&gpu);
    let p = Protocol { runs: 4, profile_runs: 2, warmup_min: 2, warmup_max: 3, max_remeasure: 0, cov_threshold: 10.0, ..Protocol::default() };
    let m = pollster::block_on(measure(&gpu, &program, &p)).unwrap();
    assert_eq!(m.wall.runs, 4);
    assert!((2..=3).contains(&m.warmup_runs), "{} warm-up runs", m.warmup_runs);
    if !gpu.timestamps {
        assert_eq!(m.mode, TimingMode::Plain);
        assert!(m.mode_overheads.is_empty() && m.layers.is_none());
        return;
    }
    assert_eq!(m.mode_overheads[0].mode, TimingMode::WholePass);
    assert!(m.mode_overheads[0].ratio_to_plain > 0.0);
    let layers = m.layers.as_ref().expect("a per-layer profile");
    assert_eq!(layers.len(), program.dispatches.len());
    assert_eq!(m.mode_overheads.len(), 2, "whole-pass and the profiling mode: {:?}", m.mode_overheads);
    let r = m.timestamp_resolution_ns.expect("profiling runs give the timer resolution");
    assert!(r > 0.0 && r < 1e6, "resolution {r} ns");
}

/// With `interleave_plain` off (the app's protocol on software adapters) only whole-pass runs
/// are timed: the headline is whole-pass with GPU times, no plain ratio is recorded, and with
/// no profiling runs there is no per-layer breakdown. Without timestamps it falls back to plain.
#[test]
fn whole_pass_only_protocol_times_no_plain_runs() {
    let Some(gpu) = common::open_gpu() else { return };
    let program = small_program(&gpu);
    let p = Protocol { runs: 3, profile_runs: 0, warmup_min: 1, warmup_max: 1, max_remeasure: 0, interleave_plain: false, ..Protocol::default() };
    let m = pollster::block_on(measure(&gpu, &program, &p)).unwrap();
    assert_eq!(m.warmup_runs, 1);
    assert_eq!(m.wall.runs, 3);
    assert!(m.layers.is_none() && m.layers_mode.is_none());
    assert!(m.mode_overheads.is_empty(), "{:?}", m.mode_overheads);
    assert_eq!(m.timestamp_resolution_ns, None, "two stamps per run tell no resolution");
    if gpu.timestamps {
        assert_eq!(m.mode, TimingMode::WholePass);
        let g = m.gpu.expect("GPU times from the whole-pass runs");
        assert_eq!(g.runs, 3);
        assert!(g.median_ms > 0.0 && g.median_ms <= m.wall.median_ms * 1.5);
    } else {
        assert_eq!(m.mode, TimingMode::Plain);
        assert!(m.gpu.is_none());
    }
}

/// A phone's coarse timer (Chrome's 65.5 us quantum without developer features, emulated on
/// this adapter's fine one): the protocol finds the quantum from the timestamps alone, keeps a
/// GPU time only if it spans ten quanta, and marks every layer under ten quanta unresolved.
#[test]
fn a_coarse_timer_is_found_and_what_it_cannot_resolve_is_marked() {
    let Some(mut gpu) = common::open_gpu() else { return };
    assert!(gpu.timestamps, "the GPU test adapters have timestamp queries");
    gpu.coarsen_timestamps(65_536.0);
    let program = small_program(&gpu);
    let p = Protocol { runs: 4, profile_runs: 2, warmup_min: 1, warmup_max: 1, max_remeasure: 0, cov_threshold: 10.0, ..Protocol::default() };
    let m = pollster::block_on(measure(&gpu, &program, &p)).unwrap();
    let q = m.timestamp_resolution_ns.expect("enough timestamps to find the quantum");
    assert!(q >= 65_536.0 && q % 65_536.0 == 0.0, "quantum {q} ns is on Chrome's grid");
    if let Some(g) = m.gpu {
        assert!(g.median_ms * 1e6 >= 10.0 * q, "a GPU time of {} ms is kept under ten quanta", g.median_ms);
    }
    let layers = m.layers.expect("a per-layer profile");
    for l in &layers {
        assert_eq!(l.unresolved, l.median_ms * 1e6 < 10.0 * q, "{}: {} ms", l.name, l.median_ms);
    }
    // The small network's additions, pools and projections take microseconds here.
    assert!(layers.iter().any(|l| l.unresolved), "no layer under ten quanta: {layers:?}");
}
