//! The structural latency model: a network's time as a sum of costs, each a non-negative
//! device constant times a count the cell fixes. `ms = sum_j c_j t_j` over [`NUM_TERMS`] terms:
//! a fixed cost; a launch cost per layer of each kind (3x3 and 1x1 convolutions, projections,
//! max-pools, sums, concatenations); a cost per GMAC of each convolution kind, split by the
//! cell's output fan-in (which sets every interior vertex's channel count in NAS-Bench-101, and
//! so how well the kernels' tiles are filled); and a cost per MB of activation traffic of each
//! kind of layer. On the devices in `trained/` this form fits 98-100 % of the measured cells
//! within ±10 % with all data; its strength is that few constants change between devices.
//!
//! A new device's constants are fitted from K measured cells by non-negative least squares on
//! relative error, pulled toward a known device's constants rescaled to this device
//! ([`fit_toward`]): with five cells it is a rescaled known device, with more the constants
//! move where the measurements say. A known device's constants come from its model's
//! predictions on a fixed set of probe cells ([`profile`]), so any model file can serve as a
//! prior. Plain `f64` loops in a fixed order: the same bits natively and in wasm32.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::space::{decode_cell, Cell};

use super::features::{features, idx, Features};
use super::linalg::nnls;
use super::model::Model;

/// Number of terms.
pub const NUM_TERMS: usize = 29;
/// Output fan-ins the MAC terms are split by (1 to 5 interior vertices feed the output).
const FANINS: usize = 5;
/// Probe cells a known device's constants are fitted on.
pub const PROBE_CELLS: usize = 256;
/// Seed of the probe cells.
const PROBE_SEED: u64 = 0x5052_4f42;

const GIGA: f64 = 1e9;
const MEGA: f64 = 1e6;

/// Term names, in order (units in brackets: the constants are ms per unit).
pub fn term_names() -> Vec<String> {
    let mut v: Vec<String> = ["fixed", "launch_conv3x3", "launch_conv1x1", "launch_projection", "launch_maxpool3x3", "launch_add", "launch_concat"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(["gmac_conv3x3", "gmac_conv1x1", "gmac_projection"].iter().map(|s| s.to_string()));
    v.extend(["mb_conv", "mb_pool", "mb_add", "mb_concat"].iter().map(|s| s.to_string()));
    for f in 1..=FANINS {
        for k in ["conv3x3", "conv1x1", "projection"] {
            v.push(format!("gmac_{k}_fanin{f}"));
        }
    }
    v
}

/// The terms of a cell's network from its features.
pub fn terms(f: &Features) -> [f64; NUM_TERMS] {
    let mut t = [0.0; NUM_TERMS];
    t[0] = 1.0;
    let counts = [idx::N_CONV3X3, idx::N_CONV1X1, idx::N_PROJECTION, idx::N_MAXPOOL3X3, idx::N_ADD, idx::N_CONCAT];
    for (k, &j) in counts.iter().enumerate() {
        t[1 + k] = f[j];
    }
    let macs = [idx::MACS_CONV3X3, idx::MACS_CONV1X1, idx::MACS_PROJECTION];
    for (k, &j) in macs.iter().enumerate() {
        t[7 + k] = f[j] / GIGA;
    }
    let traffic = [idx::TRAFFIC_CONV, idx::TRAFFIC_POOL, idx::TRAFFIC_ADD, idx::TRAFFIC_CONCAT];
    for (k, &j) in traffic.iter().enumerate() {
        t[10 + k] = f[j] / MEGA;
    }
    let fanin = f[idx::OUTPUT_FANIN] as usize;
    if (1..=FANINS).contains(&fanin) {
        for (k, &j) in macs.iter().enumerate() {
            t[14 + 3 * (fanin - 1) + k] = f[j] / GIGA;
        }
    }
    t
}

/// `sum_j c_j t_j`.
pub fn eval(coef: &[f64], t: &[f64; NUM_TERMS]) -> f64 {
    let mut s = 0.0;
    for j in 0..NUM_TERMS {
        s += coef[j] * t[j];
    }
    s
}

/// The probe cells: [`PROBE_CELLS`] cells of [`random_cells`] with a fixed seed.
pub fn probe_cells() -> Vec<Cell> {
    random_cells(PROBE_CELLS, PROBE_SEED)
}

/// `n` valid cells decoded from seeded random generator codes, most with 7 vertices as in
/// the space (deterministic; no enumeration needed; repeats possible).
pub fn random_cells(n: usize, seed: u64) -> Vec<Cell> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cells = Vec::with_capacity(n);
    while cells.len() < n {
        let n: u32 = if rng.random_range(0..8) == 0 { 6 } else { 7 };
        let bits = rng.random_range(0..1u32 << (n * (n - 1) / 2));
        let labels = rng.random_range(0..3u32.pow(n - 2));
        if let Some(c) = decode_cell(((n - 2) << 29) | (bits << 8) | labels) {
            cells.push(c);
        }
    }
    cells
}

