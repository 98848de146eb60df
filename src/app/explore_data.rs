//! The Explore page's arithmetic, without the browser: op counts per cell, the filter (op
//! counts, latency range), log axes, binning hundreds of thousands of points into a pixel
//! grid, the latency histogram, the latency/parameters Pareto front (the largest cell per
//! latency budget), the cell nearest a click and hash search.

use crate::space::{pack, Cell, ModuleHash, Op, SpaceEntry};

/// Number of conv3x3, conv1x1 and maxpool3x3 vertices of a cell.
pub fn op_counts(cell: &Cell) -> [u8; 3] {
    let mut n = [0u8; 3];
    for op in cell.ops() {
        match op {
            Op::Conv3x3 => n[0] += 1,
            Op::Conv1x1 => n[1] += 1,
            Op::MaxPool3x3 => n[2] += 1,
            _ => {}
        }
    }
    n
}

/// Which cells to show: exact op counts (`None`: any) and a latency range in ms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Filter {
    pub ops: [Option<u8>; 3],
    pub min_ms: Option<f32>,
    pub max_ms: Option<f32>,
}

impl Filter {
    pub fn keeps(&self, ops: [u8; 3], ms: f32) -> bool {
        self.ops.iter().zip(ops).all(|(want, have)| want.is_none_or(|w| w == have))
            && self.min_ms.is_none_or(|m| ms >= m)
            && self.max_ms.is_none_or(|m| ms <= m)
    }

    /// The indices of the cells kept.
    pub fn select(&self, ops: &[[u8; 3]], latency: &[f32]) -> Vec<u32> {
        ops.iter().zip(latency).enumerate().filter(|(_, (o, l))| self.keeps(**o, **l)).map(|(i, _)| i as u32).collect()
    }
}

/// A log-scale axis from `lo` to `hi` (both > 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogAxis {
    pub lo: f64,
    pub hi: f64,
}

