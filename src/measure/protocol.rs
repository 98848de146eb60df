//! The timing protocol, one implementation for native and browser (the engine's `run` waits
//! with a blocking poll natively and `onSubmittedWorkDone` in the browser):
//!
//! 1. Warm-up: plain runs until the median of the last 3 runs is within `settle_tol` of the
//!    median of the 3 before (at least `warmup_min`, at most `warmup_max` runs).
//! 2. Timed: `runs` whole inferences without timestamps (`Plain`), interleaved with as many with
//!    pass-boundary timestamps (`WholePass`, when the adapter has `timestamp-query`), so drift
//!    hits both alike. If the headline CoV is above `cov_threshold`, measure again with twice the
//!    runs (up to `max_remeasure` times); if it stays above, the record is flagged `noisy`.
//! 3. Headline: `WholePass` (wall and GPU totals from the same runs) unless its median wall is
//!    measurably above `Plain` (by more than max(2 %, the plain CoV)); then `Plain`, no GPU stats.
//! 4. Profile: `profile_runs` runs with a timestamp after every dispatch (`PerDispatch`,
//!    native) or one pass per dispatch (`PerPass`, the browser's way) give per-layer medians.
//!    Every instrumented mode's median wall is recorded relative to `Plain`.
//! 5. The observed timestamp resolution is the quantum of the timestamps (the GCD of their
//!    differences within a run, times the tick period; the smallest over runs): browsers
//!    coarsen it, e.g. Chrome to 100 us unless WebGPU developer features are on.

use super::record::{LayerTime, ModeOverhead, Stats, TimingMode};
use super::stats::{median, summarize, tick_quantum};
use crate::engine::{Gpu, Program, ProgramError};

/// Protocol parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    pub warmup_min: u32,
    pub warmup_max: u32,
    pub settle_tol: f64,
    /// Timed runs per mode.
    pub runs: u32,
    pub cov_threshold: f64,
    pub max_remeasure: u32,
    /// Runs of the per-layer profiling mode (0: no per-layer breakdown).
    pub profile_runs: u32,
}

impl Default for Protocol {
    fn default() -> Self {
        Protocol { warmup_min: 3, warmup_max: 30, settle_tol: 0.05, runs: 20, cov_threshold: 0.1, max_remeasure: 2, profile_runs: 5 }
    }
}

/// The protocol's result: the timing part of a measurement record.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    pub wall: Stats,
    pub gpu: Option<Stats>,
    pub mode: TimingMode,
    pub layers: Option<Vec<LayerTime>>,
    pub layers_mode: Option<TimingMode>,
    pub mode_overheads: Vec<ModeOverhead>,
    pub warmup_runs: u32,
    pub noisy: bool,
    pub timestamp_resolution_ns: Option<f64>,
    /// The engine's kernel configuration the network ran with.
    pub kernels: String,
}

/// Whether warm-up has settled: the last `w` runs' median within `tol` of the `w` before.
pub fn settled(walls: &[f64], w: usize, tol: f64) -> bool {
    if walls.len() < 2 * w {
        return false;
    }
    let n = walls.len();
    let last = median(&walls[n - w..]);
    let prev = median(&walls[n - 2 * w..n - w]);
    last > 0.0 && ((last - prev) / last).abs() <= tol
}

