//! Training the predictors on one device's data: the FLOPs line, the lookup-table constant,
//! ridge on standardised features (linear or log target, penalty chosen by cross-validation),
//! and gradient-boosted trees (the `gbt-quantile` crate, exported into the model file's flat
//! trees), plus splits by cell hash and the residual prediction interval. Deterministic for
//! a seed.

use anyhow::{bail, Context};
use gbt_quantile::tree::{NodeRef, TreeNode};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::space::{Cell, ModuleHash};

use super::features::{idx, Features};
use super::linalg::line_fit;
use super::lookup::LayerTable;
use super::model::{Gbt, Interval, Model, ModelFile, Predictor, Target, TrainingInfo, Tree};
use super::ridge_fit::{ridge_target, ridge_with};

/// The model families `leti train` / `leti evaluate` know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// Baseline: `ms = a + b * MACs`, least squares.
    Flops,
    /// Baseline: sum of per-layer table latencies + a fitted constant (needs a layer table).
    Lookup,
    /// Ridge on standardised raw features, latency target.
    Ridge,
    /// Ridge on standardised `ln(1 + feature)`, `ln(latency)` target.
    RidgeLog,
    /// Gradient-boosted regression trees on `ln(latency)`.
    Gbt,
}

impl ModelKind {
    pub const ALL: [ModelKind; 5] = [ModelKind::Flops, ModelKind::Lookup, ModelKind::Ridge, ModelKind::RidgeLog, ModelKind::Gbt];

    /// One line on what the family is.
    pub fn about(self) -> &'static str {
        match self {
            ModelKind::Flops => "Baseline: `ms = a + b * MACs`, least squares",
            ModelKind::Lookup => "Baseline: sum of per-layer table latencies + a fitted constant (needs a layer table)",
            ModelKind::Ridge => "Ridge on standardised raw features, latency target",
            ModelKind::RidgeLog => "Ridge on standardised `ln(1 + feature)`, `ln(latency)` target",
            ModelKind::Gbt => "Gradient-boosted regression trees on `ln(latency)`",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Flops => "flops",
            ModelKind::Lookup => "lookup",
            ModelKind::Ridge => "ridge",
            ModelKind::RidgeLog => "ridge-log",
            ModelKind::Gbt => "gbt",
        }
    }
}

/// Hyper-parameters of the tree ensemble.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GbtOptions {
    pub n_trees: usize,
    pub max_depth: usize,
    pub learning_rate: f64,
    pub min_samples_leaf: usize,
    /// Candidate thresholds per feature.
    pub n_bins: usize,
}

impl Default for GbtOptions {
    fn default() -> Self {
        GbtOptions { n_trees: 200, max_depth: 5, learning_rate: 0.1, min_samples_leaf: 3, n_bins: 48 }
    }
}

/// Training options shared by every model kind.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    pub seed: u64,
    pub gbt: GbtOptions,
    /// Ridge penalties tried (per sample, on standardised features).
    pub ridge_lambdas: Vec<f64>,
    /// Folds of the internal cross-validation (ridge penalty, residual interval).
    pub folds: usize,
    /// Central coverage of the prediction interval (0.8 = 10th to 90th percentile).
    pub interval_level: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { seed: 0, gbt: GbtOptions::default(), ridge_lambdas: vec![1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0], folds: 5, interval_level: 0.8 }
    }
}

/// Training data: cells with features and measured latency.
#[derive(Clone, Copy, Debug)]
pub struct Data<'a> {
    pub cells: &'a [Cell],
    pub features: &'a [Features],
    pub ms: &'a [f64],
}

impl<'a> Data<'a> {
    pub fn len(&self) -> usize {
        self.ms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ms.is_empty()
    }
}

/// An owned subset of data (rows picked by index).
#[derive(Clone, Debug, Default)]
pub struct Subset {
    pub cells: Vec<Cell>,
    pub features: Vec<Features>,
    pub ms: Vec<f64>,
}

impl Subset {
    pub fn of(d: &Data, rows: &[usize]) -> Subset {
        Subset {
            cells: rows.iter().map(|&i| d.cells[i]).collect(),
            features: rows.iter().map(|&i| d.features[i]).collect(),
            ms: rows.iter().map(|&i| d.ms[i]).collect(),
        }
    }

    pub fn data(&self) -> Data<'_> {
        Data { cells: &self.cells, features: &self.features, ms: &self.ms }
    }
}

/// Assigns each row to one of `k` folds so that rows with the same hash share a fold:
/// distinct hashes are sorted, shuffled with the seed, and dealt round-robin.
pub fn folds_by_hash(hashes: &[ModuleHash], k: usize, seed: u64) -> Vec<usize> {
    let mut distinct: Vec<ModuleHash> = hashes.to_vec();
    distinct.sort();
    distinct.dedup();
    distinct.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let fold: rustc_hash::FxHashMap<ModuleHash, usize> = distinct.iter().enumerate().map(|(i, h)| (*h, i % k)).collect();
    hashes.iter().map(|h| fold[h]).collect()
}

