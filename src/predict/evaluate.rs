//! Honest evaluation of every baseline and model on one device: a held-out test split by
//! cell hash, k-fold cross-validation by hash, learning curves, and the few-shot calibration
//! curve on a device held out from training. Writes a markdown report, SVG plots and a JSON
//! summary.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::dataset::DeviceData;
use super::lookup::LayerTable;
use super::metrics::Metrics;
use super::model::{Interval, Target, TrainingInfo};
use super::plot;
use super::train::{as_model, fit, folds_by_hash, predict_rows, residual_interval, split_by_hash, Data, ModelKind, Subset, TrainOptions};

/// What to evaluate and how.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    pub train: TrainOptions,
    pub kinds: Vec<ModelKind>,
    /// Share of distinct cells held out for the test split.
    pub test_fraction: f64,
    /// Folds of the cross-validation (0 or 1: none).
    pub cv_folds: usize,
    /// Training-set sizes of the learning curve (sizes above the training split are
    /// dropped; the full training split is always the last point).
    pub curve_sizes: Vec<usize>,
    /// Anchor counts of the few-shot curve.
    pub few_shot_ks: Vec<usize>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            train: TrainOptions::default(),
            kinds: vec![ModelKind::Flops, ModelKind::Lookup, ModelKind::Ridge, ModelKind::RidgeLog, ModelKind::Gbt],
            test_fraction: 0.2,
            cv_folds: 5,
            curve_sizes: vec![50, 100, 200, 500, 1000, 2000, 5000, 10000],
            few_shot_ks: vec![5, 10, 20, 50, 100, 200, 500, 1000],
        }
    }
}

/// Results of one model kind on one device.
#[derive(Clone, Debug, Serialize)]
pub struct KindReport {
    pub kind: &'static str,
    pub test: Metrics,
    /// Share of test cells whose measurement lies inside the predicted range.
    pub interval_coverage: f64,
    pub interval_level: f64,
    pub cv: Vec<Metrics>,
    /// `(training cells, test metrics)`.
    pub curve: Vec<(usize, Metrics)>,
    #[serde(skip)]
    pub test_pred: Vec<f64>,
}

/// The evaluation of one device.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceReport {
    pub device: String,
    pub target: Target,
    pub synthetic: bool,
    pub records: usize,
    pub cells: usize,
    pub noisy_records: usize,
    pub median_cov: f64,
    pub n_train: usize,
    pub n_test: usize,
    pub seed: u64,
    pub kinds: Vec<KindReport>,
    #[serde(skip)]
    pub test_ms: Vec<f64>,
}

/// A device's cells as training data.
pub(super) fn data_of(d: &DeviceData) -> Data<'_> {
    Data { cells: &d.cells, features: &d.features, ms: &d.ms }
}

fn fit_and_score(kind: ModelKind, train: &Data, test: &Data, opts: &TrainOptions, table: Option<&LayerTable>) -> anyhow::Result<(Metrics, Vec<f64>)> {
    let m = as_model(fit(kind, train, opts, table)?, Target::GpuMedianMs)?;
    let pred = predict_rows(&m, test)?;
    Ok((Metrics::of(&pred, test.ms), pred))
}

