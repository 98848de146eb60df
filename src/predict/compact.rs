//! The network of a cell in compact form, without building the full [`crate::net::Net`]:
//! the layers of each *distinct* cell instance (a cell with its input/output channels and
//! spatial size) are generated into fixed-size arrays, in the builder's execution order, and
//! each instance carries how many times it occurs. Features and lookup-table sums read this;
//! tests check it against the IR and [`crate::net::Cost`] layer by layer.
//!
//! The default network has only five distinct cell instances (stack 0: 128 -> 128 at 32x32,
//! three times; stacks 1 and 2: a first cell doubling channels and two equal cells), so the
//! per-cell work is a few hundred integer operations.

use crate::net::{vertex_channels_array, LayerKind, NetConfig};
use crate::space::{Cell, Op, MAX_VERTICES};

/// Most layers one cell instance can have (5 ops, 9 truncations, 6 projections, 6 sums,
/// a concat; 27 in the worst case).
pub(crate) const MAX_CELL_LAYERS: usize = 40;
/// Tensors of one cell instance: its input plus one per layer.
pub(crate) const MAX_CELL_TENSORS: usize = MAX_CELL_LAYERS + 1;
/// Most inputs of one layer (an add of the output's concat and projection, or of up to
/// 5 predecessors and a projection; a concat of up to 5 vertices).
const MAX_LAYER_INPUTS: usize = 7;

/// Why a layer exists, at the granularity features need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerClass {
    Stem,
    Downsample,
    /// A vertex op (conv3x3, conv1x1 or maxpool3x3).
    VertexOp,
    /// A 1x1 projection of the cell input.
    Projection,
    /// A channel truncation (a view: no kernel, no memory).
    Truncate,
    Add,
    Concat,
    /// Global average pool and dense classifier.
    Head,
}

/// What a cell layer computes; channels come from its tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CompactOp {
    Conv(u8),
    MaxPool3,
    Truncate,
    Add,
    Concat,
}

/// One layer of a cell instance: what it computes, why it exists, and local tensor ids.
/// [`CellInstance::kind`] gives its full [`LayerKind`].
#[derive(Clone, Copy, Debug)]
pub struct CompactLayer {
    op: CompactOp,
    pub class: LayerClass,
    inputs: [u8; MAX_LAYER_INPUTS],
    n_inputs: u8,
    /// Local tensor id of the output.
    pub output: u8,
}

impl CompactLayer {
    /// Local tensor ids of the inputs.
    pub fn inputs(&self) -> &[u8] {
        &self.inputs[..self.n_inputs as usize]
    }
}

/// The layers of one cell instance. Local tensor 0 is the cell input; tensor `i + 1` is the
/// output of layer `i`. All tensors share the instance's spatial size.
#[derive(Clone, Debug)]
pub struct CellInstance {
    pub c_in: usize,
    pub c_out: usize,
    /// Height and width of every tensor in the cell.
    pub size: usize,
    pub batch: usize,
    layers: [CompactLayer; MAX_CELL_LAYERS],
    n_layers: usize,
    /// Channels of each local tensor.
    channels: [u32; MAX_CELL_TENSORS],
    /// The tensor holding each tensor's storage (itself, or a view's source).
    storage: [u8; MAX_CELL_TENSORS],
}

const EMPTY_LAYER: CompactLayer = CompactLayer { op: CompactOp::Add, class: LayerClass::Add, inputs: [0; MAX_LAYER_INPUTS], n_inputs: 0, output: 0 };

