//! A latency model for one device from its own measurements, however few: the one entry
//! point the browser (after each measured cell), the collector (per contributed device) and
//! `leti train --from-db` share, so the same records give the same model everywhere.
//!
//! Below [`CHOOSE_MIN_CELLS`] cells the model is the structural model ([`super::structural`])
//! fitted toward every known device's constants in turn, with the constants averaged: a
//! handful of cells, most of them the fixed anchors, cannot tell reliably which known device
//! is the better prior, and cross-validating on them did pick badly (see trained/README.md).
//! From [`CHOOSE_MIN_CELLS`] cells on, that mean competes with the structural fit toward each
//! known device alone, a FLOPs line and a ridge regression on the device's own cells, and the
//! candidate with the lowest cross-validated log error on the device's pairs is kept
//! (leave-one-out up to [`LOO_MAX`] cells, then [`FOLDS`] folds dealt by position). The
//! winner is refitted on every pair. The cross-validated share within ±10% is reported with
//! it; it is an estimate from the training cells, not the prospective accuracy the app
//! measures on cells measured after the fit.
//!
//! Known devices' models calibrated to the new one are not candidates: every known device
//! measured the same anchors and its model was trained on them, so cross-validation on a new
//! device's anchors flatters those models (on the browser device it kept a calibrated
//! lavapipe model at 75% of unseen cells within ±10% where the structural mean reached 93%).
//!
//! Pure `f64` arithmetic in a fixed order: the same pairs give the same model bits natively
//! and in wasm32.

use crate::space::Cell;

use super::features::{features, idx, Features};
use super::linalg::line_fit;
use super::model::{Interval, Model, ModelError, ModelFile, Predictor, Target, TrainingInfo};
use super::ridge_fit::ridge_with;
use super::structural::{self, Probe, NUM_TERMS};

/// Cross-validation is leave-one-out up to this many cells.
pub const LOO_MAX: usize = 30;
/// Folds of the cross-validation above [`LOO_MAX`] cells.
pub const FOLDS: usize = 5;
/// Cells a device needs before candidates compete by cross-validation (below it, the
/// structural mean over the known devices is the model).
pub const CHOOSE_MIN_CELLS: usize = 30;
/// Ridge penalties tried for the own-cells model (per sample, standardised log features).
const OWN_LAMBDAS: [f64; 4] = [1e-3, 1e-2, 1e-1, 1.0];
/// Pull of the structural fit toward a known device's constants (see
/// [`structural::fit_toward`]); chosen in leave-one-device-out over `trained/`.
pub const STRUCTURAL_LAMBDA: f64 = 0.1;
/// Name of the structural mean over every known device's constants.
pub const STRUCTURAL_MEAN: &str = "structural, mean over the known devices' priors";

/// The chosen model and how it was chosen.
#[derive(Clone, Debug)]
pub struct DeviceFit {
    pub model: Model,
    /// The winning candidate, e.g. [`STRUCTURAL_MEAN`] or `ridge-log on own cells (lambda 0.1)`.
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

/// A known device's structural constants, read off its model (see [`structural::profile`]).
struct Prior {
    device: String,
    coef: Vec<f64>,
}

/// One way of fitting a model from pairs.
enum Candidate<'a> {
    /// The structural fits toward every known device, their constants averaged.
    StructuralMean(&'a [Prior]),
    /// The structural model pulled toward one known device's constants.
    Structural(&'a Prior),
    /// A line in MACs fitted on the device's own cells.
    FlopsLine,
    RidgeLog(f64),
}

impl Candidate<'_> {
    fn name(&self) -> String {
        match self {
            Candidate::StructuralMean(_) => STRUCTURAL_MEAN.to_string(),
            Candidate::Structural(p) => format!("structural, prior from {}", p.device),
            Candidate::FlopsLine => "FLOPs line on own cells".to_string(),
            Candidate::RidgeLog(l) => format!("ridge-log on own cells (lambda {l})"),
        }
    }

    fn fit(&self, p: &Pairs, rows: &[usize], device: &str, target: Target, probe_mean: &[f64; NUM_TERMS]) -> Result<Model, ModelError> {
        let info = TrainingInfo { device: device.to_string(), n_cells: rows.len(), ..TrainingInfo::default() };
        let t: Vec<[f64; NUM_TERMS]> = rows.iter().map(|&i| p.terms[i]).collect();
        let y: Vec<f64> = rows.iter().map(|&i| p.ms[i]).collect();
        let toward = |prior: &Prior| structural::fit_toward(&t, &y, &prior.coef, probe_mean, STRUCTURAL_LAMBDA);
        let predictor = match self {
            Candidate::StructuralMean(priors) => {
                let fits: Vec<Vec<f64>> = priors.iter().filter_map(toward).collect();
                if fits.is_empty() {
                    return Err(ModelError::Invalid("no known device's prior predicts these cells".into()));
                }
                let coef = (0..NUM_TERMS).map(|j| fits.iter().map(|c| c[j]).sum::<f64>() / fits.len() as f64).collect();
                Predictor::Structural { coef }
            }
            Candidate::Structural(prior) => {
                Predictor::Structural { coef: toward(prior).ok_or_else(|| ModelError::Invalid("the prior predicts nothing for these cells".into()))? }
            }
            Candidate::FlopsLine => {
                let macs: Vec<f64> = rows.iter().map(|&i| p.feats[i][idx::MACS]).collect();
                let (a, b) = flops_line(&macs, &y);
                Predictor::Flops { a, b }
            }
            Candidate::RidgeLog(lambda) => {
                Predictor::Ridge(ridge_with(p.feats, p.ms, rows, true, *lambda).ok_or_else(|| ModelError::Invalid("ridge system is singular".into()))?)
            }
        };
        Model::new(ModelFile::new(target, info, predictor, Interval::None))
    }
}

/// Least squares `ms = a + b * macs`; where that gives a negative constant or slope, the line
/// through zero instead, so that no cell is predicted at or below zero.
fn flops_line(macs: &[f64], ms: &[f64]) -> (f64, f64) {
    let (a, b) = line_fit(macs, ms);
    if a >= 0.0 && b >= 0.0 {
        return (a, b);
    }
    let (sxy0, sxx0) = macs.iter().zip(ms).fold((0.0, 0.0), |(a, b), (x, y)| (a + x * y, b + x * x));
    (0.0, if sxx0 > 0.0 { sxy0 / sxx0 } else { 0.0 })
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
    let priors: Vec<Prior> = sources.iter().map(|s| Prior { device: s.file.training.device.clone(), coef: structural::profile(s, &probe) }).collect();
    let cands = candidates(&priors, ms.len());
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

/// Every candidate for a device with `n` cells, in a fixed order (ties keep the earlier).
fn candidates(priors: &[Prior], n: usize) -> Vec<Candidate<'_>> {
    let mut c = vec![Candidate::StructuralMean(priors)];
    if n >= CHOOSE_MIN_CELLS {
        c.extend(priors.iter().map(Candidate::Structural));
        c.push(Candidate::FlopsLine);
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
