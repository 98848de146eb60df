//! The versioned model file (JSON) and inference on it: one predictor (FLOPs line, lookup
//! table, ridge, gradient-boosted trees, or a few-shot calibration on top of one of them)
//! and a prediction interval. Loads from bytes and predicts one cell or a whole space.
//!
//! Inference is plain `f64` arithmetic in a fixed order, with `libm` for `exp`/`ln`, so the
//! same model and cell give the same bits natively and in wasm32.

use serde::{Deserialize, Serialize};

use crate::net::{NetConfig, Precision};
use crate::space::Cell;

use super::features::{features_of_canonical, features_with, Features, FEATURE_SET_VERSION, NUM_FEATURES};
use super::lookup::{LayerTable, LayerTableError, LayerTiming};

/// The `format` string of a model file.
pub const MODEL_FORMAT: &str = "leti-latency-model";
/// The model file version this build reads and writes.
pub const MODEL_VERSION: u32 = 1;

/// Which latency a model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Median GPU time from timestamp queries, per inference (ms).
    GpuMedianMs,
    /// Median wall clock from submit to completion, per inference (ms).
    WallMedianMs,
}

/// What a model was trained on and how.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// The device key (adapter description, backend, driver, label) of the training records.
    pub device: String,
    /// Training data file(s).
    pub source: String,
    /// Distinct cells trained on.
    pub n_cells: usize,
    pub seed: u64,
    /// True when trained on the synthetic test generator: never a real device model.
    #[serde(default)]
    pub synthetic: bool,
    /// Free-form notes (e.g. hyper-parameters chosen).
    #[serde(default)]
    pub notes: String,
    /// The engine's kernel configuration that measured the training records (absent in models
    /// trained before it was recorded, or on records that do not state it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernels: Option<String>,
}

/// A linear model on standardised (optionally `ln(1 + x)`-transformed) features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ridge {
    pub log_features: bool,
    /// The model predicts `ln(ms)`.
    pub log_target: bool,
    pub mean: Vec<f64>,
    /// Standard deviation of each feature (1 where constant).
    pub scale: Vec<f64>,
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// The ridge penalty chosen (for reports).
    pub lambda: f64,
}

impl Ridge {
    pub fn transform(&self, j: usize, x: f64) -> f64 {
        let t = if self.log_features { libm::log1p(x) } else { x };
        (t - self.mean[j]) / self.scale[j]
    }

    /// The raw model output (in log space when `log_target`).
    pub fn raw(&self, f: &[f64]) -> f64 {
        let mut s = self.intercept;
        for (j, &c) in self.coef.iter().enumerate() {
            s += c * self.transform(j, f[j]);
        }
        s
    }
}

/// One regression tree in flat arrays. Node `i` sends `x[feature[i]] <= threshold[i]` to
/// `left[i]`, else to `right[i]`; a child `c >= 0` is a node, `c < 0` is leaf `-c - 1`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub feature: Vec<u16>,
    pub threshold: Vec<f64>,
    pub left: Vec<i32>,
    pub right: Vec<i32>,
    pub leaf: Vec<f64>,
}

impl Tree {
    pub fn eval(&self, f: &[f64]) -> f64 {
        let mut i = 0usize;
        loop {
            let c = if f[self.feature[i] as usize] <= self.threshold[i] { self.left[i] } else { self.right[i] };
            if c < 0 {
                return self.leaf[(-c - 1) as usize];
            }
            i = c as usize;
        }
    }

    fn check(&self, num_features: usize) -> Result<(), String> {
        let n = self.feature.len();
        if n == 0 || self.threshold.len() != n || self.left.len() != n || self.right.len() != n {
            return Err("tree arrays are empty or of different lengths".into());
        }
        for i in 0..n {
            if self.feature[i] as usize >= num_features {
                return Err(format!("node {i} splits on feature {} of {num_features}", self.feature[i]));
            }
            for c in [self.left[i], self.right[i]] {
                // Children point forward (the export writes nodes in pre-order), so no cycles.
                let ok = if c < 0 { ((-c - 1) as usize) < self.leaf.len() } else { (c as usize) > i && (c as usize) < n };
                if !ok {
                    return Err(format!("node {i} has an invalid child {c}"));
                }
            }
        }
        Ok(())
    }
}