impl CellInstance {
    /// Generates the layers of `cell` mapping `c_in` to `c_out` channels at `size` x `size`,
    /// in the same order and with the same shapes as [`crate::net::build`].
    pub fn new(cell: &Cell, c_in: usize, c_out: usize, size: usize, batch: usize) -> CellInstance {
        let mut inst = CellInstance {
            c_in,
            c_out,
            size,
            batch,
            layers: [EMPTY_LAYER; MAX_CELL_LAYERS],
            n_layers: 0,
            channels: [0; MAX_CELL_TENSORS],
            storage: [0; MAX_CELL_TENSORS],
        };
        inst.channels[0] = c_in as u32;
        let n = cell.num_vertices();
        let out = n - 1;
        let ch = vertex_channels_array(cell, c_in, c_out);
        let mut values = [0u8; MAX_VERTICES];
        for t in 1..out {
            let mut sum_in = [0u8; MAX_LAYER_INPUTS];
            let mut k = 0;
            for (src, &value) in values.iter().enumerate().take(t).skip(1) {
                if cell.has_edge(src, t) {
                    let v = if inst.channels[value as usize] as usize == ch[t] {
                        value
                    } else {
                        inst.push(CompactOp::Truncate, LayerClass::Truncate, &[value], ch[t])
                    };
                    sum_in[k] = v;
                    k += 1;
                }
            }
            if cell.has_edge(0, t) {
                sum_in[k] = inst.push(CompactOp::Conv(1), LayerClass::Projection, &[0], ch[t]);
                k += 1;
            }
            let vin = if k == 1 { sum_in[0] } else { inst.push(CompactOp::Add, LayerClass::Add, &sum_in[..k], ch[t]) };
            let kind = match cell.op(t) {
                Op::Conv3x3 => CompactOp::Conv(3),
                Op::Conv1x1 => CompactOp::Conv(1),
                _ => CompactOp::MaxPool3,
            };
            values[t] = inst.push(kind, LayerClass::VertexOp, &[vin], ch[t]);
        }
        let mut feeding = [0u8; MAX_LAYER_INPUTS];
        let mut k = 0;
        for (v, &value) in values.iter().enumerate().take(out).skip(1) {
            if cell.has_edge(v, out) {
                feeding[k] = value;
                k += 1;
            }
        }
        let proj = CompactOp::Conv(1);
        if k == 0 {
            inst.push(proj, LayerClass::Projection, &[0], c_out);
            return inst;
        }
        let cat = if k == 1 { feeding[0] } else { inst.push(CompactOp::Concat, LayerClass::Concat, &feeding[..k], c_out) };
        if cell.has_edge(0, out) {
            let p = inst.push(proj, LayerClass::Projection, &[0], c_out);
            inst.push(CompactOp::Add, LayerClass::Add, &[cat, p], c_out);
        }
        inst
    }

    fn push(&mut self, op: CompactOp, class: LayerClass, inputs: &[u8], c: usize) -> u8 {
        let id = self.n_layers;
        let out = (id + 1) as u8;
        let mut l = CompactLayer { op, class, inputs: [0; MAX_LAYER_INPUTS], n_inputs: inputs.len() as u8, output: out };
        l.inputs[..inputs.len()].copy_from_slice(inputs);
        self.layers[id] = l;
        self.channels[out as usize] = c as u32;
        self.storage[out as usize] = if op == CompactOp::Truncate { self.storage[inputs[0] as usize] } else { out };
        self.n_layers += 1;
        out
    }

    /// The full kind of one of this instance's layers.
    pub fn kind(&self, l: &CompactLayer) -> LayerKind {
        let c_out = self.channels[l.output as usize] as usize;
        match l.op {
            CompactOp::Conv(k) => LayerKind::Conv { k: k as usize, c_in: self.channels[l.inputs[0] as usize] as usize, c_out },
            CompactOp::MaxPool3 => LayerKind::MaxPool { k: 3, stride: 1 },
            CompactOp::Truncate => LayerKind::Truncate { c_out },
            CompactOp::Add => LayerKind::Add,
            CompactOp::Concat => LayerKind::Concat,
        }
    }

    /// The same cell with another input channel count: only the cell input and the layers
    /// reading it (projections) change, as between the first and later cells of a stack.
    pub fn set_c_in(&mut self, c_in: usize) {
        self.c_in = c_in;
        self.channels[0] = c_in as u32;
    }

    pub fn layers(&self) -> &[CompactLayer] {
        &self.layers[..self.n_layers]
    }

    /// Channels of local tensor `t`.
    pub fn channels(&self, t: u8) -> usize {
        self.channels[t as usize] as usize
    }

    /// f32 bytes of local tensor `t` (its logical size for a view).
    pub fn bytes(&self, t: u8) -> u64 {
        4 * (self.batch * self.size * self.size) as u64 * self.channels[t as usize] as u64
    }

    /// Local tensor id of the cell output (the last layer's output).
    pub fn output(&self) -> u8 {
        self.n_layers as u8
    }

