//! A latency model for one device from its own measurements, however few: the one entry
//! point the browser (after each measured cell), the collector (per contributed device) and
//! `leti train --from-db` share, so the same records give the same model everywhere.
//!
//! Several candidates are fitted on the device's `(cell, ms)` pairs and the one with the
//! lowest cross-validated log error on those same pairs is kept (leave-one-out up to
//! [`LOO_MAX`] cells, then [`FOLDS`] folds dealt by position): for each known device, the
//! structural model ([`super::structural`]) pulled toward that device's constants, and that
//! device's model calibrated to this one ([`super::calibrate`]); a MACs power law with no
//! known device; and with enough cells a ridge regression on the device's own cells alone. The winner is refitted on every pair. The cross-validated
//! share within ±10% is reported with it; it is an estimate from the training cells, not the
//! prospective accuracy the app measures on cells measured after the fit.
//!
//! Pure `f64` arithmetic in a fixed order: the same pairs give the same model bits natively
//! and in wasm32.

use crate::space::Cell;

use super::calibrate::{calibrate, CalibrationOptions};
use super::features::{features, Features};
use super::model::{Interval, Model, ModelError, ModelFile, Predictor, Target, TrainingInfo};
use super::ridge_fit::ridge_with;
use super::structural::{self, Probe, NUM_TERMS};

/// Cross-validation is leave-one-out up to this many cells.
pub const LOO_MAX: usize = 30;
/// Folds of the cross-validation above [`LOO_MAX`] cells.
pub const FOLDS: usize = 5;
/// Cells a device needs before a model of its own cells alone competes.
pub const OWN_MODEL_MIN_CELLS: usize = 30;
/// Ridge penalties tried for the own-cells model (per sample, standardised log features).
const OWN_LAMBDAS: [f64; 4] = [1e-3, 1e-2, 1e-1, 1.0];
/// Pull of the structural fit toward a known device's constants (see
/// [`structural::fit_toward`]); chosen in leave-one-device-out over `trained/`.
pub const STRUCTURAL_LAMBDA: f64 = 0.1;
/// Name of the candidate without a known device.
pub const MACS_ONLY: &str = "none (MACs power law)";

/// The chosen model and how it was chosen.
#[derive(Clone, Debug)]
pub struct DeviceFit {
    pub model: Model,
    /// The winning candidate, e.g. `calibrated from <device>` or `ridge-log on own cells`.
    pub method: String,
    /// Cross-validated share of the device's cells predicted within ±10% (`None` below 3 cells).
    pub cv_within_10: Option<f64>,
    /// Cross-validated root mean squared log error of every candidate tried, by method.
    pub candidates: Vec<(String, Option<f64>)>,
}

/// The device's pairs with what every candidate needs of them.
struct Pairs<'a> {
    cells: &'a [Cell],
    feats: &'a [Features],
    terms: &'a [[f64; NUM_TERMS]],
    ms: &'a [f64],
}

/// One way of fitting a model from pairs.
enum Candidate<'a> {
    Calibrated(&'a Model),
    /// The structural model pulled toward a known device's constants (its name, constants).
    Structural(String, Vec<f64>),
    RidgeLog(f64),
}

impl Candidate<'_> {
    fn name(&self) -> String {
        match self {
            Candidate::Calibrated(m) if m.file.training.device == MACS_ONLY => MACS_ONLY.to_string(),
            Candidate::Calibrated(m) => format!("calibrated from {}", m.file.training.device),
            Candidate::Structural(d, _) => format!("structural, prior from {d}"),
            Candidate::RidgeLog(l) => format!("ridge-log on own cells (lambda {l})"),
        }
    }

    fn fit(&self, p: &Pairs, rows: &[usize], device: &str, target: Target, probe_mean: &[f64; NUM_TERMS]) -> Result<Model, ModelError> {
        let info = TrainingInfo { device: device.to_string(), n_cells: rows.len(), ..TrainingInfo::default() };
        let predictor = match self {
            Candidate::Calibrated(src) => {
                let anchors: Vec<(Cell, f64)> = rows.iter().map(|&i| (p.cells[i], p.ms[i])).collect();
                return calibrate(src, &anchors, device, &CalibrationOptions::default());
            }
            Candidate::Structural(_, prior) => {
                let t: Vec<[f64; NUM_TERMS]> = rows.iter().map(|&i| p.terms[i]).collect();
                let y: Vec<f64> = rows.iter().map(|&i| p.ms[i]).collect();
                let coef = structural::fit_toward(&t, &y, prior, probe_mean, STRUCTURAL_LAMBDA)
                    .ok_or_else(|| ModelError::Invalid("the prior predicts nothing for these cells".into()))?;
                Predictor::Structural { coef }
            }
            Candidate::RidgeLog(lambda) => {
                Predictor::Ridge(ridge_with(p.feats, p.ms, rows, true, *lambda).ok_or_else(|| ModelError::Invalid("ridge system is singular".into()))?)
            }
        };
        Model::new(ModelFile::new(target, info, predictor, Interval::None))
    }
}

/// Which fold each of `n` cells is held out in.
fn fold_of(n: usize) -> (usize, Vec<usize>) {
    if n <= LOO_MAX {
        (n, (0..n).collect())
    } else {
        (FOLDS, (0..n).map(|i| i % FOLDS).collect())
    }
}