/// Evaluates every requested kind on one device (the lookup kind only with a table).
pub fn evaluate_device(dev: &DeviceData, table: Option<&LayerTable>, opts: &EvalOptions) -> anyhow::Result<DeviceReport> {
    let all = data_of(dev);
    let seed = opts.train.seed;
    let (train_rows, test_rows) = split_by_hash(&dev.hashes, opts.test_fraction, seed);
    anyhow::ensure!(train_rows.len() >= 10 && !test_rows.is_empty(), "device {}: too few cells ({}) to evaluate", dev.key, dev.len());
    let train = Subset::of(&all, &train_rows);
    let test = Subset::of(&all, &test_rows);
    let folds = if opts.cv_folds >= 2 { folds_by_hash(&dev.hashes, opts.cv_folds, seed) } else { Vec::new() };
    let mut sizes: Vec<usize> = opts.curve_sizes.iter().copied().filter(|&n| n < train_rows.len()).collect();
    sizes.push(train_rows.len());
    let mut kinds = Vec::new();
    for &kind in &opts.kinds {
        if kind == ModelKind::Lookup && table.is_none() {
            continue;
        }
        let (metrics, pred) =
            fit_and_score(kind, &train.data(), &test.data(), &opts.train, table).with_context(|| format!("{} on {}", kind.as_str(), dev.key))?;
        let interval = residual_interval(kind, &train.data(), &opts.train, table)?;
        let coverage = match interval {
            Interval::Residual { lo, hi, .. } => {
                pred.iter().zip(&test.ms).filter(|(p, m)| **m >= *p * lo && **m <= *p * hi).count() as f64 / test.ms.len() as f64
            }
            Interval::None => 0.0,
        };
        let mut cv = Vec::new();
        for f in 0..opts.cv_folds.max(1) {
            if folds.is_empty() {
                break;
            }
            let tr: Vec<usize> = (0..dev.len()).filter(|&i| folds[i] != f).collect();
            let te: Vec<usize> = (0..dev.len()).filter(|&i| folds[i] == f).collect();
            let (trs, tes) = (Subset::of(&all, &tr), Subset::of(&all, &te));
            cv.push(fit_and_score(kind, &trs.data(), &tes.data(), &opts.train, table)?.0);
        }
        let mut curve = Vec::new();
        for &n in &sizes {
            let sub = Subset::of(&train.data(), &(0..n).collect::<Vec<_>>());
            match fit_and_score(kind, &sub.data(), &test.data(), &opts.train, table) {
                Ok((m, _)) => curve.push((n, m)),
                Err(_) => continue, // too few cells for this kind
            }
        }
        kinds.push(KindReport {
            kind: kind.as_str(),
            test: metrics,
            interval_coverage: coverage,
            interval_level: opts.train.interval_level,
            cv,
            curve,
            test_pred: pred,
        });
    }
    Ok(DeviceReport {
        device: dev.key.clone(),
        target: dev.target,
        synthetic: dev.synthetic,
        records: dev.records,
        cells: dev.len(),
        noisy_records: dev.noisy_records,
        median_cov: dev.median_cov,
        n_train: train_rows.len(),
        n_test: test_rows.len(),
        seed,
        kinds,
        test_ms: test.ms,
    })
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var.sqrt())
}

