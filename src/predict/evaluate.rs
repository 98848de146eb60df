//! Honest evaluation of every baseline and model on one device: a held-out test split by
//! cell hash, k-fold cross-validation by hash, learning curves, and the few-shot calibration
//! curve on a device held out from training. Writes a markdown report, SVG plots and a JSON
//! summary.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::calibrate::{calibrate, calibrate_best, spread_order, CalibrationOptions};
use super::dataset::DeviceData;
use super::lookup::LayerTable;
use super::metrics::Metrics;
use super::model::{Interval, Model, Predictor, Target, TrainingInfo};
use super::plot;
use super::train::{as_model, fit, fit_flops, folds_by_hash, predict_rows, residual_interval, split_by_hash, Data, ModelKind, Subset, TrainOptions};

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
            few_shot_ks: vec![5, 10, 20, 50],
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

fn data_of(d: &DeviceData) -> Data<'_> {
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
        let (metrics, pred) = fit_and_score(kind, &train.data(), &test.data(), &opts.train, table).with_context(|| format!("{} on {}", kind.name(), dev.key))?;
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
            kind: kind.name(),
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
    let _ = writeln!(s, "| model | MAPE % | RMSE ms | R² | Kendall τ | ±5% | ±10% | in range ({:.0}% interval) |", 100.0 * r.kinds.first().map_or(0.8, |k| k.interval_level));
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

/// One row of the few-shot curve.
#[derive(Clone, Debug, Serialize)]
pub struct FewShotRow {
    pub k: usize,
    /// The per-device source model chosen by leave-one-out on the K anchors, calibrated with
    /// them ([`calibrate_best`]).
    pub calibrated: Metrics,
    /// The source device that was chosen.
    pub chosen_source: String,
    /// The pooled model (one GBT on every source device) calibrated with the same anchors;
    /// `None` with a single source device (then it is the same model).
    pub pooled: Option<Metrics>,
    /// FLOPs line fitted on the K anchors alone (the cheapest from-scratch alternative).
    pub flops_on_anchors: Option<Metrics>,
}

/// The few-shot candidate without a source device (see [`few_shot`]).
pub const MACS_ONLY: &str = "none (MACs power law)";

/// The few-shot evaluation with one device held out.
#[derive(Clone, Debug, Serialize)]
pub struct FewShotReport {
    pub holdout: String,
    pub sources: Vec<String>,
    pub source_cells: usize,
    pub eval_cells: usize,
    /// The pooled source model without calibration.
    pub uncalibrated: Metrics,
    pub rows: Vec<FewShotRow>,
}

/// Trains a GBT on each device but `holdout` (and, with several, one on all of them pooled),
/// then calibrates to the held-out device with the first K of its spread-ordered cells (the
/// anchor rule of [`spread_order`], applied to the cells that device has measured): of the
/// per-device sources and a source-free MACs model ([`MACS_ONLY`]), the one with the lowest
/// leave-one-out error on those K anchors; and the pooled model, for comparison. Scores on the held-out device's other cells (the same evaluation cells
/// for every K).
pub fn few_shot(devices: &[DeviceData], holdout: usize, opts: &EvalOptions) -> anyhow::Result<FewShotReport> {
    let target = &devices[holdout];
    let mut pooled = Subset::default();
    let mut sources = Vec::new();
    let mut per_device = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        if i == holdout {
            continue;
        }
        sources.push(d.key.clone());
        pooled.cells.extend_from_slice(&d.cells);
        pooled.features.extend_from_slice(&d.features);
        pooled.ms.extend_from_slice(&d.ms);
        per_device.push(as_model(fit(ModelKind::Gbt, &data_of(d), &opts.train, None)?, target.target)?);
    }
    anyhow::ensure!(!sources.is_empty(), "few-shot evaluation needs at least two devices");
    let pooled_model = if per_device.len() > 1 { Some(as_model(fit(ModelKind::Gbt, &pooled.data(), &opts.train, None)?, target.target)?) } else { None };
    let max_k = opts.few_shot_ks.iter().copied().max().unwrap_or(0).min(target.len() / 2);
    let order = spread_order(&target.features, max_k);
    let anchor_set: rustc_hash::FxHashSet<usize> = order.iter().copied().collect();
    let eval_rows: Vec<usize> = (0..target.len()).filter(|i| !anchor_set.contains(i)).collect();
    let eval = Subset::of(&data_of(target), &eval_rows);
    let uncalibrated = Metrics::of(&predict_rows(pooled_model.as_ref().unwrap_or(&per_device[0]), &eval.data())?, &eval.ms);
    // Also a candidate: no source device at all, latency proportional to MACs, which the
    // calibration turns into a power law in MACs with cost-feature terms.
    let macs_only = as_model(Predictor::Flops { a: 0.0, b: 1e-6 }, target.target)?;
    let source_refs: Vec<&Model> = per_device.iter().chain([&macs_only]).collect();
    let mut source_names = sources.clone();
    source_names.push(MACS_ONLY.to_string());
    let mut rows = Vec::new();
    for &k in &opts.few_shot_ks {
        if k > order.len() {
            continue;
        }
        let anchors: Vec<_> = order[..k].iter().map(|&i| (target.cells[i], target.ms[i])).collect();
        let best = calibrate_best(&source_refs, &anchors, &target.key, &CalibrationOptions::default())?;
        let calibrated = Metrics::of(&predict_rows(&best.model, &eval.data())?, &eval.ms);
        let pooled_cal = pooled_model
            .as_ref()
            .map(|m| -> anyhow::Result<Metrics> {
                let cal = calibrate(m, &anchors, &target.key, &CalibrationOptions::default())?;
                Ok(Metrics::of(&predict_rows(&cal, &eval.data())?, &eval.ms))
            })
            .transpose()?;
        let sub = Subset::of(&data_of(target), &order[..k]);
        let flops_on_anchors = fit_flops(&sub.data())
            .ok()
            .map(|p| -> anyhow::Result<Metrics> { Ok(Metrics::of(&predict_rows(&as_model(p, target.target)?, &eval.data())?, &eval.ms)) })
            .transpose()?;
        rows.push(FewShotRow { k, calibrated, chosen_source: source_names[best.source].clone(), pooled: pooled_cal, flops_on_anchors });
    }
    Ok(FewShotReport { holdout: target.key.clone(), sources, source_cells: pooled.ms.len(), eval_cells: eval_rows.len(), uncalibrated, rows })
}

