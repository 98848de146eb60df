//! The layer IR: tensors with shapes, layers with explicit input/output tensors, listed in
//! execution order, and each tensor's lifetime.

use serde::{Deserialize, Serialize};

use super::build::NetConfig;
use crate::space::Cell;

pub type TensorId = usize;
pub type LayerId = usize;

/// An activation shape, NCHW order of dimensions (the IR fixes no memory layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shape {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

impl Shape {
    pub fn new(n: usize, c: usize, h: usize, w: usize) -> Shape {
        Shape { n, c, h, w }
    }

    pub fn elements(&self) -> usize {
        self.n * self.c * self.h * self.w
    }

    /// Bytes as f32.
    pub fn bytes(&self) -> usize {
        4 * self.elements()
    }
}

/// What a layer computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LayerKind {
    /// k x k convolution, stride 1, "same" padding, no bias of its own; batch norm folded
    /// into weights and a per-channel bias; ReLU applied. One input.
    Conv { k: usize, c_in: usize, c_out: usize },
    /// k x k max-pool with the given stride, "same" padding. One input; channels kept.
    MaxPool { k: usize, stride: usize },
    /// Keeps the first `c_out` channels of its input: a view, no data moves.
    Truncate { c_out: usize },
    /// Element-wise sum of two or more inputs of the same shape.
    Add,
    /// Concatenation of two or more inputs along channels, in input order.
    Concat,
    /// Mean over height and width.
    GlobalAvgPool,
    /// Fully connected layer with bias (no activation): the logits.
    Dense { c_in: usize, c_out: usize },
}

impl LayerKind {
    /// A short name for the kind ("conv3x3", "maxpool2x2", "add", ...).
    pub fn short_name(&self) -> String {
        match self {
            LayerKind::Conv { k, .. } => format!("conv{k}x{k}"),
            LayerKind::MaxPool { k, .. } => format!("maxpool{k}x{k}"),
            LayerKind::Truncate { .. } => "truncate".into(),
            LayerKind::Add => "add".into(),
            LayerKind::Concat => "concat".into(),
            LayerKind::GlobalAvgPool => "global_avg_pool".into(),
            LayerKind::Dense { .. } => "dense".into(),
        }
    }

    /// Whether the layer is a view (no kernel runs, no memory is allocated).
    pub fn is_view(&self) -> bool {
        matches!(self, LayerKind::Truncate { .. })
    }
}

/// Where in the network a layer sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Site {
    pub stack: usize,
    pub cell: usize,
}

/// Why a layer exists in the NAS-Bench-101 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// The stem conv3x3 from the image channels.
    Stem,
    /// The 2x2/2 max-pool before stacks 2 and 3.
    Downsample,
    /// The op of interior vertex `vertex`.
    VertexOp { vertex: usize },
    /// A 1x1 projection of the cell input feeding `vertex` (the output vertex included).
    Projection { vertex: usize },
    /// Truncation of vertex `from`'s output for vertex `vertex`.
    VertexTruncate { vertex: usize, from: usize },
    /// The sum forming the input of `vertex` (for the output vertex: concat + projection).
    VertexSum { vertex: usize },
    /// The concat forming the cell output.
    CellConcat,
    /// Global average pool and dense classifier.
    Head,
}

/// One layer of the IR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub id: LayerId,
    pub kind: LayerKind,
    pub inputs: Vec<TensorId>,
    pub output: TensorId,
    /// A unique readable path, e.g. `s1/c0/v3/conv3x3`.
    pub name: String,
    pub role: Role,
    /// Stack and cell, for layers inside a cell.
    pub site: Option<Site>,
}

/// One tensor of the IR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tensor {
    pub id: TensorId,
    pub shape: Shape,
    /// The layer that writes it; `None` for the network input.
    pub producer: Option<LayerId>,
    /// The layers that read it, in execution order.
    pub consumers: Vec<LayerId>,
}

/// A network: layers in execution order (every layer's inputs are produced by earlier
/// layers or are the network input), tensors indexed by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Net {
    pub config: NetConfig,
    pub cell: CellRef,
    pub tensors: Vec<Tensor>,
    pub layers: Vec<Layer>,
    pub input: TensorId,
    pub output: TensorId,
}

/// The cell a network was built from, as its spec (kept for reports).
pub type CellRef = crate::space::CellSpec;

impl Net {
    /// The cell this network was built from (validated again from the stored spec).
    pub fn cell(&self) -> Cell {
        self.cell.validate().expect("a built network stores a valid cell")
    }

    /// `(first, last)` layer indices during which tensor `t` must exist: from its producer
    /// (0 for the network input) to its last consumer (the producer itself if unread; the
    /// last layer for the network output).
    pub fn lifetime(&self, t: TensorId) -> (LayerId, LayerId) {
        let tensor = &self.tensors[t];
        let first = tensor.producer.unwrap_or(0);
        let mut last = tensor.consumers.last().copied().unwrap_or(first);
        if t == self.output {
            last = self.layers.len() - 1;
        }
        (first, last)
    }

    /// The tensor whose storage `t` lives in: itself, or for a view the storage of its source.
    pub fn storage_of(&self, mut t: TensorId) -> TensorId {
        while let Some(p) = self.tensors[t].producer {
            let layer = &self.layers[p];
            if layer.kind.is_view() {
                t = layer.inputs[0];
            } else {
                break;
            }
        }
        t
    }

    /// Layers that launch work (every layer but views).
    pub fn compute_layers(&self) -> impl Iterator<Item = &Layer> {
        self.layers.iter().filter(|l| !l.kind.is_view())
    }
}