/// The trees of a [`Gbt`] padded to complete binary trees of one depth, in flat arrays
/// (node `i` has children `2i + 1`, `2i + 2`): evaluation walks a fixed number of levels
/// without branching on node types. A leaf above the full depth becomes nodes that always
/// go left (threshold `+inf`) over copies of its value, so every input reaches the same leaf
/// value as in the original tree and the sum is bit-identical.
///
/// Thresholds are stored as ranks: each feature's distinct thresholds are sorted, a node
/// keeps the index `k` of its threshold, and a cell's feature value `x` becomes the number
/// of that feature's thresholds `t` with `!(x <= t)` (all of them for NaN). Then
/// `!(x <= t_k)` exactly when `rank(x) > k`, so the walk compares small integers in
/// arrays that fit the L1 cache (4 bytes a node) and goes the same way as the original.
#[derive(Clone, Debug)]
struct Forest {
    depth: u32,
    /// `(feature, threshold rank)` of every node, tree after tree.
    node: Vec<(u16, u16)>,
    leaf: Vec<f64>,
    /// Sorted distinct thresholds of each feature the forest splits on.
    thresholds: Vec<(u16, Vec<f64>)>,
    base: f64,
    learning_rate: f64,
}

/// Deepest forest padded into complete trees (2^12 leaves per tree at most).
const MAX_FOREST_DEPTH: u32 = 12;

impl Forest {
    fn new(g: &Gbt) -> Option<Forest> {
        fn depth_of(t: &Tree, c: i32) -> u32 {
            if c < 0 {
                0
            } else {
                1 + depth_of(t, t.left[c as usize]).max(depth_of(t, t.right[c as usize]))
            }
        }
        let depth = g.trees.iter().map(|t| depth_of(t, 0)).max().unwrap_or(0);
        if depth == 0 || depth > MAX_FOREST_DEPTH {
            return None;
        }
        // Distinct thresholds per feature (padding nodes use +inf on feature 0).
        let mut by_feature: std::collections::BTreeMap<u16, Vec<f64>> = std::collections::BTreeMap::new();
        by_feature.entry(0).or_default().push(f64::INFINITY);
        for t in &g.trees {
            for (&j, &th) in t.feature.iter().zip(&t.threshold) {
                if th.is_nan() {
                    return None;
                }
                by_feature.entry(j).or_default().push(th);
            }
        }
        for v in by_feature.values_mut() {
            v.sort_by(f64::total_cmp);
            v.dedup();
            if v.len() > u16::MAX as usize {
                return None;
            }
        }
        let rank_of = |j: u16, th: f64| by_feature[&j].binary_search_by(|t| t.total_cmp(&th)).expect("threshold listed") as u16;
        let inf_rank = rank_of(0, f64::INFINITY);
        let nodes = (1usize << depth) - 1;
        let leaves = 1usize << depth;
        let mut fo = Forest {
            depth,
            node: vec![(0, inf_rank); nodes * g.trees.len()],
            leaf: vec![0.0; leaves * g.trees.len()],
            thresholds: Vec::new(),
            base: g.base,
            learning_rate: g.learning_rate,
        };
        #[allow(clippy::too_many_arguments)]
        fn fill(fo: &mut Forest, rank_of: &dyn Fn(u16, f64) -> u16, t: &Tree, ti: usize, c: i32, pos: usize, level: u32, nodes: usize, leaves: usize) {
            if level == fo.depth {
                fo.leaf[ti * leaves + pos - nodes] = t.leaf[(-c - 1) as usize];
                return;
            }
            if c >= 0 {
                let i = c as usize;
                fo.node[ti * nodes + pos] = (t.feature[i], rank_of(t.feature[i], t.threshold[i]));
                fill(fo, rank_of, t, ti, t.left[i], 2 * pos + 1, level + 1, nodes, leaves);
                fill(fo, rank_of, t, ti, t.right[i], 2 * pos + 2, level + 1, nodes, leaves);
            } else {
                fill(fo, rank_of, t, ti, c, 2 * pos + 1, level + 1, nodes, leaves);
                fill(fo, rank_of, t, ti, c, 2 * pos + 2, level + 1, nodes, leaves);
            }
        }
        for (ti, t) in g.trees.iter().enumerate() {
            fill(&mut fo, &rank_of, t, ti, 0, 0, 0, nodes, leaves);
        }
        fo.thresholds = by_feature.into_iter().collect();
        Some(fo)
    }

