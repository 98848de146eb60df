//! Few-shot calibration of a model to a new device, and the fixed anchor set of cells every
//! device measures first.
//!
//! Calibration fits, in log space, `ln(ms) = a + b ln(source ms) + sum_j c_j z_j` on K
//! anchor measurements, where `z_j` are standardised `ln(1 + x)` of a few cost features
//! (MACs, activation traffic, kernel launches). The fit is a ridge regression pulled toward
//! the identity (`b = 1`, `c = 0`); only the overall scale `a` is left nearly free, so 5
//! anchors give a scale correction and more anchors let the slope and the cost terms move.
//! It is a 5 x 5 solve: cheap enough to run in the browser right after measuring.
//!
//! With several source models (one per known device), [`calibrate_best`] calibrates each and
//! keeps the one whose calibration best predicts anchors it was not fitted on (leave one out),
//! so a new device borrows from the known device it resembles instead of from a blend.

use crate::space::Cell;

use super::features::{features, idx, Features};
use super::linalg::ridge_toward;
use super::model::{Correction, Model, ModelError, ModelFile, Predictor, TrainingInfo};

/// Size of the anchor set.
pub const ANCHOR_SET_SIZE: usize = 50;

/// Features the correction uses besides the source prediction.
const CORRECTION_FEATURES: [usize; 3] = [idx::MACS, idx::ACT_READ_BYTES, idx::N_LAUNCHES];

/// Penalties of the calibration ridge, in units of squared standardised inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CalibrationOptions {
    /// On the scale `a` (kept tiny: the scale is what a new device changes most).
    pub lambda_scale: f64,
    /// On the slope's distance from 1.
    pub lambda_slope: f64,
    /// On each cost-feature coefficient.
    pub lambda_features: f64,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        CalibrationOptions { lambda_scale: 1e-6, lambda_slope: 2.0, lambda_features: 4.0 }
    }
}

/// The descriptor anchors are spread over: standardised later.
fn descriptor(f: &Features) -> [f64; 4] {
    [libm::log1p(f[idx::MACS]), libm::log1p(f[idx::ACT_READ_BYTES] + f[idx::ACT_WRITE_BYTES]), f[idx::N_LAUNCHES], libm::log1p(f[idx::PEAK_BYTES])]
}