/// Splits rows into (train, test) by hash: about `test_fraction` of the distinct hashes go
/// to test, and no hash is on both sides. Train rows come out in a seeded random order
/// (so that prefixes are random subsets, for learning curves).
pub fn split_by_hash(hashes: &[ModuleHash], test_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut distinct: Vec<ModuleHash> = hashes.to_vec();
    distinct.sort();
    distinct.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    distinct.shuffle(&mut rng);
    let n_test = ((distinct.len() as f64) * test_fraction).round() as usize;
    let test: rustc_hash::FxHashSet<ModuleHash> = distinct[..n_test].iter().copied().collect();
    let (mut train, mut tst) = (Vec::new(), Vec::new());
    for (i, h) in hashes.iter().enumerate() {
        if test.contains(h) {
            tst.push(i);
        } else {
            train.push(i);
        }
    }
    train.shuffle(&mut rng);
    (train, tst)
}

/// Least-squares `ms = a + b * MACs`.
pub fn fit_flops(d: &Data) -> anyhow::Result<Predictor> {
    if d.len() < 2 {
        bail!("the FLOPs baseline needs at least 2 cells");
    }
    let xs: Vec<f64> = d.features.iter().map(|f| f[idx::MACS]).collect();
    let (a, b) = line_fit(&xs, d.ms);
    Ok(Predictor::Flops { a, b })
}

/// Lookup baseline: the constant is the mean of `measured - table sum`.
pub fn fit_lookup(d: &Data, table: &LayerTable) -> anyhow::Result<Predictor> {
    if d.is_empty() {
        bail!("the lookup baseline needs at least 1 cell");
    }
    let cfg = crate::net::NetConfig::default();
    let mut s = 0.0;
    for (c, y) in d.cells.iter().zip(d.ms) {
        s += y - table.network_sum(c, &cfg)?;
    }
    Ok(Predictor::Lookup { constant: s / d.len() as f64, table: table.timings() })
}

/// Ridge, penalty chosen by `opts.folds`-fold cross-validation on squared error of the
/// target (latency, or its log), then refitted on all rows.
pub fn fit_ridge(d: &Data, log: bool, opts: &TrainOptions) -> anyhow::Result<Predictor> {
    if d.len() < 3 {
        bail!("ridge needs at least 3 cells");
    }
    let rows: Vec<usize> = (0..d.len()).collect();
    let k = opts.folds.min(d.len()).max(2);
    let mut order = rows.clone();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5249_4447));
    let mut best = (f64::INFINITY, opts.ridge_lambdas[0]);
    for &lambda in &opts.ridge_lambdas {
        let mut sse = 0.0;
        for f in 0..k {
            let train: Vec<usize> = order.iter().enumerate().filter(|(p, _)| p % k != f).map(|(_, &i)| i).collect();
            let Some(m) = ridge_with(d.features, d.ms, &train, log, lambda) else { continue };
            for (_, &i) in order.iter().enumerate().filter(|(p, _)| p % k == f) {
                let e = m.raw(&d.features[i]) - ridge_target(d.ms[i], log);
                sse += e * e;
            }
        }
        if sse < best.0 {
            best = (sse, lambda);
        }
    }
    let m = ridge_with(d.features, d.ms, &rows, log, best.1).context("ridge system is singular")?;
    Ok(Predictor::Ridge(m))
}

/// Gradient-boosted trees on `ln(ms)` (optionally a quantile of it).
pub fn fit_gbt(d: &Data, opts: &GbtOptions, quantile: Option<f64>) -> anyhow::Result<Predictor> {
    if d.len() < 2 * opts.min_samples_leaf.max(1) {
        bail!("gradient-boosted trees need at least {} cells", 2 * opts.min_samples_leaf.max(1));
    }
    let x: Vec<Vec<f64>> = d.features.iter().map(|f| f.to_vec()).collect();
    let y: Vec<f64> = d.ms.iter().map(|&m| libm::log(m)).collect();
    let cfg = gbt_quantile::GBTConfig {
        n_trees: opts.n_trees,
        max_depth: opts.max_depth,
        learning_rate: opts.learning_rate,
        min_samples_leaf: opts.min_samples_leaf,
        quantile,
        early_stopping_rounds: None,
        n_bins: opts.n_bins,
    };
    let model = gbt_quantile::trainer::train(&x, &y, &cfg, None);
    Ok(Predictor::Gbt(export_gbt(&model)))
}