/// Terms of the probe cells, and their mean (the typical size of each term).
pub struct Probe {
    pub cells: Vec<Cell>,
    pub features: Vec<Features>,
    pub terms: Vec<[f64; NUM_TERMS]>,
    pub mean: [f64; NUM_TERMS],
}

impl Probe {
    pub fn new() -> Probe {
        let cells = probe_cells();
        let features: Vec<Features> = cells.iter().map(features).collect();
        let terms: Vec<[f64; NUM_TERMS]> = features.iter().map(terms).collect();
        let mut mean = [0.0; NUM_TERMS];
        for t in &terms {
            for j in 0..NUM_TERMS {
                mean[j] += t[j] / terms.len() as f64;
            }
        }
        Probe { cells, features, terms, mean }
    }
}

impl Default for Probe {
    fn default() -> Self {
        Probe::new()
    }
}

/// Non-negative least squares on relative error, `sum_i (t_i . c / y_i - 1)^2`, plus
/// `sum_j penalty_j (c_j - prior_j)^2`; columns scaled to unit norm for the solve.
fn nnls_relative(t: &[[f64; NUM_TERMS]], y: &[f64], penalty: &[f64; NUM_TERMS], prior: &[f64]) -> Vec<f64> {
    let n = y.len();
    let rows = n + NUM_TERMS;
    let mut x = vec![0.0; rows * NUM_TERMS];
    let mut b = vec![0.0; rows];
    for i in 0..n {
        for j in 0..NUM_TERMS {
            x[i * NUM_TERMS + j] = t[i][j] / y[i];
        }
        b[i] = 1.0;
    }
    for j in 0..NUM_TERMS {
        let s = libm::sqrt(penalty[j]);
        x[(n + j) * NUM_TERMS + j] = s;
        b[n + j] = s * prior[j];
    }
    let mut norm = [0.0; NUM_TERMS];
    for r in 0..rows {
        for j in 0..NUM_TERMS {
            norm[j] += x[r * NUM_TERMS + j] * x[r * NUM_TERMS + j];
        }
    }
    let norm = norm.map(|v| if v > 0.0 { libm::sqrt(v) } else { 1.0 });
    for r in 0..rows {
        for j in 0..NUM_TERMS {
            x[r * NUM_TERMS + j] /= norm[j];
        }
    }
    let w = nnls(&x, &b, NUM_TERMS);
    (0..NUM_TERMS).map(|j| w[j] / norm[j]).collect()
}

/// A known device's constants: the structural model fitted to `source`'s predictions on the
/// probe cells (with a feather-light pull toward zero so unused terms stay at zero).
pub fn profile(source: &Model, probe: &Probe) -> Vec<f64> {
    let y: Vec<f64> = probe.cells.iter().zip(&probe.features).map(|(c, f)| source.predict_features(c, f).map_or(f64::NAN, |p| p.ms)).collect();
    let keep: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_finite() && y[i] > 0.0).collect();
    let t: Vec<[f64; NUM_TERMS]> = keep.iter().map(|&i| probe.terms[i]).collect();
    let y: Vec<f64> = keep.iter().map(|&i| y[i]).collect();
    nnls_relative(&t, &y, &[1e-12; NUM_TERMS], &[0.0; NUM_TERMS])
}

/// Fits this device's constants from measured `(terms, ms)` pairs, pulled toward `prior`
/// (a known device's [`profile`]) rescaled by the factor that best fits the pairs. `lambda`
/// weighs the pull: a change of one term's typical contribution (its probe mean) by the
/// typical network time costs as much as `lambda` cells' squared relative error.
/// `None` when the prior predicts nothing for these cells.
pub fn fit_toward(t: &[[f64; NUM_TERMS]], y: &[f64], prior: &[f64], probe_mean: &[f64; NUM_TERMS], lambda: f64) -> Option<Vec<f64>> {
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..y.len() {
        let q = eval(prior, &t[i]) / y[i];
        num += q;
        den += q * q;
    }
    if !(den > 0.0 && num > 0.0) {
        return None;
    }
    let scale = num / den;
    let typical = scale * eval(prior, probe_mean);
    if !(typical > 0.0 && typical.is_finite()) {
        return None;
    }
    let penalty = probe_mean.map(|m| lambda * (m / typical) * (m / typical));
    let target: Vec<f64> = prior.iter().map(|p| scale * p).collect();
    Some(nnls_relative(t, y, &penalty, &target))
}