/// Runs the protocol on a planned network.
pub async fn measure(gpu: &Gpu, program: &Program, p: &Protocol) -> Result<Measurement, ProgramError> {
    // 1. Warm-up.
    let mut warm = Vec::new();
    while (warm.len() as u32) < p.warmup_max && ((warm.len() as u32) < p.warmup_min || !settled(&warm, 3, p.settle_tol)) {
        warm.push(program.run(gpu, TimingMode::Plain).await?.wall_ms);
    }
    // 2. Timed runs, interleaved.
    let whole = Program::supports(gpu, TimingMode::WholePass);
    let mut plain = Vec::new();
    let mut wp_wall = Vec::new();
    let mut wp_gpu = Vec::new();
    let mut stamps = Vec::new();
    let mut target = p.runs.max(1);
    let mut remeasures = 0;
    loop {
        while (plain.len() as u32) < target {
            plain.push(program.run(gpu, TimingMode::Plain).await?.wall_ms);
            if whole {
                let t = program.run(gpu, TimingMode::WholePass).await?;
                wp_wall.push(t.wall_ms);
                wp_gpu.push(t.gpu_ms.unwrap_or(0.0));
                stamps.push((t.timestamp_ticks, t.timestamp_period_ns));
            }
        }
        let worst = summarize(&plain).cov.max(if whole { summarize(&wp_wall).cov } else { 0.0 });
        if worst <= p.cov_threshold || remeasures >= p.max_remeasure {
            break;
        }
        // Measure again with twice the runs (the earlier runs are replaced, not mixed in).
        remeasures += 1;
        target *= 2;
        plain.clear();
        wp_wall.clear();
        wp_gpu.clear();
    }
    let plain_s = summarize(&plain);
    let mut overheads = Vec::new();
    let (mut wall, mut gpu_stats, mut mode) = (plain_s, None, TimingMode::Plain);
    if whole {
        let wp = summarize(&wp_wall);
        let ratio = wp.median_ms / plain_s.median_ms;
        overheads.push(ModeOverhead { mode: TimingMode::WholePass, wall_median_ms: wp.median_ms, ratio_to_plain: ratio });
        if ratio <= 1.0 + plain_s.cov.max(0.02) {
            (wall, gpu_stats, mode) = (wp, Some(summarize(&wp_gpu)), TimingMode::WholePass);
        }
    }
    let noisy = wall.cov > p.cov_threshold;
    // 4. Per-layer profile.
    let profile_mode = [TimingMode::PerDispatch, TimingMode::PerPass].into_iter().find(|&m| Program::supports(gpu, m));
    let (mut layers, mut layers_mode) = (None, None);
    if let (Some(pm), true) = (profile_mode, p.profile_runs > 0) {
        let mut per: Vec<Vec<f64>> = vec![Vec::new(); program.dispatches.len()];
        let mut walls = Vec::new();
        for _ in 0..p.profile_runs {
            let t = program.run(gpu, pm).await?;
            walls.push(t.wall_ms);
            for (i, ms) in t.per_dispatch_ms.unwrap_or_default().into_iter().enumerate() {
                per[i].push(ms);
            }
            stamps.push((t.timestamp_ticks, t.timestamp_period_ns));
        }
        let wm = median(&walls);
        overheads.push(ModeOverhead { mode: pm, wall_median_ms: wm, ratio_to_plain: wm / plain_s.median_ms });
        layers = Some(program.dispatches.iter().zip(&per).map(|(d, v)| LayerTime { name: d.name.clone(), median_ms: median(v) }).collect());
        layers_mode = Some(pm);
    }
    // 5. Observed timestamp resolution.
    let timestamp_resolution_ns = stamps.iter().filter_map(|(t, period)| tick_quantum(t).map(|q| q as f64 * period)).min_by(f64::total_cmp);
    Ok(Measurement {
        wall,
        gpu: gpu_stats,
        mode,
        layers,
        layers_mode,
        mode_overheads: overheads,
        warmup_runs: warm.len() as u32,
        noisy,
        timestamp_resolution_ns,
        kernels: gpu.tiling().describe(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_settles_only_when_medians_agree() {
        assert!(!settled(&[10.0, 5.0, 5.0], 3, 0.05));
        assert!(!settled(&[20.0, 15.0, 12.0, 5.0, 5.0, 5.0], 3, 0.05));
        assert!(settled(&[5.1, 5.0, 5.2, 5.0, 5.1, 4.9], 3, 0.05));
        assert!(!settled(&[5.0, 5.0, 5.0, 6.0, 6.0, 6.0], 3, 0.05));
    }
}
