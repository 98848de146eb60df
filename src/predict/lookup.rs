//! The lookup-table baseline: every distinct layer configuration (kind, kernel, channels
//! in/out, spatial size, number of inputs) a network uses, the table of per-configuration
//! latencies measured in isolation (`leti measure --layers`), and the per-network sum.
//!
//! Table file format: JSON Lines, one `{"config": LayerConfig, "median_ms": f64}` per line.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::net::{LayerKind, Net, NetConfig};
use crate::space::Cell;

use super::compact::CompactNet;

/// One layer configuration: what a kernel launch computes, independent of where it sits.
/// Views (channel truncation) launch nothing and have no configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LayerConfig {
    /// `conv`, `maxpool`, `add`, `concat`, `global_avg_pool` or `dense`.
    pub op: LayerOp,
    /// Kernel size (conv, maxpool); 0 otherwise.
    pub k: u16,
    /// Stride (maxpool 2x2 downsampling: 2); 1 otherwise.
    pub stride: u16,
    /// Input channels: for add, of each input; for concat, of all inputs together.
    pub c_in: u32,
    pub c_out: u32,
    /// Input height = width.
    pub size: u16,
    /// Number of input tensors (add, concat: 2 or more; otherwise 1). A concat's inputs
    /// split `c_out` as the builder does: the first `c_out % inputs` get one channel more.
    pub inputs: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerOp {
    Conv,
    Maxpool,
    Add,
    Concat,
    GlobalAvgPool,
    Dense,
}

impl LayerConfig {
    /// The configuration of a layer of `kind` whose inputs have `c_in` channels in total
    /// (the first input's channels for an add) at `size` x `size`; `None` for a view.
    pub fn of(kind: LayerKind, c_in: usize, c_out: usize, size: usize, inputs: usize) -> Option<LayerConfig> {
        let mk = |op, k: usize, stride: usize, c_in: usize| LayerConfig {
            op,
            k: k as u16,
            stride: stride as u16,
            c_in: c_in as u32,
            c_out: c_out as u32,
            size: size as u16,
            inputs: inputs as u16,
        };
        Some(match kind {
            LayerKind::Conv { k, c_in, .. } => mk(LayerOp::Conv, k, 1, c_in),
            LayerKind::MaxPool { k, stride } => mk(LayerOp::Maxpool, k, stride, c_in),
            LayerKind::Add => mk(LayerOp::Add, 0, 1, c_out),
            LayerKind::Concat => mk(LayerOp::Concat, 0, 1, c_in),
            LayerKind::GlobalAvgPool => mk(LayerOp::GlobalAvgPool, 0, 1, c_in),
            LayerKind::Dense { c_in, .. } => mk(LayerOp::Dense, 0, 1, c_in),
            LayerKind::Truncate { .. } => return None,
        })
    }
}

/// Calls `f(config, count)` for every kernel launch of the network of `cell` (a cell
/// instance repeated `count` times reports its layers with that count).
pub fn for_each_layer_config(cell: &Cell, cfg: &NetConfig, mut f: impl FnMut(LayerConfig, usize)) {
    let net = CompactNet::new(cell, cfg);
    for l in &net.outer {
        if let Some(c) = LayerConfig::of(l.kind, l.c_in, l.c_out, l.size_in, 1) {
            f(c, 1);
        }
    }
    for (inst, _, count) in &net.cells {
        for l in inst.layers() {
            let ins = l.inputs();
            let c_in: usize = match inst.kind(l) {
                LayerKind::Add => inst.channels(ins[0]),
                _ => ins.iter().map(|&t| inst.channels(t)).sum(),
            };
            if let Some(c) = LayerConfig::of(inst.kind(l), c_in, inst.channels(l.output), inst.size, ins.len()) {
                f(c, *count);
            }
        }
    }
}

/// Layer configurations of every kernel launch of a built network, in execution order
/// (the reference for [`for_each_layer_config`]).
pub fn layer_configs_of_net(net: &Net) -> Vec<LayerConfig> {
    net.layers
        .iter()
        .filter_map(|l| {
            let first = net.tensors[l.inputs[0]].shape;
            let c_in = match l.kind {
                LayerKind::Add => first.c,
                _ => l.inputs.iter().map(|&t| net.tensors[t].shape.c).sum(),
            };
            LayerConfig::of(l.kind, c_in, net.tensors[l.output].shape.c, first.h, l.inputs.len())
        })
        .collect()
}