/// Orders `k` of the given feature vectors by greedy farthest-point sampling over
/// standardised (log MACs, log activation traffic, kernel launches, log peak memory): the
/// first is the one nearest the mean, each next the one farthest from all chosen so far
/// (lowest index on ties). Every prefix is well spread. Deterministic.
pub fn spread_order(feats: &[Features], k: usize) -> Vec<usize> {
    let n = feats.len();
    let k = k.min(n);
    if k == 0 {
        return Vec::new();
    }
    let d: Vec<[f64; 4]> = feats.iter().map(descriptor).collect();
    let mut mean = [0.0; 4];
    let mut sd = [0.0; 4];
    for x in &d {
        for j in 0..4 {
            mean[j] += x[j];
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    for x in &d {
        for j in 0..4 {
            sd[j] += (x[j] - mean[j]) * (x[j] - mean[j]);
        }
    }
    for s in &mut sd {
        *s = (*s / n as f64).sqrt();
        if *s == 0.0 {
            *s = 1.0;
        }
    }
    let z: Vec<[f64; 4]> = d.iter().map(|x| [0, 1, 2, 3].map(|j| (x[j] - mean[j]) / sd[j])).collect();
    let dist = |a: &[f64; 4], b: &[f64; 4]| (0..4).map(|j| (a[j] - b[j]) * (a[j] - b[j])).sum::<f64>();
    let origin = [0.0; 4];
    let mut first = 0;
    for i in 1..n {
        if dist(&z[i], &origin) < dist(&z[first], &origin) {
            first = i;
        }
    }
    let mut order = vec![first];
    let mut nearest: Vec<f64> = z.iter().map(|p| dist(p, &z[first])).collect();
    while order.len() < k {
        let mut best = 0;
        for i in 1..n {
            if nearest[i] > nearest[best] {
                best = i;
            }
        }
        order.push(best);
        for i in 0..n {
            let d = dist(&z[i], &z[best]);
            if d < nearest[i] {
                nearest[i] = d;
            }
        }
    }
    order
}

/// The anchor set: indices into `cells` of [`ANCHOR_SET_SIZE`] well-spread cells, in
/// measuring order (the first K form the K-anchor set). Pass the whole space in enumeration
/// order ([`crate::space::enumerate`], or the cells of the packed space file) to get the
/// one fixed set every device measures.
pub fn anchor_set(cells: &[Cell]) -> Vec<usize> {
    let feats: Vec<Features> = cells.iter().map(features).collect();
    spread_order(&feats, ANCHOR_SET_SIZE)
}

/// Fits a calibrated copy of `source` from `(cell, measured ms)` pairs on the new device.
/// Needs at least one measurement; `device` names the new device in the model file.
pub fn calibrate(source: &Model, anchors: &[(Cell, f64)], device: &str, opts: &CalibrationOptions) -> Result<Model, ModelError> {
    if anchors.is_empty() {
        return Err(ModelError::Invalid("calibration needs at least one measurement".into()));
    }
    if let Some((_, m)) = anchors.iter().find(|(_, m)| !(m.is_finite() && *m > 0.0)) {
        return Err(ModelError::Invalid(format!("calibration measurement {m} ms is not a positive number")));
    }
    let k = anchors.len();
    let nf = CORRECTION_FEATURES.len();
    let mut ln_s = Vec::with_capacity(k);
    let mut zs = Vec::with_capacity(k);
    for (cell, _) in anchors {
        let f = features(cell);
        let p = source.predict_features(cell, &f)?.ms;
        ln_s.push(libm::log(p.max(1e-9)));
        zs.push(CORRECTION_FEATURES.map(|j| libm::log1p(f[j])));
    }
    let kf = k as f64;
    let c0 = ln_s.iter().sum::<f64>() / kf;
    let mut mean = vec![0.0; nf];
    let mut scale = vec![0.0; nf];
    for z in &zs {
        for j in 0..nf {
            mean[j] += z[j] / kf;
        }
    }
    for z in &zs {
        for j in 0..nf {
            scale[j] += (z[j] - mean[j]) * (z[j] - mean[j]) / kf;
        }
    }
    for s in &mut scale {
        *s = s.sqrt();
        if *s < 1e-12 {
            *s = 1.0;
        }
    }
    // Columns: 1, ln s - c0, z_1..z_nf; target ln m - ln s; priors all 0.
    let p = 2 + nf;
    let mut x = Vec::with_capacity(k * p);
    let mut y = Vec::with_capacity(k);
    for (i, (_, m)) in anchors.iter().enumerate() {
        x.push(1.0);
        x.push(ln_s[i] - c0);
        for j in 0..nf {
            x.push((zs[i][j] - mean[j]) / scale[j]);
        }
        y.push(libm::log(*m) - ln_s[i]);
    }
    let mut penalty = vec![opts.lambda_features; p];
    penalty[0] = opts.lambda_scale;
    penalty[1] = opts.lambda_slope;
    let w = ridge_toward(&x, &y, p, &penalty, &vec![0.0; p]).ok_or_else(|| ModelError::Invalid("calibration system is singular".into()))?;
    let correction = Correction {
        a: w[0] - w[1] * c0,
        b: 1.0 + w[1],
        features: CORRECTION_FEATURES.iter().map(|&j| j as u16).collect(),
        mean,
        scale,
        c: w[2..].to_vec(),
        k,
    };
    let src = &source.file;
    let file = ModelFile {
        training: TrainingInfo {
            device: device.to_string(),
            source: format!("calibrated from {} with {k} measurements", src.training.device),
            n_cells: k,
            seed: src.training.seed,
            synthetic: src.training.synthetic,
            notes: "few-shot calibration; interval copied from the source model".into(),
            kernels: None,
        },
        predictor: Predictor::Calibrated { source: Box::new(src.predictor.clone()), correction },
        ..src.clone()
    };
    Model::new(file)
}

/// Calibration of one source chosen among several (see [`calibrate_best`]).
#[derive(Clone, Debug)]
pub struct BestCalibration {
    pub model: Model,
    /// Index of the chosen source.
    pub source: usize,
    /// Each source's leave-one-out root mean squared log error on the anchors (`None` with
    /// fewer than three anchors, when the first source is used).
    pub loo_rmse: Vec<Option<f64>>,
}

/// Root mean squared error in log space of `source` calibrated on all anchors but one,
/// predicting the one left out, over every anchor. `None` with fewer than three anchors.
pub fn leave_one_out_rmse(source: &Model, anchors: &[(Cell, f64)], opts: &CalibrationOptions) -> Result<Option<f64>, ModelError> {
    if anchors.len() < 3 {
        return Ok(None);
    }
    let mut sum = 0.0;
    let mut rest = Vec::with_capacity(anchors.len() - 1);
    for (i, (cell, ms)) in anchors.iter().enumerate() {
        rest.clear();
        rest.extend(anchors.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, a)| *a));
        let cal = calibrate(source, &rest, "leave-one-out", opts)?;
        let e = libm::log(cal.predict(cell)?.ms.max(1e-9)) - libm::log(*ms);
        sum += e * e;
    }
    Ok(Some((sum / anchors.len() as f64).sqrt()))
}

/// Calibrates each of `sources` with `anchors` (see [`calibrate`]) and keeps the source with
/// the lowest leave-one-out error (ties: the earlier source). With fewer than three anchors
/// the first source is used. `K` anchors cost `K + 1` small solves per source.
pub fn calibrate_best(sources: &[&Model], anchors: &[(Cell, f64)], device: &str, opts: &CalibrationOptions) -> Result<BestCalibration, ModelError> {
    if sources.is_empty() {
        return Err(ModelError::Invalid("calibration needs at least one source model".into()));
    }
    let loo_rmse = sources.iter().map(|s| leave_one_out_rmse(s, anchors, opts)).collect::<Result<Vec<_>, _>>()?;
    let mut best = 0;
    for (i, e) in loo_rmse.iter().enumerate() {
        if let (Some(e), Some(b)) = (e, loo_rmse[best]) {
            if *e < b {
                best = i;
            }
        }
    }
    let model = calibrate(sources[best], anchors, device, opts)?;
    Ok(BestCalibration { model, source: best, loo_rmse })
}