    /// The largest total of live activation bytes during this cell's layers, counting the
    /// cell input as live from the start: the same liveness rule as
    /// [`crate::net::Cost::peak_activation_bytes`] restricted to this cell.
    #[allow(clippy::needless_range_loop)] // several arrays indexed by tensor id
    pub fn peak_live_bytes(&self) -> u64 {
        let n = self.n_layers;
        // Last step each storage tensor is needed (tensor t is produced at step t - 1).
        let mut last = [0usize; MAX_CELL_TENSORS];
        for t in 1..=n {
            last[t] = t - 1;
        }
        for (i, l) in self.layers().iter().enumerate() {
            for &x in l.inputs() {
                let s = self.storage[x as usize] as usize;
                last[s] = last[s].max(i);
            }
        }
        let mut delta = [0i64; MAX_CELL_LAYERS + 1];
        delta[0] += self.bytes(0) as i64;
        delta[last[0] + 1] -= self.bytes(0) as i64;
        for t in 1..=n {
            if self.storage[t] as usize == t {
                delta[t - 1] += self.bytes(t as u8) as i64;
                delta[last[t] + 1] -= self.bytes(t as u8) as i64;
            }
        }
        let (mut live, mut peak) = (0i64, 0i64);
        for d in delta.iter().take(n) {
            live += d;
            peak = peak.max(live);
        }
        peak as u64
    }
}

/// A layer outside the cells (stem, downsampling max-pools, head), with its input shape.
#[derive(Clone, Copy, Debug)]
pub struct OuterLayer {
    pub kind: LayerKind,
    pub class: LayerClass,
    /// Input channels and spatial size.
    pub c_in: usize,
    pub size_in: usize,
    /// Output channels and spatial size.
    pub c_out: usize,
    pub size_out: usize,
}

/// A whole network in compact form: the outer layers, and the distinct cell instances with
/// their stack and how many times each occurs.
#[derive(Clone, Debug)]
pub struct CompactNet {
    pub batch: usize,
    pub outer: Vec<OuterLayer>,
    /// `(instance, stack, count)`.
    pub cells: Vec<(CellInstance, usize, usize)>,
}

impl CompactNet {
    pub fn new(cell: &Cell, cfg: &NetConfig) -> CompactNet {
        let mut outer = Vec::with_capacity(cfg.num_stacks + 2);
        let mut cells = Vec::with_capacity(2 * cfg.num_stacks);
        outer.push(OuterLayer {
            kind: LayerKind::Conv { k: 3, c_in: cfg.input_channels, c_out: cfg.stem_channels },
            class: LayerClass::Stem,
            c_in: cfg.input_channels,
            size_in: cfg.input_size,
            c_out: cfg.stem_channels,
            size_out: cfg.input_size,
        });
        let (mut c, mut size) = (cfg.stem_channels, cfg.input_size);
        for stack in 0..cfg.num_stacks {
            let mut c_prev = c;
            if stack > 0 {
                let s_out = size.div_ceil(2);
                outer.push(OuterLayer {
                    kind: LayerKind::MaxPool { k: 2, stride: 2 },
                    class: LayerClass::Downsample,
                    c_in: c,
                    size_in: size,
                    c_out: c,
                    size_out: s_out,
                });
                size = s_out;
                c_prev = c;
                c *= 2;
            }
            if cfg.cells_per_stack == 0 {
                continue;
            }
            let inst = CellInstance::new(cell, c, c, size, cfg.batch);
            if c_prev == c {
                cells.push((inst, stack, cfg.cells_per_stack));
            } else {
                let mut first = inst.clone();
                first.set_c_in(c_prev);
                cells.push((first, stack, 1));
                if cfg.cells_per_stack > 1 {
                    cells.push((inst, stack, cfg.cells_per_stack - 1));
                }
            }
        }
        outer.push(OuterLayer { kind: LayerKind::GlobalAvgPool, class: LayerClass::Head, c_in: c, size_in: size, c_out: c, size_out: 1 });
        outer.push(OuterLayer {
            kind: LayerKind::Dense { c_in: c, c_out: cfg.num_classes },
            class: LayerClass::Head,
            c_in: c,
            size_in: 1,
            c_out: cfg.num_classes,
            size_out: 1,
        });
        CompactNet { batch: cfg.batch, outer, cells }
    }

    /// Peak live activation bytes of the whole network (equal to
    /// [`crate::net::Cost::peak_activation_bytes`]): the largest of each outer layer's
    /// input + output and each cell instance's own peak.
    pub fn peak_live_bytes(&self) -> u64 {
        let b = |c: usize, s: usize| 4 * (self.batch * c * s * s) as u64;
        let mut peak = 0;
        for l in &self.outer {
            peak = peak.max(b(l.c_in, l.size_in) + b(l.c_out, l.size_out));
        }
        for (inst, _, _) in &self.cells {
            peak = peak.max(inst.peak_live_bytes());
        }
        peak
    }
}