impl LogAxis {
    /// Covers the positive finite values with a little room (5% of the span in log space at
    /// each end, at least a tenth of a decade), so the points fill the plot.
    pub fn covering(values: &[f32]) -> LogAxis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in values {
            let v = v as f64;
            if v.is_finite() && v > 0.0 {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if !lo.is_finite() {
            return LogAxis { lo: 1.0, hi: 10.0 };
        }
        let pad = ((hi / lo).log10() * 0.05).max(0.1);
        LogAxis { lo: lo / 10f64.powf(pad), hi: hi * 10f64.powf(pad) }
    }

    /// Where `v` falls, 0 at `lo` and 1 at `hi`.
    pub fn frac(&self, v: f64) -> f64 {
        (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
    }

    /// The value at fraction `t`.
    pub fn at(&self, t: f64) -> f64 {
        10f64.powf(self.lo.log10() + t * (self.hi.log10() - self.lo.log10()))
    }
}

/// Counts of the points `(xs[i], ys[i])` for `i` in `idx` in a `w` x `h` grid (row 0 at the
/// top, i.e. the highest `y`). Points outside the axes or not positive are skipped.
pub fn bin_grid(xs: &[f32], ys: &[f32], idx: &[u32], x: LogAxis, y: LogAxis, w: usize, h: usize) -> Vec<u32> {
    let mut grid = vec![0u32; w * h];
    let (xl, yl) = (x.lo.log10() as f32, y.lo.log10() as f32);
    let xs_scale = w as f32 / (x.hi.log10() - x.lo.log10()) as f32;
    let ys_scale = h as f32 / (y.hi.log10() - y.lo.log10()) as f32;
    for &i in idx {
        let (vx, vy) = (xs[i as usize], ys[i as usize]);
        if !(vx > 0.0 && vy > 0.0) {
            continue;
        }
        let cx = (vx.log10() - xl) * xs_scale;
        let cy = (vy.log10() - yl) * ys_scale;
        if cx >= 0.0 && cy >= 0.0 && (cx as usize) < w && (cy as usize) < h {
            grid[(h - 1 - cy as usize) * w + cx as usize] += 1;
        }
    }
    grid
}

/// The histogram of `values[i]` for `i` in `idx` over `bins` equal log-width bins of `axis`.
pub fn histogram(values: &[f32], idx: &[u32], axis: LogAxis, bins: usize) -> Vec<u32> {
    let mut h = vec![0u32; bins];
    for &i in idx {
        let v = values[i as usize] as f64;
        if v > 0.0 {
            let b = (axis.frac(v) * bins as f64).floor();
            if b >= 0.0 && (b as usize) < bins {
                h[b as usize] += 1;
            }
        }
    }
    h
}

/// The cells of `idx` on the Pareto front of more parameters and lower latency: no other cell
/// is at least as fast with at least as many parameters (parameters stand for capacity: the
/// front holds the largest cell each latency budget affords). Ordered by latency, so
/// parameters grow along it.
pub fn capacity_front(params: &[f32], latency: &[f32], idx: &[u32]) -> Vec<u32> {
    let mut order: Vec<u32> = idx.iter().copied().filter(|&i| latency[i as usize] > 0.0).collect();
    order.sort_unstable_by(|&a, &b| latency[a as usize].total_cmp(&latency[b as usize]).then(params[b as usize].total_cmp(&params[a as usize])));
    let mut front = Vec::new();
    let mut most = f32::NEG_INFINITY;
    for i in order {
        if params[i as usize] > most {
            most = params[i as usize];
            front.push(i);
        }
    }
    front
}

/// The cell of a [`capacity_front`] with the most parameters among those predicted at or under
/// `budget_ms`, if any is.
pub fn largest_under(front: &[u32], latency: &[f32], budget_ms: f32) -> Option<u32> {
    front.iter().rev().copied().find(|&i| latency[i as usize] <= budget_ms)
}

/// Latency budgets worth asking the front about: the shown cells' latency at the given
/// quantiles (0 to 1), rounded to 2 significant digits, without repeats.
pub fn budgets(latency: &[f32], idx: &[u32], quantiles: &[f64]) -> Vec<f32> {
    let mut l: Vec<f32> = idx.iter().map(|&i| latency[i as usize]).filter(|v| *v > 0.0).collect();
    if l.is_empty() {
        return Vec::new();
    }
    l.sort_unstable_by(f32::total_cmp);
    let mut out: Vec<f32> = quantiles
        .iter()
        .map(|q| {
            let v = l[((q.clamp(0.0, 1.0) * (l.len() - 1) as f64).round()) as usize] as f64;
            let unit = 10f64.powf(v.log10().floor() - 1.0);
            ((v / unit).round() * unit) as f32
        })
        .collect();
    out.dedup();
    out
}

/// A plot's area: its log axes and its size in CSS pixels (y down).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotArea {
    pub x: LogAxis,
    pub y: LogAxis,
    pub w: f64,
    pub h: f64,
}

/// The cell of `idx` whose point is nearest `(px, py)` in the pixels of `area`, if it is
/// no farther than `within` pixels (a click on empty space finds nothing).
pub fn nearest(xs: &[f32], ys: &[f32], idx: &[u32], area: PlotArea, px: f64, py: f64, within: f64) -> Option<u32> {
    let PlotArea { x, y, w, h } = area;
    let mut best = (f64::INFINITY, None);
    for &i in idx {
        let (vx, vy) = (xs[i as usize] as f64, ys[i as usize] as f64);
        if !(vx > 0.0 && vy > 0.0) {
            continue;
        }
        let (dx, dy) = (x.frac(vx) * w - px, (1.0 - y.frac(vy)) * h - py);
        let d = dx * dx + dy * dy;
        if d < best.0 {
            best = (d, Some(i));
        }
    }
    best.1.filter(|_| best.0 <= within * within)
}

/// Normalises a typed hash or hash prefix: hex digits only, lower case; `None` if it has
/// anything else or fewer than 4 digits.
pub fn hash_query(q: &str) -> Option<String> {
    let q = q.trim().to_ascii_lowercase();
    (q.len() >= 4 && q.len() <= 32 && q.chars().all(|c| c.is_ascii_hexdigit())).then_some(q)
}

/// The indices of the cells whose hash starts with `prefix` (at most `limit`).
pub fn find_hash(hashes: &[ModuleHash], prefix: &str, limit: usize) -> Vec<u32> {
    hashes.iter().enumerate().filter(|(_, h)| h.to_hex().starts_with(prefix)).take(limit).map(|(i, _)| i as u32).collect()
}

/// The cells split into `n` nearly equal consecutive slices, each packed as a space file of
/// its own (without hashes), for `n` workers; in order, so their results concatenate back.
pub fn split_packed(cells: &[Cell], codes: &[u32], n: usize) -> Vec<Vec<u8>> {
    let n = n.max(1);
    let per = cells.len().div_ceil(n).max(1);
    cells
        .chunks(per)
        .zip(codes.chunks(per))
        .map(|(cs, ks)| {
            let entries: Vec<SpaceEntry> = cs.iter().zip(ks).map(|(&cell, &code)| SpaceEntry { cell, hash: ModuleHash([0; 16]), code }).collect();
            pack(&entries, false)
        })
        .collect()
}

/// `(predicted, measured)` ms of the measured cells found in the space: `measured` holds
/// `(module hash, measured ms)` pairs, `hashes` and `predicted` the space's, in file order.
pub fn measured_vs_predicted(measured: &[(ModuleHash, f64)], hashes: &[ModuleHash], predicted: &[f32]) -> Vec<(f64, f64)> {
    let want: rustc_hash::FxHashMap<ModuleHash, f64> = measured.iter().copied().collect();
    hashes.iter().zip(predicted).filter_map(|(h, &p)| want.get(h).map(|&m| (p as f64, m))).collect()
}

/// What the Explore page keeps in its address, so that Back and a shared link restore it:
/// the chosen model, the op-count filters and the latency range as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExploreView {
    pub model: Option<String>,
    pub ops: [Option<u8>; 3],
    pub min_text: String,
    pub max_text: String,
}

/// Query keys of [`ExploreView`]'s op counts (conv 3×3, conv 1×1, max-pool 3×3).
const OP_KEYS: [&str; 3] = ["conv3", "conv1", "pool"];

impl ExploreView {
    /// The page address: `/explore`, with only what differs from the defaults.
    pub fn url(&self) -> String {
        use super::cell_editor::percent_encode;
        let mut q: Vec<String> = Vec::new();
        if let Some(m) = &self.model {
            q.push(format!("model={}", percent_encode(m)));
        }
        for (key, n) in OP_KEYS.iter().zip(self.ops) {
            if let Some(n) = n {
                q.push(format!("{key}={n}"));
            }
        }
        for (key, text) in [("min", &self.min_text), ("max", &self.max_text)] {
            if !text.trim().is_empty() {
                q.push(format!("{key}={}", percent_encode(text.trim())));
            }
        }
        if q.is_empty() {
            "/explore".to_string()
        } else {
            format!("/explore?{}", q.join("&"))
        }
    }

    /// Reads the view from decoded query values (`get("model")` and so on); what is missing or
    /// not understood keeps its default.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> ExploreView {
        let op = |key: &str| get(key).and_then(|v| v.parse::<u8>().ok()).filter(|&n| n <= 5);
        ExploreView {
            model: get("model").filter(|m| !m.is_empty()),
            ops: OP_KEYS.map(op),
            min_text: get("min").unwrap_or_default(),
            max_text: get("max").unwrap_or_default(),
        }
    }
}
