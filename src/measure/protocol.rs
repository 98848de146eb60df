//! The timing protocol, one implementation for native and browser (the engine's `run` waits
//! with a blocking poll natively and `onSubmittedWorkDone` in the browser):
//!
//! 1. Warm-up: plain runs until the median of the last 3 runs is within `settle_tol` of the
//!    median of the 3 before (at least `warmup_min`, at most `warmup_max` runs).
//! 2. Timed: `runs` whole inferences without timestamps (`Plain`), interleaved with as many with
//!    pass-boundary timestamps (`WholePass`, when the adapter has `timestamp-query`), so drift
//!    hits both alike (with `interleave_plain` off, only the `WholePass` runs: half the cost
//!    where the overhead is known to be nil, e.g. a software adapter). If the headline CoV is above `cov_threshold`, measure again with twice the
//!    runs (up to `max_remeasure` times); if it stays above, the record is flagged `noisy`.
//! 3. Headline: `WholePass` (wall and GPU totals from the same runs) unless its median wall is
//!    measurably above `Plain` (by more than max(2 %, the plain CoV)); then `Plain`, no GPU stats.
//! 4. Profile: `profile_runs` runs with a timestamp after every dispatch (`PerDispatch`,
//!    native) or one pass per dispatch (`PerPass`, the browser's way) give per-layer medians.
//!    Every instrumented mode's median wall is recorded relative to `Plain`.
//! 5. The observed timestamp resolution is the quantum of the timestamps: the finest grid every
//!    timestamp of every run lies on (the GCD of their differences, times the tick period),
//!    from at least [`MIN_STAMPS`] timestamps (unknown without timestamp queries). Browsers
//!    coarsen it: Chrome zeroes the low 16 bits (65.5 us) unless WebGPU developer features
//!    are on. A GPU time under [`RESOLVED_QUANTA`] quanta is not resolved: the whole network's
//!    GPU time is then dropped (the record keeps the wall clock, as without timestamps), and
//!    such a layer's time is marked `unresolved`.

use super::record::{LayerTime, ModeOverhead, Stats, TimingMode};
use super::stats::{median, summarize, tick_quantum};
use crate::engine::{Gpu, LimitsInfo, Program, ProgramError, RunTiming};

/// Timestamps needed before their quantum is trusted: with fewer, their GCD may be a
/// multiple of the real quantum.
pub const MIN_STAMPS: usize = 8;
/// A GPU time is resolved when it spans at least this many timer quanta (at most 10 %
/// rounding error).
pub const RESOLVED_QUANTA: f64 = 10.0;

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
    /// Interleave plain runs with the whole-pass ones to record the timestamps' overhead.
    /// `false` halves the cost where timestamps are known to be free (software adapters):
    /// only whole-pass runs are timed, and no plain ratio is recorded. Ignored (plain runs
    /// are timed) when the adapter has no timestamps.
    pub interleave_plain: bool,
}

