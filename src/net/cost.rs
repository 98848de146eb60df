//! The cost model over the IR: trainable parameters (as NAS-Bench-101 counts them), MACs,
//! layer counts by kind, weight bytes, tensor sizes and peak live activation memory.

use serde::{Deserialize, Serialize};

use super::ir::{LayerKind, Net, Role};

/// How many layers of each kind a network has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerCounts {
    /// 3x3 convolutions (stem and vertex ops).
    pub conv3x3: usize,
    /// 1x1 convolutions that are vertex ops.
    pub conv1x1: usize,
    /// 1x1 projections of a cell input.
    pub projection: usize,
    /// 3x3 stride-1 max-pools (vertex ops).
    pub maxpool3x3: usize,
    /// 2x2 stride-2 downsampling max-pools.
    pub maxpool2x2: usize,
    pub truncate: usize,
    pub add: usize,
    pub concat: usize,
    pub global_avg_pool: usize,
    pub dense: usize,
    /// Every layer but views: the kernel launches of a naive executor.
    pub compute_layers: usize,
}

/// Costs of a network. Activations and weights are counted as f32.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// Conv kernels + batch-norm scale and shift (2 per channel) of every conv-bn-relu
    /// (stem, ops, projections) + dense weights and bias: NAS-Bench-101's count.
    pub trainable_parameters: u64,
    /// Multiply-accumulates of every convolution (projections included) and of the dense
    /// layer, for the whole batch; nothing else counts.
    pub macs: u64,
    /// Bytes of the inference weights with batch norm folded: conv kernels plus a bias per
    /// output channel, dense weights plus bias.
    pub weight_bytes: u64,
    pub layer_counts: LayerCounts,
    /// Bytes of every tensor, indexed by tensor id (views included at their logical size).
    pub tensor_bytes: Vec<u64>,
    /// The largest total of live activation bytes at any layer in execution order. A tensor
    /// is live from its producer to its last reader; views take no memory of their own and
    /// keep their source alive.
    pub peak_activation_bytes: u64,
}

impl Cost {
    pub fn of(net: &Net) -> Cost {
        let mut params = 0u64;
        let mut macs = 0u64;
        let mut weights = 0u64;
        let mut counts = LayerCounts::default();
        for layer in &net.layers {
            let out = net.tensors[layer.output].shape;
            match layer.kind {
                LayerKind::Conv { k, c_in, c_out } => {
                    let kernel = (k * k * c_in * c_out) as u64;
                    params += kernel + 2 * c_out as u64;
                    weights += 4 * (kernel + c_out as u64);
                    macs += kernel * (out.n * out.h * out.w) as u64;
                    match (k, layer.role) {
                        (1, Role::Projection { .. }) => counts.projection += 1,
                        (1, _) => counts.conv1x1 += 1,
                        _ => counts.conv3x3 += 1,
                    }
                }
                LayerKind::Dense { c_in, c_out } => {
                    let w = (c_in * c_out) as u64;
                    params += w + c_out as u64;
                    weights += 4 * (w + c_out as u64);
                    macs += w * out.n as u64;
                    counts.dense += 1;
                }
                LayerKind::MaxPool { stride: 1, .. } => counts.maxpool3x3 += 1,
                LayerKind::MaxPool { .. } => counts.maxpool2x2 += 1,
                LayerKind::Truncate { .. } => counts.truncate += 1,
                LayerKind::Add => counts.add += 1,
                LayerKind::Concat => counts.concat += 1,
                LayerKind::GlobalAvgPool => counts.global_avg_pool += 1,
            }
            if !layer.kind.is_view() {
                counts.compute_layers += 1;
            }
        }
        let tensor_bytes: Vec<u64> = net.tensors.iter().map(|t| t.shape.bytes() as u64).collect();
        Cost {
            trainable_parameters: params,
            macs,
            weight_bytes: weights,
            layer_counts: counts,
            peak_activation_bytes: peak_live_bytes(net, &tensor_bytes),
            tensor_bytes,
        }
    }
}

fn peak_live_bytes(net: &Net, bytes: &[u64]) -> u64 {
    // Lifetime of each storage tensor, extended by the views onto it.
    let n = net.layers.len();
    let mut span: Vec<Option<(usize, usize)>> = vec![None; net.tensors.len()];
    for t in 0..net.tensors.len() {
        let s = net.storage_of(t);
        let (a, b) = net.lifetime(t);
        span[s] = Some(match span[s] {
            Some((x, y)) => (x.min(a), y.max(b)),
            None => (a, b),
        });
    }
    // Sweep: +bytes at first use, -bytes after last use.
    let mut delta = vec![0i64; n + 1];
    for (t, s) in span.iter().enumerate() {
        if let Some((a, b)) = s {
            delta[*a] += bytes[t] as i64;
            delta[b + 1] -= bytes[t] as i64;
        }
    }
    let (mut live, mut peak) = (0i64, 0i64);
    for d in delta.iter().take(n) {
        live += d;
        peak = peak.max(live);
    }
    peak as u64
}
