//! Learning one device's latency model from its stored records (no I/O; the background job in
//! `learn_job` and `leti train --from-db` call it): the records become one latency per distinct
//! cell (`predict::dataset`, the median of the records' `wall.median_ms`), the data is checked,
//! and `predict::fit_device` fits the model with the bundled models as sources.
//!
//! Rules, in order (the first that applies decides):
//! 1. Records of the synthetic test generator (adapter vendor `synthetic`) are refused.
//! 2. Fewer than `min_cells` distinct cells: the device waits.
//! 3. Inconsistent repeats are refused: a cell measured 2+ times *agrees* when at least half of
//!    its measurements lie within ±10% of that cell's median; with at least
//!    [`MIN_REPEATED_CELLS`] repeated cells, fewer than half of them agreeing refuses the device.
//! 4. Implausible speed is refused: the median over the device's cells of ms per GMAC (the
//!    cell network's MACs, feature `MACS`) must lie within [min / 20, max * 20] of the same
//!    median predicted by each bundled model over the same cells.
//! 5. Otherwise 20% of the distinct cells (by module hash, fixed seed) are held out, a model
//!    fitted on the rest is scored on them (share within ±10%), and the served model is
//!    refitted on every cell.

use rustc_hash::FxHashMap;

use crate::measure::MeasurementRecord;
use crate::predict::dataset::{group_by_device, DeviceData, TargetChoice};
use crate::predict::synthetic::SYNTHETIC_VENDOR;
use crate::predict::train::split_by_hash;
use crate::predict::{fit_device, idx, Metrics, Model, ModelError};
use crate::space::ModuleHash;

use super::learned_store::{OutcomeRow, Status};
use super::storage::hex_key;

/// Distinct cells a device needs before a model is learned (default of `--learn-min-cells`).
pub const DEFAULT_MIN_CELLS: usize = 20;
/// Share of distinct cells held out to score the model.
pub const HOLDOUT_FRACTION: f64 = 0.2;
/// Seed of the held-out split (fixed: the same cells give the same split).
pub const SPLIT_SEED: u64 = 0;
/// Tolerance of the repeat agreement and of the held-out score.
pub const WITHIN: f64 = 0.10;
/// Repeated cells needed before repeat agreement is judged.
pub const MIN_REPEATED_CELLS: usize = 3;
/// How far outside the known devices' ms per GMAC a device may be.
pub const PLAUSIBLE_FACTOR: f64 = 20.0;

/// Settings of a learning pass.
#[derive(Clone, Debug)]
pub struct LearnOptions {
    pub min_cells: usize,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions { min_cells: DEFAULT_MIN_CELLS }
    }
}

/// Why a device's records were not learned from.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    Synthetic,
    Unusable(String),
    Inconsistent { agreeing: usize, repeated: usize },
    Implausible { ms_per_gmac: f64, low: f64, high: f64 },
    FitFailed(String),
}

impl Refusal {
    pub fn as_str(&self) -> &'static str {
        match self {
            Refusal::Synthetic => "synthetic",
            Refusal::Unusable(_) => "unusable",
            Refusal::Inconsistent { .. } => "inconsistent",
            Refusal::Implausible { .. } => "implausible",
            Refusal::FitFailed(_) => "fit_failed",
        }
    }

    /// `code: explanation`, as stored and shown.
    pub fn message(&self) -> String {
        let why = match self {
            Refusal::Synthetic => "records of the synthetic test generator never become a device model".to_string(),
            Refusal::Unusable(e) => e.clone(),
            Refusal::Inconsistent { agreeing, repeated } => format!(
                "repeated measurements disagree: {agreeing} of {repeated} cells measured more than once agree within ±10% of their median (at least half must)"
            ),
            Refusal::Implausible { ms_per_gmac, low, high } => format!(
                "median time per MAC {ms_per_gmac:.3e} ms/GMAC is outside {low:.3e}..{high:.3e} ms/GMAC (known devices' range widened {PLAUSIBLE_FACTOR}x)"
            ),
            Refusal::FitFailed(e) => format!("fitting failed: {e}"),
        };
        format!("{}: {why}", self.as_str())
    }
}