/// Markdown of few-shot reports.
pub fn few_shot_markdown(reports: &[FewShotReport], synthetic: bool) -> String {
    let mut s = String::from("# Few-shot calibration to a held-out device\n\n");
    if synthetic {
        s.push_str("> **SYNTHETIC DATA** (test generator, not real devices): these numbers only exercise the pipeline.\n\n");
    }
    s.push_str("A gradient-boosted tree model is trained on each other device, then corrected in log space with K anchor measurements of the held-out device (ridge toward identity, see `src/predict/calibrate.rs`); a source-free candidate (latency proportional to MACs, which the same correction turns into a power law in MACs with cost terms) competes, and the candidate whose correction best predicts anchors it was not fitted on (leave one out over the K) is kept. For comparison, one model trained on all other devices pooled, corrected with the same anchors, and a FLOPs line fitted on the K anchors alone. Anchors are the first K of the held-out device's cells in farthest-point order; every row is scored on the same remaining cells.\n");
    for r in reports {
        let _ = writeln!(s, "\n## Held out: {}\n\nSources: {} ({} cells). Evaluated on {} cells.\n", r.holdout, r.sources.join(", "), r.source_cells, r.eval_cells);
        let _ = writeln!(s, "| K | chosen source | calibrated ±10% | calibrated ±5% | calibrated τ | calibrated MAPE % | pooled, calibrated: ±10% | FLOPs fit on K: ±10% | FLOPs fit on K: τ |");
        let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        let u = &r.uncalibrated;
        let _ = writeln!(s, "| 0 (pooled, uncalibrated) | – | {:.1}% | {:.1}% | {:.4} | {:.2} | – | – | – |", 100.0 * u.within10, 100.0 * u.within5, u.kendall_tau, u.mape);
        for row in &r.rows {
            let c = &row.calibrated;
            let (f10, ft) = row.flops_on_anchors.map_or(("–".to_string(), "–".to_string()), |f| (format!("{:.1}%", 100.0 * f.within10), format!("{:.4}", f.kendall_tau)));
            let p10 = row.pooled.map_or("–".to_string(), |p| format!("{:.1}%", 100.0 * p.within10));
            let _ = writeln!(
                s,
                "| {} | {} | {:.1}% | {:.1}% | {:.4} | {:.2} | {p10} | {f10} | {ft} |",
                row.k,
                row.chosen_source,
                100.0 * c.within10,
                100.0 * c.within5,
                c.kendall_tau,
                c.mape
            );
        }
    }
    s
}

/// Writes `few_shot.md`, `few_shot.json` and `few_shot.svg` (±10% against K per held-out
/// device).
pub fn write_few_shot(dir: &Path, reports: &[FewShotReport], synthetic: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("few_shot.md"), few_shot_markdown(reports, synthetic))?;
    std::fs::write(dir.join("few_shot.json"), serde_json::to_string_pretty(reports)?)?;
    let sizes: Vec<usize> = reports.first().map(|r| r.rows.iter().map(|x| x.k).collect()).unwrap_or_default();
    let series: Vec<(String, Vec<f64>)> = reports
        .iter()
        .map(|r| (r.holdout.clone(), sizes.iter().map(|k| r.rows.iter().find(|x| x.k == *k).map_or(f64::NAN, |x| 100.0 * x.calibrated.within10)).collect()))
        .collect();
    if !sizes.is_empty() {
        let tag = if synthetic { " (SYNTHETIC)" } else { "" };
        plot::learning_curve(&dir.join("few_shot.svg"), &format!("Few-shot calibration{tag}"), "cells within ±10% (%)", &sizes, &series)?;
    }
    Ok(())
}

/// The `TrainingInfo` of a model trained on `dev` from `source`.
pub fn training_info(dev: &DeviceData, source: &str) -> TrainingInfo {
    TrainingInfo { device: dev.key.clone(), source: source.to_string(), synthetic: dev.synthetic, ..TrainingInfo::default() }
}