    /// Walks four trees at once (independent chains the CPU overlaps), then adds their
    /// leaves in tree order, so the sum is the same as one tree at a time.
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x <= t)` is the exact complement, NaN included
    fn raw(&self, f: &[f64]) -> f64 {
        // NaN: `!(NaN <= t)` holds for every t, so its rank is the count of all thresholds.
        let mut rank = [0u16; NUM_FEATURES];
        for (j, ts) in &self.thresholds {
            let x = f[*j as usize];
            // A branch-free count (a binary search mispredicts about every other step).
            rank[*j as usize] = ts.iter().map(|&t| u16::from(!(x <= t))).sum();
        }
        let nodes = (1usize << self.depth) - 1;
        let leaves = nodes + 1;
        let mut acc = self.base;
        let step = |tree: &[(u16, u16)], i: usize| {
            let (j, k) = tree[i];
            2 * i + 1 + (rank[j as usize] > k) as usize
        };
        let mut trees = self.node.chunks_exact(4 * nodes);
        let mut leafs = self.leaf.chunks_exact(4 * leaves);
        for (tree4, leaf4) in (&mut trees).zip(&mut leafs) {
            let (t0, t1, t2, t3) = (&tree4[..nodes], &tree4[nodes..2 * nodes], &tree4[2 * nodes..3 * nodes], &tree4[3 * nodes..]);
            let (mut i0, mut i1, mut i2, mut i3) = (0, 0, 0, 0);
            for _ in 0..self.depth {
                i0 = step(t0, i0);
                i1 = step(t1, i1);
                i2 = step(t2, i2);
                i3 = step(t3, i3);
            }
            acc += self.learning_rate * leaf4[i0 - nodes];
            acc += self.learning_rate * leaf4[leaves + i1 - nodes];
            acc += self.learning_rate * leaf4[2 * leaves + i2 - nodes];
            acc += self.learning_rate * leaf4[3 * leaves + i3 - nodes];
        }
        for (tree, leaf) in trees.remainder().chunks_exact(nodes).zip(leafs.remainder().chunks_exact(leaves)) {
            let mut i = 0;
            for _ in 0..self.depth {
                i = step(tree, i);
            }
            acc += self.learning_rate * leaf[i - nodes];
        }
        acc
    }
}

/// A gradient-boosted tree ensemble: `base + sum_t learning_rate * tree_t(x)`, summed in
/// tree order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gbt {
    pub base: f64,
    pub learning_rate: f64,
    /// The ensemble predicts `ln(ms)`.
    pub log_target: bool,
    pub trees: Vec<Tree>,
}

impl Gbt {
    pub fn raw(&self, f: &[f64]) -> f64 {
        let mut acc = self.base;
        for t in &self.trees {
            acc += self.learning_rate * t.eval(f);
        }
        acc
    }
}

/// A few-shot correction of a source model to a new device, in log space:
/// `ln(ms) = a + b ln(source ms) + sum_j c_j z_j`, with `z_j` the standardised
/// `ln(1 + feature_j)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub a: f64,
    pub b: f64,
    pub features: Vec<u16>,
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub c: Vec<f64>,
    /// Measurements the correction was fitted on.
    pub k: usize,
}

impl Correction {
    pub fn apply_log(&self, source_ms: f64, f: &[f64]) -> f64 {
        let mut s = self.a + self.b * libm::log(source_ms.max(1e-9));
        for (j, &fi) in self.features.iter().enumerate() {
            s += self.c[j] * ((libm::log1p(f[fi as usize]) - self.mean[j]) / self.scale[j]);
        }
        s
    }
}

/// The point predictor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Predictor {
    /// `ms = a + b * MACs` (the FLOPs baseline).
    Flops {
        a: f64,
        b: f64,
    },
    /// `ms = constant + sum of the table latencies of every layer` (the lookup baseline).
    Lookup {
        constant: f64,
        table: Vec<LayerTiming>,
    },
    Ridge(Ridge),
    Gbt(Gbt),
    /// A source predictor corrected to another device with a few measurements.
    Calibrated {
        source: Box<Predictor>,
        correction: Correction,
    },
    /// `ms = sum_j coef_j t_j` over the structural terms (`predict::structural`): device
    /// constants, each non-negative.
    Structural {
        coef: Vec<f64>,
    },
}

/// The prediction range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Interval {
    /// `[ms * lo, ms * hi]`: `lo`, `hi` are `exp` of quantiles of out-of-fold log residuals
    /// (`ln(measured / predicted)`) on the training set.
    Residual { lo: f64, hi: f64, level: f64 },
    /// No range: `lo = hi = ms`.
    None,
}

/// The model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    pub version: u32,
    pub feature_set_version: u32,
    pub feature_names: Vec<String>,
    pub network: NetConfig,
    pub target: Target,
    pub training: TrainingInfo,
    pub predictor: Predictor,
    pub interval: Interval,
}

