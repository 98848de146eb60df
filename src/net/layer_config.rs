//! Layer configurations: what one kernel launch computes (kind, kernel, channels in and out,
//! spatial size, number of inputs), independent of where the layer sits in a network. The
//! lookup-table baseline keys its table by them; isolation networks reproduce one alone.

use serde::{Deserialize, Serialize};

use super::ir::{LayerKind, Net};

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
