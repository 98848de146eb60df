//! Deterministic, seeded network parameters of realistic scale, shared by the GPU engine and
//! the CPU reference: He-uniform convolution kernels (batch norm folded in), small folded
//! biases, a Glorot-scale classifier, and a seeded input image.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::net::{LayerKind, Net, Shape};

/// The seed `leti measure` (cells and layers) and the conv autotuner give [`Weights::seeded`]
/// and [`seeded_input`]; `leti export-onnx` and the Draw page's ONNX download default to it.
pub const MEASURE_SEED: u64 = 0;

/// Parameters of one conv or dense layer, in the canonical layout
/// `w[co][ci][ky][kx]` (`k = 1` for dense), plus one bias per output channel.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerWeights {
    pub k: usize,
    pub c_in: usize,
    pub c_out: usize,
    pub w: Vec<f32>,
    pub bias: Vec<f32>,
}

impl LayerWeights {
    /// Weight at (output channel, input channel, tap row, tap column).
    pub fn at(&self, co: usize, ci: usize, ky: usize, kx: usize) -> f32 {
        self.w[((co * self.c_in + ci) * self.k + ky) * self.k + kx]
    }

    /// The layers stacked along output channels, in order: one layer computing all of their
    /// outputs (they must share the kernel size and input channels). A merged projection step
    /// applies this.
    pub fn stacked(parts: &[&LayerWeights]) -> LayerWeights {
        let (k, c_in) = (parts[0].k, parts[0].c_in);
        assert!(parts.iter().all(|p| (p.k, p.c_in) == (k, c_in)), "stacked layers share kernel size and input channels");
        LayerWeights {
            k,
            c_in,
            c_out: parts.iter().map(|p| p.c_out).sum(),
            w: parts.iter().flat_map(|p| p.w.iter().copied()).collect(),
            bias: parts.iter().flat_map(|p| p.bias.iter().copied()).collect(),
        }
    }
}

/// Parameters of a whole network, indexed by IR layer id (`None` for layers without any).
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    pub layers: Vec<Option<LayerWeights>>,
}

fn layer_rng(seed: u64, layer: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (layer as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl Weights {
    /// Seeded parameters for every conv and dense layer of `net`. The same `(net, seed)` always
    /// gives the same values.
    ///
    /// Convolutions: He-uniform, U(-a, a) with a = sqrt(6 / fan_in), the scale that keeps ReLU
    /// activations of order one through depth; folded biases U(-0.1, 0.1). Dense: U(-a, a) with
    /// a = 1 / sqrt(c_in), bias U(-0.1, 0.1).
    pub fn seeded(net: &Net, seed: u64) -> Weights {
        let layers = net
            .layers
            .iter()
            .map(|layer| {
                let (k, c_in, c_out, a) = match layer.kind {
                    LayerKind::Conv { k, c_in, c_out } => (k, c_in, c_out, (6.0 / (c_in * k * k) as f64).sqrt()),
                    LayerKind::Dense { c_in, c_out } => (1, c_in, c_out, 1.0 / (c_in as f64).sqrt()),
                    _ => return None,
                };
                let mut rng = layer_rng(seed, layer.id);
                let a = a as f32;
                let w = (0..c_out * c_in * k * k).map(|_| rng.random_range(-a..a)).collect();
                let bias = (0..c_out).map(|_| rng.random_range(-0.1f32..0.1)).collect();
                Some(LayerWeights { k, c_in, c_out, w, bias })
            })
            .collect();
        Weights { layers }
    }

    /// The parameters of layer `id`; panics for a layer without parameters.
    pub fn layer(&self, id: usize) -> &LayerWeights {
        self.layers[id].as_ref().expect("layer has parameters")
    }
}

/// A seeded input image batch, NCHW, values U(-1, 1) (normalised pixels).
pub fn seeded_input(shape: Shape, seed: u64) -> Vec<f32> {
    let mut rng = layer_rng(seed, usize::MAX - 1);
    (0..shape.elements()).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{build, NetConfig};
    use crate::space::CellSpec;

    fn small_net() -> Net {
        let spec = CellSpec::new(vec![vec![0, 1, 1], vec![0, 0, 1], vec![0, 0, 0]], vec!["input".into(), "conv3x3-bn-relu".into(), "output".into()]);
        let cfg = NetConfig { input_size: 8, stem_channels: 8, num_stacks: 2, cells_per_stack: 1, ..NetConfig::default() };
        build(&spec.validate().unwrap(), &cfg)
    }

    #[test]
    fn seeded_weights_are_deterministic_and_he_scaled() {
        let net = small_net();
        let a = Weights::seeded(&net, 7);
        assert_eq!(a, Weights::seeded(&net, 7));
        assert_ne!(a, Weights::seeded(&net, 8));
        for (layer, w) in net.layers.iter().zip(&a.layers) {
            match layer.kind {
                LayerKind::Conv { k, c_in, c_out } => {
                    let w = w.as_ref().unwrap();
                    assert_eq!(w.w.len(), k * k * c_in * c_out);
                    let bound = (6.0 / (c_in * k * k) as f32).sqrt();
                    assert!(w.w.iter().all(|v| v.abs() <= bound));
                    // Uniform(-a, a) has variance a^2 / 3 = 2 / fan_in (He).
                    let var = w.w.iter().map(|v| v * v).sum::<f32>() / w.w.len() as f32;
                    assert!((var - bound * bound / 3.0).abs() < 0.35 * bound * bound / 3.0, "{var}");
                }
                LayerKind::Dense { .. } => assert!(w.is_some()),
                _ => assert!(w.is_none()),
            }
        }
    }
}
