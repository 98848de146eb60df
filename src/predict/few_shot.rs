//! The few-shot curve in leave-one-device-out (native): for each device held out, a model
//! of every other device is trained on all its cells, and the held-out device gets a model
//! from only K of its cells through [`fit_device`], the same function the browser and the
//! collector run. Two baselines get the same K cells: a FLOPs line fitted on them, and a
//! ridge regression on log features fitted on them alone. Every K is scored on the same
//! held-out cells of that device: [`EVAL_SHARE`] of its cells, split by module hash.
//!
//! The K cells come from the others in measuring order: the fixed anchors
//! ([`crate::measure::anchors`]) that the device measured, first, then the rest in
//! farthest-point order ([`spread_order`]), as a device measuring anchors then well-spread
//! cells would.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::calibrate::spread_order;
use super::dataset::DeviceData;
use super::device_fit::fit_device;
use super::evaluate::{data_of, EvalOptions};
use super::metrics::Metrics;
use super::model::Model;
use super::plot;
use super::train::{as_model, fit, fit_flops, fit_ridge, predict_rows, split_by_hash, Data, ModelKind, Subset};

/// Share of a held-out device's cells kept for scoring (the largest K uses the rest).
pub const EVAL_SHARE: f64 = 0.2;

/// One K of the curve.
#[derive(Clone, Debug, Serialize)]
pub struct FewShotRow {
    pub k: usize,
    /// [`fit_device`] on the K cells with the other devices' models as sources.
    pub device_model: Metrics,
    /// The candidate `fit_device` chose.
    pub method: String,
    /// FLOPs line fitted on the K cells alone.
    pub flops_on_k: Option<Metrics>,
    /// Ridge on log features fitted on the K cells alone (penalty by cross-validation).
    pub own_on_k: Option<Metrics>,
}

/// The curve of one held-out device.
#[derive(Clone, Debug, Serialize)]
pub struct FewShotReport {
    pub holdout: String,
    pub sources: Vec<String>,
    pub source_cells: usize,
    pub eval_cells: usize,
    pub rows: Vec<FewShotRow>,
}

/// The rows `pool` of the held-out device in measuring order: its anchors, then the rest spread.
fn measuring_order(d: &DeviceData, pool: &[usize]) -> Vec<usize> {
    let anchors = crate::measure::anchors::anchor_cells();
    let mut order: Vec<usize> = anchors.iter().filter_map(|a| pool.iter().copied().find(|&i| d.cells[i].hash() == a.hash())).collect();
    let rest: Vec<usize> = pool.iter().copied().filter(|i| !order.contains(i)).collect();
    let rest_feats: Vec<_> = rest.iter().map(|&i| d.features[i]).collect();
    order.extend(spread_order(&rest_feats, rest.len()).into_iter().map(|j| rest[j]));
    order
}

fn score(m: &Model, eval: &Data) -> anyhow::Result<Metrics> {
    Ok(Metrics::of(&predict_rows(m, eval)?, eval.ms))
}

/// The few-shot curve of device `holdout` at each of `opts.few_shot_ks` up to the number of
/// its cells outside the scored [`EVAL_SHARE`].
pub fn few_shot(devices: &[DeviceData], holdout: usize, opts: &EvalOptions) -> anyhow::Result<FewShotReport> {
    let target = &devices[holdout];
    let mut sources = Vec::new();
    let mut models = Vec::new();
    let mut source_cells = 0;
    for d in devices.iter().enumerate().filter(|(i, _)| *i != holdout).map(|(_, d)| d) {
        eprintln!("  few-shot, {} held out: training on {} ({} cells)", target.key, d.key, d.len());
        let mut m = as_model(fit(ModelKind::Gbt, &data_of(d), &opts.train, None)?, target.target)?;
        m.file.training.device = d.key.clone();
        sources.push(d.key.clone());
        models.push(Model::new(m.file)?);
        source_cells += d.len();
    }
    anyhow::ensure!(!models.is_empty(), "few-shot evaluation needs at least two devices");
    let refs: Vec<&Model> = models.iter().collect();
    let (pool, held_out) = split_by_hash(&target.hashes, EVAL_SHARE, opts.train.seed);
    let order = measuring_order(target, &pool);
    let max_k = order.len();
    let eval = Subset::of(&data_of(target), &held_out);
    let mut rows = Vec::new();
    for &k in opts.few_shot_ks.iter().filter(|&&k| k <= max_k) {
        let train = Subset::of(&data_of(target), &order[..k]);
        let pairs: Vec<_> = train.cells.iter().copied().zip(train.ms.iter().copied()).collect();
        let fitted = fit_device(&pairs, &refs, &target.key, target.target)?;
        let flops_on_k = fit_flops(&train.data()).ok().map(|p| score(&as_model(p, target.target)?, &eval.data())).transpose()?;
        let own_on_k = fit_ridge(&train.data(), true, &opts.train).ok().map(|p| score(&as_model(p, target.target)?, &eval.data())).transpose()?;
        let device_model = score(&fitted.model, &eval.data())?;
        eprintln!("    K = {k}: {:.1}% within ±10% ({})", 100.0 * device_model.within10, fitted.method);
        rows.push(FewShotRow { k, device_model, method: fitted.method, flops_on_k, own_on_k });
    }
    Ok(FewShotReport { holdout: target.key.clone(), sources, source_cells, eval_cells: eval.ms.len(), rows })
}