/// A learned model and its held-out score.
pub struct Learned {
    pub model: Model,
    pub method: String,
    /// Share of held-out cells within ±10% (`None` when nothing was held out).
    pub within_10: Option<f64>,
    pub eval_cells: usize,
}

/// The outcome of learning one device: the row to store, and the model JSON when learned.
pub struct Outcome {
    pub row: OutcomeRow,
    pub model_json: Option<String>,
}

/// A learned model's name: `learned-` and the first 12 hex digits of the MD5 of the device key.
pub fn model_name(device: &str) -> String {
    format!("learned-{}", &hex_key(device)[..12])
}

/// Learns (or refuses, or postpones) the device whose records these are (all of one device
/// key, at least one). `sources` are the bundled models.
pub fn learn_device(records: &[MeasurementRecord], sources: &[Model], opts: &LearnOptions, now_unix_ms: i64) -> Outcome {
    let device = records.first().map(MeasurementRecord::device_key).unwrap_or_default();
    let mut row = OutcomeRow {
        device_key: hex_key(&device),
        name: model_name(&device),
        device,
        status: Status::Waiting,
        reason: String::new(),
        adapter: records.first().map(|r| r.adapter.clone()).unwrap_or_default(),
        n_cells: 0,
        within_10: None,
        eval_cells: 0,
        records: records.len() as i64,
        engine_version: engine_versions(records),
        method: String::new(),
        trained_unix_ms: now_unix_ms,
    };
    let data = match usable(records) {
        Ok(d) => d,
        Err(r) => return refused(row, r),
    };
    row.n_cells = data.len() as i64;
    if data.len() < opts.min_cells.max(1) {
        row.reason = format!("{} distinct cells of the {} needed", data.len(), opts.min_cells);
        return Outcome { row, model_json: None };
    }
    if let Some(r) = inconsistent(records).or_else(|| implausible(&data, sources)) {
        return refused(row, r);
    }
    match fit(&data, sources) {
        Ok(l) => {
            row.status = Status::Learned;
            row.within_10 = l.within_10;
            row.eval_cells = l.eval_cells as i64;
            row.method = l.method;
            Outcome { row, model_json: Some(l.model.to_json()) }
        }
        Err(e) => refused(row, Refusal::FitFailed(e.to_string())),
    }
}

fn refused(mut row: OutcomeRow, r: Refusal) -> Outcome {
    row.status = Status::Refused;
    row.reason = r.message();
    Outcome { row, model_json: None }
}

/// Distinct non-empty engine versions, sorted, comma-separated.
fn engine_versions(records: &[MeasurementRecord]) -> String {
    let mut v: Vec<&str> = records.iter().map(|r| r.client.engine_version.as_str()).filter(|s| !s.is_empty()).collect();
    v.sort_unstable();
    v.dedup();
    v.join(", ")
}

/// One latency per distinct cell (wall clock), or why the records cannot be used.
fn usable(records: &[MeasurementRecord]) -> Result<DeviceData, Refusal> {
    if records.iter().any(|r| r.adapter.vendor == SYNTHETIC_VENDOR) {
        return Err(Refusal::Synthetic);
    }
    let devices = group_by_device(records, None, TargetChoice::Wall).map_err(|e| Refusal::Unusable(e.to_string()))?;
    devices.into_iter().next().ok_or_else(|| Refusal::Unusable("no records of the default network".into()))
}

/// Rule 3: repeated cells must mostly agree with themselves.
fn inconsistent(records: &[MeasurementRecord]) -> Option<Refusal> {
    let mut by_cell: FxHashMap<ModuleHash, Vec<f64>> = FxHashMap::default();
    for r in records.iter().filter(|r| r.network.is_standard()) {
        by_cell.entry(r.hash).or_default().push(r.wall.median_ms);
    }
    let repeated: Vec<&Vec<f64>> = by_cell.values().filter(|v| v.len() >= 2).collect();
    let agreeing = repeated.iter().filter(|v| agrees(v)).count();
    (repeated.len() >= MIN_REPEATED_CELLS && 2 * agreeing < repeated.len()).then_some(Refusal::Inconsistent { agreeing, repeated: repeated.len() })
}