/// Every distinct layer configuration used by the networks of `cells`, sorted.
pub fn distinct_layer_configs<'a>(cells: impl IntoIterator<Item = &'a Cell>, cfg: &NetConfig) -> Vec<LayerConfig> {
    let mut set = FxHashSet::default();
    for cell in cells {
        for_each_layer_config(cell, cfg, |c, _| {
            set.insert(c);
        });
    }
    let mut v: Vec<LayerConfig> = set.into_iter().collect();
    v.sort();
    v
}

/// One line of a layer table file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerTiming {
    pub config: LayerConfig,
    pub median_ms: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum LayerTableError {
    #[error("layer table line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("layer table line {line}: configuration {config:?} appears twice")]
    Duplicate { line: usize, config: LayerConfig },
    #[error("layer table line {line}: median_ms must be finite and non-negative, got {value}")]
    BadTime { line: usize, value: f64 },
    #[error("the layer table has no entry for {missing} layer configuration(s) of this network, e.g. {example:?}")]
    Missing { missing: usize, example: LayerConfig },
}

/// Measured latency of each layer configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerTable {
    pub entries: FxHashMap<LayerConfig, f64>,
}

impl LayerTable {
    /// Parses a JSONL table; blank lines are skipped; duplicates and bad times are errors.
    pub fn from_jsonl(text: &str) -> Result<LayerTable, LayerTableError> {
        let mut entries = FxHashMap::default();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let t: LayerTiming =
                serde_json::from_str(line).map_err(|e| LayerTableError::Parse { line: line_no, message: e.to_string() })?;
            if !(t.median_ms.is_finite() && t.median_ms >= 0.0) {
                return Err(LayerTableError::BadTime { line: line_no, value: t.median_ms });
            }
            if entries.insert(t.config, t.median_ms).is_some() {
                return Err(LayerTableError::Duplicate { line: line_no, config: t.config });
            }
        }
        Ok(LayerTable { entries })
    }

    /// The entries sorted by configuration.
    pub fn timings(&self) -> Vec<LayerTiming> {
        let mut v: Vec<LayerTiming> = self.entries.iter().map(|(c, &t)| LayerTiming { config: *c, median_ms: t }).collect();
        v.sort_by_key(|t| t.config);
        v
    }

    /// Builds a table from timings; a configuration listed twice is an error.
    pub fn from_timings(timings: &[LayerTiming]) -> Result<LayerTable, LayerTableError> {
        let mut entries = FxHashMap::default();
        for (i, t) in timings.iter().enumerate() {
            if !(t.median_ms.is_finite() && t.median_ms >= 0.0) {
                return Err(LayerTableError::BadTime { line: i + 1, value: t.median_ms });
            }
            if entries.insert(t.config, t.median_ms).is_some() {
                return Err(LayerTableError::Duplicate { line: i + 1, config: t.config });
            }
        }
        Ok(LayerTable { entries })
    }

    /// Writes the table as JSONL, sorted by configuration.
    pub fn to_jsonl(&self) -> String {
        let mut s = String::new();
        for t in self.timings() {
            s.push_str(&serde_json::to_string(&t).expect("serialisable"));
            s.push('\n');
        }
        s
    }

    /// Sum of the table latencies of every kernel launch of `cell`'s network, in ms.
    /// Summation order is fixed (outer layers, then cell instances in network order).
    pub fn network_sum(&self, cell: &Cell, cfg: &NetConfig) -> Result<f64, LayerTableError> {
        let mut sum = 0.0;
        let mut missing = 0;
        let mut example = None;
        for_each_layer_config(cell, cfg, |c, count| match self.entries.get(&c) {
            Some(&t) => sum += t * count as f64,
            None => {
                missing += 1;
                example.get_or_insert(c);
            }
        });
        match example {
            None => Ok(sum),
            Some(example) => Err(LayerTableError::Missing { missing, example }),
        }
    }
}