/// Markdown for one device.
pub fn device_markdown(r: &DeviceReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Latency predictors: {}\n", r.device);
    if r.synthetic {
        let _ = writeln!(s, "> **SYNTHETIC DATA** (test generator, not a real device): these numbers only exercise the pipeline.\n");
    }
    let _ = writeln!(
        s,
        "- target: `{}`\n- records: {} ({} flagged noisy), distinct cells: {}\n- median coefficient of variation of the repeated timings: {:.4}\n- held-out split by cell hash (seed {}): {} train / {} test cells, no hash on both sides\n",
        serde_json::to_value(r.target).unwrap().as_str().unwrap_or(""),
        r.records,
        r.noisy_records,
        r.cells,
        r.median_cov,
        r.seed,
        r.n_train,
        r.n_test
    );
    let _ = writeln!(s, "## Held-out test cells\n");
    let _ = writeln!(
        s,
        "| model | MAPE % | RMSE ms | R² | Kendall τ | ±5% | ±10% | in range ({:.0}% interval) |",
        100.0 * r.kinds.first().map_or(0.8, |k| k.interval_level)
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for k in &r.kinds {
        let m = &k.test;
        let _ = writeln!(
            s,
            "| {} | {:.2} | {:.4} | {:.4} | {:.4} | {:.1}% | {:.1}% | {:.1}% |",
            k.kind,
            m.mape,
            m.rmse,
            m.r2,
            m.kendall_tau,
            100.0 * m.within5,
            100.0 * m.within10,
            100.0 * k.interval_coverage
        );
    }
    if r.kinds.iter().any(|k| !k.cv.is_empty()) {
        let folds = r.kinds[0].cv.len();
        let _ = writeln!(s, "\n## {folds}-fold cross-validation by cell hash (mean ± sd over folds)\n");
        let _ = writeln!(s, "| model | MAPE % | Kendall τ | ±5% | ±10% |\n|---|---:|---:|---:|---:|");
        for k in &r.kinds {
            let f = |g: fn(&Metrics) -> f64| mean_sd(&k.cv.iter().map(g).collect::<Vec<_>>());
            let (a, b) = f(|m| m.mape);
            let (c, d) = f(|m| m.kendall_tau);
            let (e, g) = f(|m| 100.0 * m.within5);
            let (h, i) = f(|m| 100.0 * m.within10);
            let _ = writeln!(s, "| {} | {a:.2} ± {b:.2} | {c:.4} ± {d:.4} | {e:.1} ± {g:.1}% | {h:.1} ± {i:.1}% |", k.kind);
        }
    }
    let _ = writeln!(s, "\n## Learning curve (share of test cells within ±10%)\n");
    let sizes: Vec<usize> = r.kinds.iter().flat_map(|k| k.curve.iter().map(|c| c.0)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let _ = write!(s, "| training cells |");
    for k in &r.kinds {
        let _ = write!(s, " {} |", k.kind);
    }
    let _ = writeln!(s, "\n|---:|{}", "---:|".repeat(r.kinds.len()));
    for n in &sizes {
        let _ = write!(s, "| {n} |");
        for k in &r.kinds {
            match k.curve.iter().find(|c| c.0 == *n) {
                Some((_, m)) => {
                    let _ = write!(s, " {:.1}% (τ {:.3}) |", 100.0 * m.within10, m.kendall_tau);
                }
                None => {
                    let _ = write!(s, " – |");
                }
            }
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "\n## Plots\n");
    for k in &r.kinds {
        let _ = writeln!(s, "- [{0}: predicted vs measured](pred_vs_measured_{0}.svg)", k.kind);
    }
    let _ = writeln!(s, "- [learning curve](learning_curve.svg)");
    s
}

/// Writes `report.md`, `report.json`, one scatter SVG per model and the learning curve SVG.
pub fn write_device_report(dir: &Path, r: &DeviceReport) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("report.md"), device_markdown(r))?;
    std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(r)?)?;
    let tag = if r.synthetic && !r.device.contains("SYNTHETIC") { " (SYNTHETIC)" } else { "" };
    for k in &r.kinds {
        plot::pred_vs_measured(&dir.join(format!("pred_vs_measured_{}.svg", k.kind)), &format!("{}: {}{tag}", k.kind, r.device), &r.test_ms, &k.test_pred)?;
    }
    let sizes: Vec<usize> = r.kinds.iter().max_by_key(|k| k.curve.len()).map(|k| k.curve.iter().map(|c| c.0).collect()).unwrap_or_default();
    let series: Vec<(String, Vec<f64>)> = r
        .kinds
        .iter()
        .map(|k| (k.kind.to_string(), sizes.iter().map(|n| k.curve.iter().find(|c| c.0 == *n).map_or(f64::NAN, |c| 100.0 * c.1.within10)).collect()))
        .collect();
    plot::learning_curve(&dir.join("learning_curve.svg"), &format!("Learning curve: {}{tag}", r.device), "test cells within ±10% (%)", &sizes, &series)?;
    Ok(())
}

/// The `TrainingInfo` of a model trained on `dev` from `source`.
pub fn training_info(dev: &DeviceData, source: &str) -> TrainingInfo {
    TrainingInfo { device: dev.key.clone(), source: source.to_string(), synthetic: dev.synthetic, kernels: dev.kernels.clone(), ..TrainingInfo::default() }
}
