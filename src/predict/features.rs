//! The feature vector of a cell: costs of its whole network (MACs, parameters, memory
//! traffic, kernel launches, peak memory, by op kind and by stack), the shape of the cell
//! graph, and NAS-Bench-101's adjacency + op encoding. Computed analytically from the cell
//! through [`super::CompactNet`]-style cell instances (no full IR build), and from a full [`Net`] by
//! [`features_from_net`] as the reference the tests compare against.
//!
//! `trained/FEATURES.md` documents every feature in a table; keep the two in step.

use crate::net::{Cost, LayerKind, Net, NetConfig, Role};
use crate::space::{Cell, Op};

use super::compact::{CellInstance, LayerClass};

/// Version of the feature definitions; stored in model files, which refuse to load under a
/// different version.
pub const FEATURE_SET_VERSION: u32 = 1;

/// Number of features.
pub const NUM_FEATURES: usize = 72;

/// Indices of the named scalar features (the encoding follows at [`idx::ADJ`]).
pub mod idx {
    pub const MACS: usize = 0;
    pub const PARAMS: usize = 1;
    pub const WEIGHT_BYTES: usize = 2;
    pub const MACS_CONV3X3: usize = 3;
    pub const MACS_CONV1X1: usize = 4;
    pub const MACS_PROJECTION: usize = 5;
    pub const PARAMS_CONV3X3: usize = 6;
    pub const PARAMS_CONV1X1: usize = 7;
    pub const PARAMS_PROJECTION: usize = 8;
    pub const MACS_STACK: usize = 9; // 9, 10, 11
    pub const PARAMS_STACK: usize = 12; // 12, 13, 14
    pub const N_CONV3X3: usize = 15;
    pub const N_CONV1X1: usize = 16;
    pub const N_PROJECTION: usize = 17;
    pub const N_MAXPOOL3X3: usize = 18;
    pub const N_ADD: usize = 19;
    pub const N_CONCAT: usize = 20;
    pub const N_TRUNCATE: usize = 21;
    pub const N_LAUNCHES: usize = 22;
    pub const ACT_READ_BYTES: usize = 23;
    pub const ACT_WRITE_BYTES: usize = 24;
    pub const TRAFFIC_CONV: usize = 25;
    pub const TRAFFIC_POOL: usize = 26;
    pub const TRAFFIC_ADD: usize = 27;
    pub const TRAFFIC_CONCAT: usize = 28;
    pub const PEAK_BYTES: usize = 29;
    pub const CELL_VERTICES: usize = 30;
    pub const CELL_EDGES: usize = 31;
    pub const CELL_DEPTH: usize = 32;
    pub const CELL_WIDTH: usize = 33;
    pub const OUTPUT_FANIN: usize = 34;
    pub const INPUT_FANOUT: usize = 35;
    /// First of the 21 upper-triangle bits of the 7x7 padded adjacency matrix.
    pub const ADJ: usize = 36;
    /// First of the 5 x 3 op one-hot slots (vertex 1..=5, conv3x3 / conv1x1 / maxpool3x3).
    pub const OPS: usize = 57;
}

/// The number of stacks the per-stack features cover (the default network's).
pub const FEATURE_STACKS: usize = 3;