/// Out-of-fold log residuals `ln(measured / predicted)` of a candidate.
fn cv_residuals(c: &Candidate, p: &Pairs, device: &str, target: Target, probe_mean: &[f64; NUM_TERMS]) -> Result<Vec<f64>, ModelError> {
    let n = p.ms.len();
    let (k, fold) = fold_of(n);
    let mut res = vec![0.0; n];
    for f in 0..k {
        let train: Vec<usize> = (0..n).filter(|&i| fold[i] != f).collect();
        let m = c.fit(p, &train, device, target, probe_mean)?;
        for i in (0..n).filter(|&i| fold[i] == f) {
            let pred = m.predict_features(&p.cells[i], &p.feats[i]).map_err(|e| ModelError::Invalid(e.to_string()))?.ms;
            res[i] = libm::log(p.ms[i] / pred.max(1e-9));
        }
    }
    Ok(res)
}

fn rmse(res: &[f64]) -> f64 {
    libm::sqrt(res.iter().map(|r| r * r).sum::<f64>() / res.len() as f64)
}

fn within_10(res: &[f64]) -> f64 {
    // |measured / predicted - 1| <= 0.1, the same test as `Metrics::within_10`.
    res.iter().filter(|r| (libm::exp(-**r) - 1.0).abs() <= 0.1).count() as f64 / res.len() as f64
}

/// Fits this device's model from its measured `(cell, ms)` pairs (distinct cells, latency in
/// the unit of `target`), borrowing from `sources` (models of known devices) while the device
/// has few cells. Needs one pair and one source at least; `device` names it in the model file.
pub fn fit_device(measured: &[(Cell, f64)], sources: &[&Model], device: &str, target: Target) -> Result<DeviceFit, ModelError> {
    if measured.is_empty() {
        return Err(ModelError::Invalid("a device model needs at least one measured cell".into()));
    }
    if let Some((_, m)) = measured.iter().find(|(_, m)| !(m.is_finite() && *m > 0.0)) {
        return Err(ModelError::Invalid(format!("measurement {m} ms is not a positive number")));
    }
    if sources.is_empty() {
        return Err(ModelError::Invalid("a device model needs at least one known device's model".into()));
    }
    let cells: Vec<Cell> = measured.iter().map(|(c, _)| *c).collect();
    let ms: Vec<f64> = measured.iter().map(|(_, m)| *m).collect();
    let feats: Vec<Features> = cells.iter().map(features).collect();
    let terms: Vec<[f64; NUM_TERMS]> = feats.iter().map(structural::terms).collect();
    let pairs = Pairs { cells: &cells, feats: &feats, terms: &terms, ms: &ms };
    let probe = Probe::new();
    let macs_only = macs_only_model(target)?;
    let cands = candidates(sources, &macs_only, &probe, ms.len());
    let mut scored = Vec::with_capacity(cands.len());
    let mut best: Option<(usize, f64, Vec<f64>)> = None;
    for (ci, c) in cands.iter().enumerate() {
        // A candidate that cannot be fitted on some fold (e.g. a prior that predicts nothing)
        // is skipped, not fatal.
        let err = if ms.len() >= 3 { cv_residuals(c, &pairs, device, target, &probe.mean).ok() } else { None };
        let e = err.as_deref().map(rmse);
        scored.push((c.name(), e));
        let better = match (&best, e) {
            (None, _) => ms.len() < 3 || e.is_some(),
            (Some((_, b, _)), Some(e)) => e < *b,
            (Some(_), None) => false,
        };
        if better {
            best = Some((ci, e.unwrap_or(f64::INFINITY), err.unwrap_or_default()));
        }
    }
    let (ci, _, res) = best.ok_or_else(|| ModelError::Invalid("no candidate model could be fitted".into()))?;
    let all: Vec<usize> = (0..ms.len()).collect();
    let mut file = cands[ci].fit(&pairs, &all, device, target, &probe.mean)?.file;
    file.training.n_cells = ms.len();
    file.training.source = format!("{} cells measured on this device", ms.len());
    file.training.notes = format!("device model: {}", cands[ci].name());
    file.interval = interval_of(&res).unwrap_or(Interval::None);
    let cv_within_10 = (!res.is_empty()).then(|| within_10(&res));
    Ok(DeviceFit { model: Model::new(file)?, method: cands[ci].name(), cv_within_10, candidates: scored })
}

/// Latency proportional to MACs: the source of the candidate with no known device.
fn macs_only_model(target: Target) -> Result<Model, ModelError> {
    let info = TrainingInfo { device: MACS_ONLY.to_string(), ..TrainingInfo::default() };
    Model::new(ModelFile::new(target, info, Predictor::Flops { a: 0.0, b: 1e-6 }, Interval::None))
}

/// Every candidate for a device with `n` cells, in a fixed order (ties keep the earlier).
fn candidates<'a>(sources: &[&'a Model], macs_only: &'a Model, probe: &Probe, n: usize) -> Vec<Candidate<'a>> {
    let mut c: Vec<Candidate> = sources.iter().map(|s| Candidate::Structural(s.file.training.device.clone(), structural::profile(s, probe))).collect();
    c.extend(sources.iter().map(|s| Candidate::Calibrated(s)));
    c.push(Candidate::Calibrated(macs_only));
    if n >= OWN_MODEL_MIN_CELLS {
        c.extend(OWN_LAMBDAS.iter().map(|&l| Candidate::RidgeLog(l)));
    }
    c
}

/// An 80 % residual interval from out-of-fold residuals (none below 10 of them).
fn interval_of(res: &[f64]) -> Option<Interval> {
    if res.len() < 10 {
        return None;
    }
    let mut r = res.to_vec();
    r.sort_by(f64::total_cmp);
    let q = |p: f64| r[((p * (r.len() - 1) as f64).round() as usize).min(r.len() - 1)];
    Some(Interval::Residual { lo: libm::exp(q(0.1).min(0.0)), hi: libm::exp(q(0.9).max(0.0)), level: 0.8 })
}