impl Default for Protocol {
    fn default() -> Self {
        Protocol { warmup_min: 3, warmup_max: 30, settle_tol: 0.05, runs: 20, cov_threshold: 0.1, max_remeasure: 2, profile_runs: 5, interleave_plain: true }
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
    /// The device limits it ran under (the kernels are sized to them).
    pub limits: LimitsInfo,
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

/// The timer's observed resolution from every run's timestamp ticks and tick period (one
/// device, one period): the quantum of all ticks together, once there are [`MIN_STAMPS`].
fn resolution_ns(stamps: &[(Vec<u64>, f64)]) -> Option<f64> {
    let period = stamps.first()?.1;
    let ticks: Vec<u64> = stamps.iter().flat_map(|(t, _)| t.iter().copied()).collect();
    (ticks.len() >= MIN_STAMPS).then(|| tick_quantum(&ticks)).flatten().map(|q| q as f64 * period)
}

/// Whether a time of `ms` is resolved by a timer of `quantum_ns` (unknown: assumed resolved).
pub fn resolves(ms: f64, quantum_ns: Option<f64>) -> bool {
    quantum_ns.is_none_or(|q| ms * 1e6 >= RESOLVED_QUANTA * q)
}

/// The finest per-layer timing mode the adapter supports: timestamps between dispatches
/// (native), else one pass per dispatch (the browser); `None` without timestamp queries.
pub fn profile_mode(gpu: &Gpu) -> Option<TimingMode> {
    [TimingMode::PerDispatch, TimingMode::PerPass].into_iter().find(|&m| Program::supports(gpu, m))
}

/// Runs the protocol on a planned network.
pub async fn measure(gpu: &Gpu, program: &Program, p: &Protocol) -> Result<Measurement, ProgramError> {
    match measure_stoppable(gpu, program, p, &|| false).await? {
        Some(m) => Ok(m),
        None => unreachable!("a measurement never asked to stop finishes"),
    }
}

/// [`measure`], asking `stop` before every GPU run: `Ok(None)` as soon as it says so, the
/// runs so far discarded (a page paused or hidden mid-cell must not keep spoiled timings).
pub async fn measure_stoppable(gpu: &Gpu, program: &Program, p: &Protocol, stop: &dyn Fn() -> bool) -> Result<Option<Measurement>, ProgramError> {
    let runs = Runs { gpu, program, stop };
    let Some(warmup_runs) = warm_up(&runs, p).await? else { return Ok(None) };
    let Some(mut timed) = timed_runs(&runs, p).await? else { return Ok(None) };
    let (wall, gpu_stats, mode, mut overheads) = choose_mode(&timed);
    let noisy = wall.cov > p.cov_threshold;
    let (layers, layers_mode) = match profile_layers(&runs, p, &mut timed.stamps).await? {
        Stoppable::Stopped => return Ok(None),
        Stoppable::Done(Some(prof)) => {
            if let Some(ps) = &timed.plain {
                overheads.push(ModeOverhead { mode: prof.mode, wall_median_ms: prof.wall_median_ms, ratio_to_plain: prof.wall_median_ms / ps.median_ms });
            }
            (Some(prof.layers), Some(prof.mode))
        }
        Stoppable::Done(None) => (None, None),
    };
    // Step 5: the observed timestamp resolution, and what it cannot resolve.
    let timestamp_resolution_ns = resolution_ns(&timed.stamps);
    let gpu_stats = gpu_stats.filter(|g| resolves(g.median_ms, timestamp_resolution_ns));
    let layers = layers.map(|ls| ls.into_iter().map(|l| LayerTime { unresolved: !resolves(l.median_ms, timestamp_resolution_ns), ..l }).collect());
    Ok(Some(Measurement {
        wall,
        gpu: gpu_stats,
        mode,
        layers,
        layers_mode,
        mode_overheads: overheads,
        warmup_runs,
        noisy,
        timestamp_resolution_ns,
        kernels: gpu.kernel_config(),
        limits: gpu.limits_info(),
    }))
}

/// A step's result, or that it was asked to stop.
enum Stoppable<T> {
    Done(T),
    Stopped,
}

/// The program on the GPU, run one inference at a time unless asked to stop.
struct Runs<'a> {
    gpu: &'a Gpu,
    program: &'a Program,
    stop: &'a dyn Fn() -> bool,
}

impl Runs<'_> {
    /// One inference in `mode`; `None` when asked to stop first.
    async fn run(&self, mode: TimingMode) -> Result<Option<RunTiming>, ProgramError> {
        if (self.stop)() {
            return Ok(None);
        }
        self.program.run(self.gpu, mode).await.map(Some)
    }
}

/// Step 1, warm-up: plain runs until the last walls settle (between the protocol's bounds).
async fn warm_up(r: &Runs<'_>, p: &Protocol) -> Result<Option<u32>, ProgramError> {
    let mut warm = Vec::new();
    while (warm.len() as u32) < p.warmup_max && ((warm.len() as u32) < p.warmup_min || !settled(&warm, 3, p.settle_tol)) {
        let Some(t) = r.run(TimingMode::Plain).await? else { return Ok(None) };
        warm.push(t.wall_ms);
    }
    Ok(Some(warm.len() as u32))
}

/// What the timed runs gave: statistics per mode timed, and every run's raw timestamps.
struct Timed {
    /// Plain runs' wall clock, when timed.
    plain: Option<Stats>,
    /// Whole-pass runs' wall clock and GPU time, when the adapter has timestamp queries.
    whole_pass: Option<(Stats, Stats)>,
    stamps: Vec<(Vec<u64>, f64)>,
}