/// Converts a `gbt-quantile` model into the model file's flat trees (pre-order).
pub fn export_gbt(m: &gbt_quantile::GradientBoostedTree) -> Gbt {
    fn walk(node: &TreeNode, t: &mut Tree) -> i32 {
        let i = t.feature.len();
        t.feature.push(node.feature_index as u16);
        t.threshold.push(node.threshold);
        t.left.push(0);
        t.right.push(0);
        let child = |c: &NodeRef, t: &mut Tree| match c {
            NodeRef::Leaf(v) => {
                t.leaf.push(*v);
                -(t.leaf.len() as i32)
            }
            NodeRef::Node(n) => walk(n, t),
        };
        let l = child(&node.left, t);
        t.left[i] = l;
        let r = child(&node.right, t);
        t.right[i] = r;
        i as i32
    }
    assert!(m.output_scale == 1.0, "exported models have no output scale");
    let trees = m
        .trees
        .iter()
        .map(|root| {
            let mut t = Tree { feature: vec![], threshold: vec![], left: vec![], right: vec![], leaf: vec![] };
            walk(root, &mut t);
            t
        })
        .collect();
    Gbt { base: m.base_score, learning_rate: m.learning_rate, log_target: true, trees }
}

/// Fits one model kind on `d`.
pub fn fit(kind: ModelKind, d: &Data, opts: &TrainOptions, table: Option<&LayerTable>) -> anyhow::Result<Predictor> {
    match kind {
        ModelKind::Flops => fit_flops(d),
        ModelKind::Lookup => fit_lookup(d, table.context("the lookup baseline needs a layer table (--layer-table)")?),
        ModelKind::Ridge => fit_ridge(d, false, opts),
        ModelKind::RidgeLog => fit_ridge(d, true, opts),
        ModelKind::Gbt => fit_gbt(d, &opts.gbt, None),
    }
}

/// Wraps a predictor into a checked model (no interval) for prediction.
pub fn as_model(p: Predictor, target: Target) -> anyhow::Result<Model> {
    Ok(Model::new(ModelFile::new(target, TrainingInfo::default(), p, Interval::None))?)
}

/// Predictions (ms) of a predictor for every row of `d`.
pub fn predict_rows(m: &Model, d: &Data) -> anyhow::Result<Vec<f64>> {
    d.cells.iter().zip(d.features).map(|(c, f)| Ok(m.predict_features(c, f)?.ms)).collect()
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The residual interval: quantiles of out-of-fold `ln(measured / predicted)`.
pub fn residual_interval(kind: ModelKind, d: &Data, opts: &TrainOptions, table: Option<&LayerTable>) -> anyhow::Result<Interval> {
    let k = opts.folds.min(d.len()).max(2);
    let mut order: Vec<usize> = (0..d.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(opts.seed ^ 0x494e_5456));
    let mut res = Vec::with_capacity(d.len());
    for f in 0..k {
        let tr: Vec<usize> = order.iter().enumerate().filter(|(p, _)| p % k != f).map(|(_, &i)| i).collect();
        let te: Vec<usize> = order.iter().enumerate().filter(|(p, _)| p % k == f).map(|(_, &i)| i).collect();
        let (trs, tes) = (Subset::of(d, &tr), Subset::of(d, &te));
        let m = as_model(fit(kind, &trs.data(), opts, table)?, Target::GpuMedianMs)?;
        for (p, y) in predict_rows(&m, &tes.data())?.into_iter().zip(&tes.ms) {
            res.push(libm::log(y / p.max(1e-9)));
        }
    }
    res.sort_by(|a, b| a.total_cmp(b));
    let tail = (1.0 - opts.interval_level) / 2.0;
    let lo = libm::exp(quantile(&res, tail).min(0.0));
    let hi = libm::exp(quantile(&res, 1.0 - tail).max(0.0));
    Ok(Interval::Residual { lo, hi, level: opts.interval_level })
}

/// Trains a complete model file: the predictor on all of `d`, and its residual interval.
pub fn train_model(
    kind: ModelKind,
    d: &Data,
    target: Target,
    opts: &TrainOptions,
    table: Option<&LayerTable>,
    mut info: TrainingInfo,
) -> anyhow::Result<ModelFile> {
    let predictor = fit(kind, d, opts, table)?;
    let interval = residual_interval(kind, d, opts, table)?;
    info.n_cells = d.len();
    info.seed = opts.seed;
    if info.notes.is_empty() {
        info.notes = match (&predictor, kind) {
            (Predictor::Ridge(r), _) => format!("{}: lambda {}", kind.as_str(), r.lambda),
            (_, ModelKind::Gbt) => {
                let g = opts.gbt;
                format!(
                    "gbt: {} trees, depth {}, learning rate {}, min leaf {}, {} bins",
                    g.n_trees, g.max_depth, g.learning_rate, g.min_samples_leaf, g.n_bins
                )
            }
            _ => kind.as_str().to_string(),
        };
    }
    Ok(ModelFile::new(target, info, predictor, interval))
}