/// Feature names, in vector order.
pub fn feature_names() -> Vec<String> {
    let mut v: Vec<String> = [
        "macs",
        "params",
        "weight_bytes",
        "macs_conv3x3",
        "macs_conv1x1",
        "macs_projection",
        "params_conv3x3",
        "params_conv1x1",
        "params_projection",
        "macs_stack0",
        "macs_stack1",
        "macs_stack2",
        "params_stack0",
        "params_stack1",
        "params_stack2",
        "n_conv3x3",
        "n_conv1x1",
        "n_projection",
        "n_maxpool3x3",
        "n_add",
        "n_concat",
        "n_truncate",
        "n_launches",
        "act_read_bytes",
        "act_write_bytes",
        "traffic_conv_bytes",
        "traffic_pool_bytes",
        "traffic_add_bytes",
        "traffic_concat_bytes",
        "peak_activation_bytes",
        "cell_vertices",
        "cell_edges",
        "cell_depth",
        "cell_width",
        "output_fanin",
        "input_fanout",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for a in 0..7 {
        for b in a + 1..7 {
            v.push(format!("adj_{a}_{b}"));
        }
    }
    for vtx in 1..=5 {
        for op in ["conv3x3", "conv1x1", "maxpool3x3"] {
            v.push(format!("op{vtx}_{op}"));
        }
    }
    debug_assert_eq!(v.len(), NUM_FEATURES);
    v
}

/// One cell's features, in [`feature_names`] order.
pub type Features = [f64; NUM_FEATURES];

/// Accumulates the cost features layer by layer.
#[derive(Default)]
struct Acc {
    f: [u64; idx::PEAK_BYTES],
}

impl Acc {
    /// Adds `count` copies of a layer with the given input bytes / output bytes.
    #[allow(clippy::too_many_arguments)]
    fn layer(&mut self, kind: LayerKind, class: LayerClass, stack: Option<usize>, spatial_out: u64, read: u64, write: u64, count: u64) {
        use idx::*;
        let f = &mut self.f;
        match kind {
            LayerKind::Conv { k, c_in, c_out } => {
                let kernel = (k * k * c_in * c_out) as u64;
                let macs = kernel * spatial_out;
                let params = kernel + 2 * c_out as u64;
                f[MACS] += count * macs;
                f[PARAMS] += count * params;
                f[WEIGHT_BYTES] += count * 4 * (kernel + c_out as u64);
                let (m, p, n) = match (k, class) {
                    (1, LayerClass::Projection) => (MACS_PROJECTION, PARAMS_PROJECTION, N_PROJECTION),
                    (1, _) => (MACS_CONV1X1, PARAMS_CONV1X1, N_CONV1X1),
                    _ => (MACS_CONV3X3, PARAMS_CONV3X3, N_CONV3X3),
                };
                f[m] += count * macs;
                f[p] += count * params;
                f[n] += count;
                if let Some(s) = stack {
                    f[MACS_STACK + s] += count * macs;
                    f[PARAMS_STACK + s] += count * params;
                }
                f[TRAFFIC_CONV] += count * (read + write);
            }
            LayerKind::Dense { c_in, c_out } => {
                let w = (c_in * c_out) as u64;
                f[MACS] += count * w * spatial_out;
                f[PARAMS] += count * (w + c_out as u64);
                f[WEIGHT_BYTES] += count * 4 * (w + c_out as u64);
            }
            LayerKind::MaxPool { stride, .. } => {
                if stride == 1 {
                    f[N_MAXPOOL3X3] += count;
                }
                f[TRAFFIC_POOL] += count * (read + write);
            }
            LayerKind::Truncate { .. } => f[N_TRUNCATE] += count,
            LayerKind::Add => {
                f[N_ADD] += count;
                f[TRAFFIC_ADD] += count * (read + write);
            }
            LayerKind::Concat => {
                f[N_CONCAT] += count;
                f[TRAFFIC_CONCAT] += count * (read + write);
            }
            LayerKind::GlobalAvgPool => {}
        }
        if !kind.is_view() {
            f[N_LAUNCHES] += count;
            f[ACT_READ_BYTES] += count * read;
            f[ACT_WRITE_BYTES] += count * write;
        }
    }
}

/// Features of `cell` in the default network.
pub fn features(cell: &Cell) -> Features {
    features_with(cell, &NetConfig::default())
}

/// Features of `cell` in the network `cfg` (per-stack features cover the first three stacks).
/// Walks the network like [`super::CompactNet`] without allocating: one [`CellInstance`] per stack,
/// evaluated for the first cell's input width and for the others'.
pub fn features_with(cell: &Cell, cfg: &NetConfig) -> Features {
    features_labeled(cell, cfg, &cell.canonical())
}

/// [`features_with`] of a cell already in the generator's labeling, as every cell of the space
/// and of a packed space file is (`tests/space.rs` checks the whole space): the same features,
/// without searching for that labeling (a sixth of the time of a whole-space prediction).
pub fn features_of_canonical(cell: &Cell, cfg: &NetConfig) -> Features {
    features_labeled(cell, cfg, cell)
}

/// The features of `cell`, whose generator labeling is `canonical` (the encoding reads it).
fn features_labeled(cell: &Cell, cfg: &NetConfig, canonical: &Cell) -> Features {
    let mut acc = Acc::default();
    let batch = cfg.batch as u64;
    let b = |c: usize, s: usize| 4 * batch * (c * s * s) as u64;
    let mut peak = 0u64;
    let mut outer = |acc: &mut Acc, kind: LayerKind, class: LayerClass, c_in: usize, s_in: usize, c_out: usize, s_out: usize| {
        let (read, write) = (b(c_in, s_in), b(c_out, s_out));
        acc.layer(kind, class, None, batch * (s_out * s_out) as u64, read, write, 1);
        peak = peak.max(read + write);
    };
    let stem = cfg.stem_channels;
    outer(
        &mut acc,
        LayerKind::Conv { k: 3, c_in: cfg.input_channels, c_out: stem },
        LayerClass::Stem,
        cfg.input_channels,
        cfg.input_size,
        stem,
        cfg.input_size,
    );
    let (mut c, mut size) = (stem, cfg.input_size);
    let mut cell_peak = 0u64;
    for stack in 0..cfg.num_stacks {
        let mut c_prev = c;
        if stack > 0 {
            let s_out = size.div_ceil(2);
            outer(&mut acc, LayerKind::MaxPool { k: 2, stride: 2 }, LayerClass::Downsample, c, size, c, s_out);
            size = s_out;
            c_prev = c;
            c *= 2;
        }
        if cfg.cells_per_stack == 0 {
            continue;
        }
        let st = (stack < FEATURE_STACKS).then_some(stack);
        let mut inst = CellInstance::new(cell, c, c, size, cfg.batch);
        if c_prev == c {
            add_instance(&mut acc, &inst, st, cfg.cells_per_stack as u64, None);
            cell_peak = cell_peak.max(inst.peak_live_bytes());
        } else {
            // The first cell differs from the others only in the layers reading its input.
            let rest = (cfg.cells_per_stack - 1) as u64;
            if rest > 0 {
                cell_peak = cell_peak.max(inst.peak_live_bytes());
            }
            add_instance(&mut acc, &inst, st, rest, Some(c_prev));
            inst.set_c_in(c_prev);
            cell_peak = cell_peak.max(inst.peak_live_bytes());
        }
    }
    outer(&mut acc, LayerKind::GlobalAvgPool, LayerClass::Head, c, size, c, 1);
    outer(&mut acc, LayerKind::Dense { c_in: c, c_out: cfg.num_classes }, LayerClass::Head, c, 1, cfg.num_classes, 1);
    let mut f = [0.0; NUM_FEATURES];
    for (i, &x) in acc.f.iter().enumerate() {
        f[i] = x as f64;
    }
    f[idx::PEAK_BYTES] = peak.max(cell_peak) as f64;
    graph_features(cell, canonical, &mut f);
    f
}

/// Adds `count` copies of `inst` and, with `first_c_in`, one more copy whose input has
/// that many channels (the first cell of a stack): layers not reading the cell input are
/// the same in both and are added once with the total count.
fn add_instance(acc: &mut Acc, inst: &CellInstance, stack: Option<usize>, count: u64, first_c_in: Option<usize>) {
    let spatial = (inst.batch * inst.size * inst.size) as u64;
    let plane = 4 * spatial;
    let total = count + first_c_in.is_some() as u64;
    for l in inst.layers() {
        let read: u64 = l.inputs().iter().map(|&t| inst.bytes(t)).sum();
        let kind = inst.kind(l);
        let write = inst.bytes(l.output);
        match first_c_in {
            Some(c_first) if l.inputs().contains(&0) => {
                if count > 0 {
                    acc.layer(kind, l.class, stack, spatial, read, write, count);
                }
                // Only projections read the cell input; their c_in and read bytes change.
                let kind = match kind {
                    LayerKind::Conv { k, c_out, .. } => LayerKind::Conv { k, c_in: c_first, c_out },
                    other => other,
                };
                let read = read - inst.bytes(0) + plane * c_first as u64;
                acc.layer(kind, l.class, stack, spatial, read, write, 1);
            }
            _ => acc.layer(kind, l.class, stack, spatial, read, write, total),
        }
    }
}

/// Fills the cell-graph features, and the encoding from the cell's generator labeling.
fn graph_features(cell: &Cell, canonical: &Cell, f: &mut Features) {
    let n = cell.num_vertices();
    let out = n - 1;
    // Longest path from the input to each vertex, in edges.
    let mut level = [0usize; 7];
    for v in 1..n {
        level[v] = (0..v).filter(|&u| cell.has_edge(u, v)).map(|u| level[u] + 1).max().unwrap_or(0);
    }
    let mut per_level = [0usize; 7];
    for &l in &level[..n] {
        per_level[l] += 1;
    }
    f[idx::CELL_VERTICES] = n as f64;
    f[idx::CELL_EDGES] = cell.num_edges() as f64;
    f[idx::CELL_DEPTH] = level[out] as f64;
    f[idx::CELL_WIDTH] = *per_level.iter().max().unwrap() as f64;
    f[idx::OUTPUT_FANIN] = (1..out).filter(|&v| cell.has_edge(v, out)).count() as f64;
    f[idx::INPUT_FANOUT] = cell.out_degree(0) as f64;
    // Padded 7-vertex encoding of the cell in the generator's labeling (the space's), so that
    // every drawing of one cell encodes alike: the output always sits at position 6.
    let cell = canonical;
    let pos = |v: usize| if v == out { 6 } else { v };
    let tri = |a: usize, b: usize| a * 7 - a * (a + 1) / 2 + (b - a - 1);
    for a in 0..n {
        for b in a + 1..n {
            if cell.has_edge(a, b) {
                f[idx::ADJ + tri(pos(a), pos(b))] = 1.0;
            }
        }
    }
    for v in 1..out {
        let o = match cell.op(v) {
            Op::Conv3x3 => 0,
            Op::Conv1x1 => 1,
            _ => 2,
        };
        f[idx::OPS + 3 * (v - 1) + o] = 1.0;
    }
}

/// The same features computed from a fully built network and its [`Cost`] (slow: the
/// reference for tests and the baseline of the prediction benchmark).
pub fn features_from_net(net: &Net) -> Features {
    let mut acc = Acc::default();
    for layer in &net.layers {
        let out = net.tensors[layer.output].shape;
        let read: u64 = layer.inputs.iter().map(|&t| net.tensors[t].shape.bytes() as u64).sum();
        let class = match layer.role {
            Role::Stem => LayerClass::Stem,
            Role::Downsample => LayerClass::Downsample,
            Role::VertexOp { .. } => LayerClass::VertexOp,
            Role::Projection { .. } => LayerClass::Projection,
            Role::VertexTruncate { .. } => LayerClass::Truncate,
            Role::VertexSum { .. } => LayerClass::Add,
            Role::CellConcat => LayerClass::Concat,
            Role::Head => LayerClass::Head,
        };
        let stack = layer.site.map(|s| s.stack).filter(|&s| s < FEATURE_STACKS);
        acc.layer(layer.kind, class, stack, (out.n * out.h * out.w) as u64, read, out.bytes() as u64, 1);
    }
    let cost = Cost::of(net);
    let mut f = [0.0; NUM_FEATURES];
    for (i, &x) in acc.f.iter().enumerate() {
        f[i] = x as f64;
    }
    f[idx::PEAK_BYTES] = cost.peak_activation_bytes as f64;
    let cell = net.cell();
    graph_features(&cell, &cell.canonical(), &mut f);
    f
}