fn pct(m: Option<Metrics>) -> String {
    m.map_or("–".to_string(), |m| format!("{:.1}%", 100.0 * m.within10))
}

/// Markdown of the few-shot reports.
pub fn few_shot_markdown(reports: &[FewShotReport], synthetic: bool) -> String {
    let mut s = String::from("# Few-shot: a held-out device's model from K of its cells\n\n");
    if synthetic {
        s.push_str("> **SYNTHETIC DATA** (test generator, not real devices): these numbers only exercise the pipeline.\n\n");
    }
    s.push_str("Leave one device out: every other device's GBT (all its cells) is a source for `fit_device` (`src/predict/device_fit.rs`), which fits the held-out device from K of its cells: below 30 cells the structural model (`src/predict/structural.rs`) fitted toward each source's constants, averaged over the sources; from 30 cells, the best by cross-validation on the K cells of that mean, the structural fit toward each source alone, a FLOPs line and a ridge on the K cells alone. Baselines on the same K cells: a FLOPs line, and a ridge on log features fitted on them alone. Every K is scored on the same held-out 20% of the device's cells (split by module hash); the K cells come from the other 80%, the device's anchors first, then farthest-point order.\n");
    for r in reports {
        let _ =
            writeln!(s, "\n## Held out: {}\n\nSources: {} ({} cells). Scored on {} cells.\n", r.holdout, r.sources.join(", "), r.source_cells, r.eval_cells);
        let _ = writeln!(s, "| K | device model ±10% | ±5% | τ | MAPE % | FLOPs line on K: ±10% | ridge-log on K alone: ±10% | chosen |");
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---|");
        for row in &r.rows {
            let c = &row.device_model;
            let _ = writeln!(
                s,
                "| {} | {:.1}% | {:.1}% | {:.4} | {:.2} | {} | {} | {} |",
                row.k,
                100.0 * c.within10,
                100.0 * c.within5,
                c.kendall_tau,
                c.mape,
                pct(row.flops_on_k),
                pct(row.own_on_k),
                row.method
            );
        }
    }
    s
}

/// Writes `few_shot.md`, `few_shot.json` and `few_shot.svg` (±10% against K, one line per
/// held-out device).
pub fn write_few_shot(dir: &Path, reports: &[FewShotReport], synthetic: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("few_shot.md"), few_shot_markdown(reports, synthetic))?;
    std::fs::write(dir.join("few_shot.json"), serde_json::to_string_pretty(reports)?)?;
    let mut sizes: Vec<usize> = reports.iter().flat_map(|r| r.rows.iter().map(|x| x.k)).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let series: Vec<(String, Vec<f64>)> = reports
        .iter()
        .map(|r| (r.holdout.clone(), sizes.iter().map(|k| r.rows.iter().find(|x| x.k == *k).map_or(f64::NAN, |x| 100.0 * x.device_model.within10)).collect()))
        .collect();
    if !sizes.is_empty() {
        let tag = if synthetic { " (SYNTHETIC)" } else { "" };
        plot::learning_curve(&dir.join("few_shot.svg"), &format!("Few-shot device models{tag}"), "held-out cells within ±10% (%)", &sizes, &series)?;
    }
    Ok(())
}