/// Step 2, timed runs: plain and whole-pass interleaved; measured again with twice the runs while
/// the spread is over the threshold (the earlier runs are replaced, not mixed in).
async fn timed_runs(r: &Runs<'_>, p: &Protocol) -> Result<Option<Timed>, ProgramError> {
    let whole = Program::supports(r.gpu, TimingMode::WholePass);
    let time_plain = p.interleave_plain || !whole;
    let (mut plain, mut wp_wall, mut wp_gpu, mut stamps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut target = p.runs.max(1);
    let mut remeasures = 0;
    loop {
        while (plain.len().max(wp_wall.len()) as u32) < target {
            if time_plain {
                let Some(t) = r.run(TimingMode::Plain).await? else { return Ok(None) };
                plain.push(t.wall_ms);
            }
            if whole {
                let Some(t) = r.run(TimingMode::WholePass).await? else { return Ok(None) };
                wp_wall.push(t.wall_ms);
                wp_gpu.push(t.gpu_ms.unwrap_or(0.0));
                stamps.push((t.timestamp_ticks, t.timestamp_period_ns));
            }
        }
        let worst = (if time_plain { summarize(&plain).cov } else { 0.0 }).max(if whole { summarize(&wp_wall).cov } else { 0.0 });
        if worst <= p.cov_threshold || remeasures >= p.max_remeasure {
            break;
        }
        remeasures += 1;
        target *= 2;
        plain.clear();
        wp_wall.clear();
        wp_gpu.clear();
    }
    Ok(Some(Timed { plain: time_plain.then(|| summarize(&plain)), whole_pass: whole.then(|| (summarize(&wp_wall), summarize(&wp_gpu))), stamps }))
}

/// Step 3, the mode a record reports: whole-pass (with GPU time) when plain runs were not timed, or
/// when its wall clock is within the plain runs' spread (at least 2%) of theirs; plain
/// otherwise. Returns the wall and GPU statistics, the mode, and each extra mode's overhead.
fn choose_mode(t: &Timed) -> (Stats, Option<Stats>, TimingMode, Vec<ModeOverhead>) {
    match (t.plain, t.whole_pass) {
        (None, Some((wp, g))) => (wp, Some(g), TimingMode::WholePass, Vec::new()),
        (Some(ps), Some((wp, g))) => {
            let ratio = wp.median_ms / ps.median_ms;
            let overheads = vec![ModeOverhead { mode: TimingMode::WholePass, wall_median_ms: wp.median_ms, ratio_to_plain: ratio }];
            if ratio <= 1.0 + ps.cov.max(0.02) {
                (wp, Some(g), TimingMode::WholePass, overheads)
            } else {
                (ps, None, TimingMode::Plain, overheads)
            }
        }
        (Some(ps), None) => (ps, None, TimingMode::Plain, Vec::new()),
        (None, None) => unreachable!("plain runs are timed whenever whole-pass runs are not"),
    }
}

/// A per-layer profile and the wall clock of the runs that made it.
struct Profile {
    mode: TimingMode,
    layers: Vec<LayerTime>,
    wall_median_ms: f64,
}

/// Step 4, a per-layer profile, when the adapter can time dispatches or passes and the protocol asks
/// for profile runs; their timestamps join `stamps`.
async fn profile_layers(r: &Runs<'_>, p: &Protocol, stamps: &mut Vec<(Vec<u64>, f64)>) -> Result<Stoppable<Option<Profile>>, ProgramError> {
    let (Some(mode), true) = (profile_mode(r.gpu), p.profile_runs > 0) else { return Ok(Stoppable::Done(None)) };
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); r.program.dispatches.len()];
    let mut walls = Vec::new();
    for _ in 0..p.profile_runs {
        let Some(t) = r.run(mode).await? else { return Ok(Stoppable::Stopped) };
        walls.push(t.wall_ms);
        for (i, ms) in t.per_dispatch_ms.unwrap_or_default().into_iter().enumerate() {
            per[i].push(ms);
        }
        stamps.push((t.timestamp_ticks, t.timestamp_period_ns));
    }
    let layers = r.program.dispatches.iter().zip(&per).map(|(d, v)| LayerTime { name: d.name.clone(), median_ms: median(v), unresolved: false }).collect();
    Ok(Stoppable::Done(Some(Profile { mode, layers, wall_median_ms: median(&walls) })))
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

    #[test]
    fn resolution_is_the_grid_of_all_timestamps_once_there_are_enough() {
        // Four stamps (two whole-pass runs) are too few to trust their GCD.
        let whole = |b: u64, d: u64| (vec![b, b + d], 1.0);
        assert_eq!(resolution_ns(&[whole(0, 35_000_000), whole(7, 35_000_000)]), None);
        // Chrome without developer features: every stamp on a 65,536 ns grid.
        let coarse: Vec<_> = (0..10u64).map(|i| whole((1_000 + 37 * i) << 16, (500 + i * i) << 16)).collect();
        assert_eq!(resolution_ns(&coarse), Some(65_536.0));
        // A nanosecond counter: the grid is a few ns at most.
        let fine: Vec<_> = (0..10u64).map(|i| whole(1_000_003 + 7_919 * i, 35_000_011 + 104_729 * i)).collect();
        assert!(resolution_ns(&fine).unwrap() <= 2.0);
        // Ticks of 2 ns on a 100 us grid.
        let profiled = vec![(vec![0, 50_000, 150_000, 400_000, 450_000], 2.0), (vec![1_000_000, 1_100_000, 1_250_000], 2.0)];
        assert_eq!(resolution_ns(&profiled), Some(100_000.0));
    }

    #[test]
    fn times_under_ten_quanta_are_not_resolved() {
        assert!(resolves(0.01, None));
        assert!(resolves(0.7, Some(65_536.0)));
        assert!(!resolves(0.6, Some(65_536.0)));
        assert!(resolves(0.001, Some(100.0)));
    }
}