/// A prediction with its range, in ms.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub ms: f64,
    pub lo_ms: f64,
    pub hi_ms: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file is not valid JSON for this format: {0}")]
    Json(String),
    #[error("not a LETI latency model (format {0:?}, expected {MODEL_FORMAT:?})")]
    Format(String),
    #[error("model file version {0} is not supported (this build reads version {MODEL_VERSION})")]
    Version(u32),
    #[error("model uses feature set version {0}; this build computes version {FEATURE_SET_VERSION}: retrain it")]
    FeatureSet(u32),
    #[error("model is inconsistent: {0}")]
    Invalid(String),
    #[error(transparent)]
    Table(#[from] LayerTableError),
}

/// A loaded, checked model ready to predict.
#[derive(Clone, Debug)]
pub struct Model {
    pub file: ModelFile,
    /// The lookup table of a lookup predictor (possibly under a calibration).
    table: Option<LayerTable>,
    /// The trees of a tree predictor, padded for fast evaluation.
    forest: Option<Forest>,
}

impl Predictor {
    fn check(&self) -> Result<(), String> {
        let len_ok = |v: usize, what: &str| {
            if v == NUM_FEATURES {
                Ok(())
            } else {
                Err(format!("{what} has {v} entries, expected {NUM_FEATURES}"))
            }
        };
        match self {
            Predictor::Flops { a, b } if a.is_finite() && b.is_finite() => Ok(()),
            Predictor::Flops { .. } => Err("FLOPs coefficients are not finite".into()),
            Predictor::Structural { coef } if coef.len() != super::structural::NUM_TERMS => {
                Err(format!("structural model has {} constants, expected {}", coef.len(), super::structural::NUM_TERMS))
            }
            Predictor::Structural { coef } if coef.iter().all(|c| c.is_finite() && *c >= 0.0) && coef.iter().any(|c| *c > 0.0) => Ok(()),
            Predictor::Structural { .. } => Err("structural constants must be finite, non-negative and not all zero".into()),
            Predictor::Lookup { constant, .. } if constant.is_finite() => Ok(()),
            Predictor::Lookup { .. } => Err("lookup constant is not finite".into()),
            Predictor::Ridge(r) => {
                len_ok(r.mean.len(), "ridge mean")?;
                len_ok(r.scale.len(), "ridge scale")?;
                len_ok(r.coef.len(), "ridge coef")
            }
            Predictor::Gbt(g) => g.trees.iter().enumerate().try_for_each(|(i, t)| t.check(NUM_FEATURES).map_err(|e| format!("tree {i}: {e}"))),
            Predictor::Calibrated { source, correction: c } => {
                let n = c.features.len();
                if c.mean.len() != n || c.scale.len() != n || c.c.len() != n {
                    return Err("calibration arrays differ in length".into());
                }
                if let Some(&f) = c.features.iter().find(|&&f| f as usize >= NUM_FEATURES) {
                    return Err(format!("calibration uses feature {f} of {NUM_FEATURES}"));
                }
                source.check()
            }
        }
    }

    fn table(&self) -> Option<&[LayerTiming]> {
        match self {
            Predictor::Lookup { table, .. } => Some(table),
            Predictor::Calibrated { source, .. } => source.table(),
            _ => None,
        }
    }

    fn gbt(&self) -> Option<&Gbt> {
        match self {
            Predictor::Gbt(g) => Some(g),
            Predictor::Calibrated { source, .. } => source.gbt(),
            _ => None,
        }
    }

    /// Point prediction in ms from the features (and the table sum for a lookup model);
    /// `forest` is the padded form of this predictor's trees, when it has some.
    fn point(&self, f: &Features, table_sum: f64, forest: Option<&Forest>) -> f64 {
        match self {
            Predictor::Flops { a, b } => a + b * f[super::features::idx::MACS],
            Predictor::Structural { coef } => super::structural::eval(coef, &super::structural::terms(f)),
            Predictor::Lookup { constant, .. } => constant + table_sum,
            Predictor::Ridge(r) => {
                let y = r.raw(f);
                if r.log_target {
                    libm::exp(y)
                } else {
                    y
                }
            }
            Predictor::Gbt(g) => {
                let y = match forest {
                    Some(fo) => fo.raw(f),
                    None => g.raw(f),
                };
                if g.log_target {
                    libm::exp(y)
                } else {
                    y
                }
            }
            Predictor::Calibrated { source, correction } => libm::exp(correction.apply_log(source.point(f, table_sum, forest), f)),
        }
    }
}