/// At least half of `v` within ±10% of its median.
fn agrees(v: &[f64]) -> bool {
    let m = median(v.to_vec());
    let close = v.iter().filter(|x| (*x / m - 1.0).abs() <= WITHIN + 1e-12).count();
    2 * close >= v.len()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Median ms per GMAC of `ms` over the cells of `d`.
fn ms_per_gmac(d: &DeviceData, ms: impl Iterator<Item = f64>) -> f64 {
    median(ms.zip(&d.features).map(|(t, f)| t / (f[idx::MACS] / 1e9)).collect())
}

/// Rule 4: the device's speed must be within a wide band around the known devices'.
fn implausible(d: &DeviceData, sources: &[Model]) -> Option<Refusal> {
    let rates: Vec<f64> = sources
        .iter()
        .filter_map(|m| {
            let pred: Result<Vec<f64>, _> = d.cells.iter().zip(&d.features).map(|(c, f)| m.predict_features(c, f).map(|p| p.ms)).collect();
            pred.ok().map(|p| ms_per_gmac(d, p.into_iter()))
        })
        .filter(|r| r.is_finite() && *r > 0.0)
        .collect();
    if rates.is_empty() {
        return None;
    }
    let low = rates.iter().copied().fold(f64::INFINITY, f64::min) / PLAUSIBLE_FACTOR;
    let high = rates.iter().copied().fold(0.0, f64::max) * PLAUSIBLE_FACTOR;
    let own = ms_per_gmac(d, d.ms.iter().copied());
    (!(low..=high).contains(&own)).then_some(Refusal::Implausible { ms_per_gmac: own, low, high })
}

/// Rule 5: held-out score, then the served model on every cell.
fn fit(d: &DeviceData, sources: &[Model]) -> Result<Learned, ModelError> {
    let refs: Vec<&Model> = sources.iter().collect();
    let pairs = |rows: &[usize]| rows.iter().map(|&i| (d.cells[i], d.ms[i])).collect::<Vec<_>>();
    let (train, test) = split_by_hash(&d.hashes, HOLDOUT_FRACTION, SPLIT_SEED);
    let within_10 = if test.is_empty() || train.is_empty() {
        None
    } else {
        let held = fit_device(&pairs(&train), &refs, &d.key, d.target)?;
        let pred = test
            .iter()
            .map(|&i| held.model.predict_features(&d.cells[i], &d.features[i]).map(|p| p.ms))
            .collect::<Result<Vec<f64>, _>>()
            .map_err(|e| ModelError::Invalid(e.to_string()))?;
        let meas: Vec<f64> = test.iter().map(|&i| d.ms[i]).collect();
        Some(Metrics::of(&pred, &meas).within10)
    };
    let all: Vec<usize> = (0..d.len()).collect();
    let full = fit_device(&pairs(&all), &refs, &d.key, d.target)?;
    let mut file = full.model.file;
    file.network.precision = d.precision;
    file.training.source = format!("leti collector: {} records, {} cells", d.records, d.len());
    file.training.synthetic = d.synthetic;
    let eval_cells = if within_10.is_some() { test.len() } else { 0 };
    Ok(Learned { model: Model::new(file)?, method: full.method, within_10, eval_cells })
}

/// The bundled models (`*.model.json` in `dir`) that can serve as sources, by file name;
/// files that do not load and synthetic models are left out (and named in the second list).
pub fn load_sources(dir: &std::path::Path) -> std::io::Result<(Vec<Model>, Vec<String>)> {
    let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    files.retain(|p| p.to_string_lossy().ends_with(".model.json"));
    files.sort();
    let (mut models, mut skipped) = (Vec::new(), Vec::new());
    for p in files {
        match std::fs::read(&p).map_err(|e| e.to_string()).and_then(|b| Model::from_json_bytes(&b).map_err(|e| e.to_string())) {
            Ok(m) if !m.file.training.synthetic => models.push(m),
            Ok(_) => skipped.push(format!("{}: synthetic", p.display())),
            Err(e) => skipped.push(format!("{}: {e}", p.display())),
        }
    }
    Ok((models, skipped))
}
