//! Isolation networks: for one [`LayerConfig`], the smallest network in which that layer runs
//! as the engine would run it inside a real network, so `leti measure --layers` can time its
//! kernel launch alone (per-dispatch timestamps) for the lookup-table baseline; and the
//! single-convolution network the engine's kernel autotuner and benchmarks time.
//!
//! The measured layer is named [`TARGET`]. Layers whose inputs in a real network come from
//! other kernels (add, concat) get cheap max-pool producers, which the planner never fuses
//! into them; a concat is then written in place by its producers exactly as in a real
//! network, so it launches nothing and its table entry is zero.

use crate::space::CellSpec;

use super::build::NetConfig;
use super::ir::{Layer, LayerKind, Net, Role, Shape, Tensor};
use super::layer_config::{LayerConfig, LayerOp};

/// Name of the layer under measurement in an isolation network.
pub const TARGET: &str = "target";

struct Micro {
    tensors: Vec<Tensor>,
    layers: Vec<Layer>,
}

impl Micro {
    fn tensor(&mut self, shape: Shape, producer: Option<usize>) -> usize {
        let id = self.tensors.len();
        self.tensors.push(Tensor { id, shape, producer, consumers: Vec::new() });
        id
    }

    fn layer(&mut self, kind: LayerKind, inputs: Vec<usize>, out: Shape, name: &str, role: Role) -> usize {
        let id = self.layers.len();
        for &t in &inputs {
            self.tensors[t].consumers.push(id);
        }
        let output = self.tensor(out, Some(id));
        self.layers.push(Layer { id, kind, inputs, output, name: name.into(), role, site: None });
        output
    }

    /// The network from `input` to `output`. The trivial cell (input -> output) stands for
    /// "no cell": these are not NAS-Bench-101 networks.
    fn into_net(self, config: NetConfig, input: usize, output: usize) -> Net {
        let cell = CellSpec { module_adjacency: vec![vec![0, 1], vec![0, 0]], module_operations: vec!["input".into(), "output".into()] };
        Net { config, cell, tensors: self.tensors, layers: self.layers, input, output }
    }
}

/// Splits `c` channels over `n` inputs as the network builder does (the first `c % n` get one
/// more).
fn split(c: usize, n: usize) -> Vec<usize> {
    (0..n).map(|i| c / n + usize::from(i < c % n)).collect()
}

/// The isolation network of `config` at batch size `batch`. Errors for a configuration no
/// engine kernel implements (e.g. an add of one input).
pub fn isolation_net(config: &LayerConfig, batch: usize) -> Result<Net, String> {
    let (c_in, c_out, s, n_in) = (config.c_in as usize, config.c_out as usize, config.size as usize, config.inputs as usize);
    if c_in == 0 || c_out == 0 || s == 0 || batch == 0 {
        return Err(format!("{config:?}: channels, size and batch must be positive"));
    }
    let mut m = Micro { tensors: Vec::new(), layers: Vec::new() };
    let shape = |c: usize, hw: usize| Shape::new(batch, c, hw, hw);
    let producer = |m: &mut Micro, x: usize, c: usize, i: usize| {
        let kind = LayerKind::MaxPool { k: 3, stride: 1 };
        m.layer(kind, vec![x], shape(c, s), &format!("producer{i}"), Role::VertexOp { vertex: i + 1 })
    };
    let (input, output) = match config.op {
        LayerOp::Conv => {
            let x = m.tensor(shape(c_in, s), None);
            let k = config.k as usize;
            (x, m.layer(LayerKind::Conv { k, c_in, c_out }, vec![x], shape(c_out, s), TARGET, Role::VertexOp { vertex: 1 }))
        }
        LayerOp::Maxpool => {
            let x = m.tensor(shape(c_in, s), None);
            let (k, stride) = (config.k as usize, config.stride as usize);
            if stride == 0 || k == 0 {
                return Err(format!("{config:?}: pool kernel and stride must be positive"));
            }
            let out = shape(c_out, s.div_ceil(stride));
            (x, m.layer(LayerKind::MaxPool { k, stride }, vec![x], out, TARGET, Role::Downsample))
        }
        LayerOp::Add => {
            if !(2..=5).contains(&n_in) || c_in != c_out {
                return Err(format!("{config:?}: an add takes 2 to 5 inputs of its output's channels"));
            }
            let x = m.tensor(shape(c_in, s), None);
            let ins: Vec<usize> = (0..n_in).map(|i| producer(&mut m, x, c_in, i)).collect();
            (x, m.layer(LayerKind::Add, ins, shape(c_out, s), TARGET, Role::VertexSum { vertex: n_in + 1 }))
        }
        LayerOp::Concat => {
            if n_in < 2 || c_in != c_out || c_out < n_in {
                return Err(format!("{config:?}: a concat takes 2 or more inputs whose channels sum to its output's"));
            }
            let x = m.tensor(shape(c_in, s), None);
            let parts = split(c_out, n_in);
            let ins: Vec<usize> = parts
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    let t = if c == c_in { x } else { m.layer(LayerKind::Truncate { c_out: c }, vec![x], shape(c, s), &format!("view{i}"), Role::Head) };
                    producer(&mut m, t, c, i)
                })
                .collect();
            (x, m.layer(LayerKind::Concat, ins, shape(c_out, s), TARGET, Role::CellConcat))
        }
        LayerOp::GlobalAvgPool => {
            let x = m.tensor(shape(c_in, s), None);
            (x, m.layer(LayerKind::GlobalAvgPool, vec![x], shape(c_in, 1), TARGET, Role::Head))
        }
        LayerOp::Dense => {
            let x = m.tensor(shape(c_in, s), None);
            (x, m.layer(LayerKind::Dense { c_in: c_in * s * s, c_out }, vec![x], shape(c_out, 1), TARGET, Role::Head))
        }
    };
    Ok(m.into_net(NetConfig { batch, input_size: s, input_channels: c_in, ..NetConfig::default() }, input, output))
}

/// A network of a single k x k convolution (batch 1, `hw` x `hw`), for the conv autotuner's
/// probes and the kernel benchmarks.
pub fn single_conv_net(k: usize, c_in: usize, c_out: usize, hw: usize) -> Net {
    let mut m = Micro { tensors: Vec::new(), layers: Vec::new() };
    let x = m.tensor(Shape::new(1, c_in, hw, hw), None);
    let y = m.layer(LayerKind::Conv { k, c_in, c_out }, vec![x], Shape::new(1, c_out, hw, hw), &format!("conv{k}x{k}"), Role::Stem);
    m.into_net(NetConfig::default(), x, y)
}