impl ModelFile {
    /// A model file for the default network and the current feature set.
    pub fn new(target: Target, training: TrainingInfo, predictor: Predictor, interval: Interval) -> ModelFile {
        ModelFile {
            format: MODEL_FORMAT.into(),
            version: MODEL_VERSION,
            feature_set_version: FEATURE_SET_VERSION,
            feature_names: super::features::feature_names(),
            network: NetConfig::default(),
            target,
            training,
            predictor,
            interval,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model file serialises")
    }
}

impl Model {
    /// Parses and checks a model file.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| ModelError::Json(e.to_string()))?;
        let format = v.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != MODEL_FORMAT {
            return Err(ModelError::Format(format.to_string()));
        }
        let version = v.get("version").and_then(|f| f.as_u64()).unwrap_or(0) as u32;
        if version != MODEL_VERSION {
            return Err(ModelError::Version(version));
        }
        let file: ModelFile = serde_json::from_value(v).map_err(|e| ModelError::Json(e.to_string()))?;
        Model::new(file)
    }

    /// Checks a model file and prepares it for prediction.
    pub fn new(file: ModelFile) -> Result<Model, ModelError> {
        if file.feature_set_version != FEATURE_SET_VERSION {
            return Err(ModelError::FeatureSet(file.feature_set_version));
        }
        if file.feature_names != super::features::feature_names() {
            return Err(ModelError::Invalid("feature names differ from this build's".into()));
        }
        file.predictor.check().map_err(ModelError::Invalid)?;
        if let Interval::Residual { lo, hi, .. } = file.interval {
            if !(lo > 0.0 && lo <= 1.0 && hi >= 1.0 && hi.is_finite()) {
                return Err(ModelError::Invalid(format!("interval factors [{lo}, {hi}] must satisfy 0 < lo <= 1 <= hi")));
            }
        }
        let table = file.predictor.table().map(LayerTable::from_timings).transpose()?;
        let forest = file.predictor.gbt().and_then(Forest::new);
        Ok(Model { file, table, forest })
    }

    pub fn to_json(&self) -> String {
        self.file.to_json()
    }

    /// States the precision the model's training timings ran at (the features do not depend
    /// on it, so nothing else changes; a device's f16 and f32 timings make two models).
    pub fn set_precision(&mut self, precision: Precision) {
        self.file.network.precision = precision;
    }

    /// The point prediction evaluated node by node on the stored trees, without the padded
    /// fast path (for tests: both must agree to the bit).
    pub fn predict_reference(&self, cell: &Cell) -> Result<f64, LayerTableError> {
        let table_sum = match &self.table {
            Some(t) => t.network_sum(cell, &self.file.network)?,
            None => 0.0,
        };
        Ok(self.file.predictor.point(&features_with(cell, &self.file.network), table_sum, None))
    }

    /// Predicts from precomputed features of `cell` (the cell is needed by lookup models).
    pub fn predict_features(&self, cell: &Cell, f: &Features) -> Result<Prediction, LayerTableError> {
        let table_sum = match &self.table {
            Some(t) => t.network_sum(cell, &self.file.network)?,
            None => 0.0,
        };
        let ms = self.file.predictor.point(f, table_sum, self.forest.as_ref());
        let (lo_ms, hi_ms) = match self.file.interval {
            Interval::Residual { lo, hi, .. } => (ms * lo, ms * hi),
            Interval::None => (ms, ms),
        };
        Ok(Prediction { ms, lo_ms, hi_ms })
    }

    /// Predicts one cell (features computed here).
    pub fn predict(&self, cell: &Cell) -> Result<Prediction, LayerTableError> {
        self.predict_features(cell, &features_with(cell, &self.file.network))
    }

    /// The range as factors of the point prediction: `(lo, hi)` with `lo_ms = ms * lo` and
    /// `hi_ms = ms * hi` (`(1, 1)` without an interval), for callers that keep only `ms`.
    pub fn interval_factors(&self) -> (f64, f64) {
        match self.file.interval {
            Interval::Residual { lo, hi, .. } => (lo, hi),
            Interval::None => (1.0, 1.0),
        }
    }

    /// Point predictions (ms) of every cell of a packed space file (see
    /// [`crate::space::pack`]), in file order: what the web app shows for the whole space
    /// (ranges: multiply by [`Model::interval_factors`]).
    pub fn predict_packed_space(&self, bytes: &[u8]) -> Result<Vec<f32>, PredictSpaceError> {
        let space = crate::space::unpack(bytes)?;
        let mut out = Vec::with_capacity(space.cells.len());
        for c in &space.cells {
            // Space files hold their cells in the generator's labeling already.
            out.push(self.predict_features(c, &features_of_canonical(c, &self.file.network))?.ms as f32);
        }
        Ok(out)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PredictSpaceError {
    #[error(transparent)]
    Pack(#[from] crate::space::PackError),
    #[error(transparent)]
    Table(#[from] LayerTableError),
}
