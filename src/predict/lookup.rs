//! The lookup-table baseline: every distinct layer configuration (kind, kernel, channels
//! in/out, spatial size, number of inputs) a network uses, the table of per-configuration
//! latencies measured in isolation (`leti measure --layers`), and the per-network sum.
//!
//! Table file format: JSON Lines, one `{"config": LayerConfig, "median_ms": f64}` per line.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::net::{LayerConfig, LayerKind, NetConfig};
use crate::space::Cell;

use super::compact::CompactNet;

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
            let t: LayerTiming = serde_json::from_str(line).map_err(|e| LayerTableError::Parse { line: line_no, message: e.to_string() })?;
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

#[cfg(test)]
mod isolation_tests {
    use super::*;
    use crate::net::{isolation_net, layer_configs_of_net, LayerKind, LayerOp, ISOLATION_TARGET as TARGET};

    #[test]
    fn every_configuration_of_the_space_has_an_isolation_net_that_reproduces_it() {
        let space = crate::space::enumerate();
        let cells: Vec<_> = space.entries.iter().step_by(97).map(|e| e.cell).collect();
        let configs = distinct_layer_configs(&cells, &NetConfig::default());
        assert!(configs.len() > 50);
        for c in &configs {
            let net = isolation_net(c, 1).unwrap();
            let target = net.layers.iter().find(|l| l.name == TARGET).unwrap();
            let all = layer_configs_of_net(&net);
            let at = net.layers.iter().filter(|l| !l.kind.is_view()).position(|l| l.id == target.id).unwrap();
            assert_eq!(all[at], *c, "isolation net of {c:?}");
            // Every layer but the target is a cheap producer (max-pool) or a view.
            for l in &net.layers {
                assert!(l.name == TARGET || matches!(l.kind, LayerKind::MaxPool { .. } | LayerKind::Truncate { .. }), "{}", l.name);
            }
        }
    }

    #[test]
    fn impossible_configurations_are_errors() {
        let add1 = LayerConfig { op: LayerOp::Add, k: 0, stride: 1, c_in: 8, c_out: 8, size: 4, inputs: 1 };
        assert!(isolation_net(&add1, 1).is_err());
        let cat = LayerConfig { op: LayerOp::Concat, k: 0, stride: 1, c_in: 8, c_out: 9, size: 4, inputs: 2 };
        assert!(isolation_net(&cat, 1).is_err());
    }
}
