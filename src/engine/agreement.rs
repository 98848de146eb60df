//! GPU-versus-CPU agreement: runs a network on the GPU (every tensor kept) and through the CPU
//! reference with the same seeded weights and input, and compares every tensor.
//!
//! Tolerance: a tensor agrees when max |gpu - cpu| <= `REL_TOL` x max(1, max |cpu|) over the
//! tensor (f32 sums in a different order differ by a few ulps per term; 1e-4 of the tensor's
//! scale leaves two orders of magnitude of margin at our reduction lengths and still catches any
//! indexing, padding or fusion mistake, which give errors of the tensor's own scale). A network
//! configured for f16 is held to `REL_TOL_F16` against the same f32 reference: f16 keeps 11
//! significant bits (a relative step of 4.9e-4 per rounding), its weights and input are rounded
//! once, and every layer stores and sums in f16; an indexing mistake still gives errors of
//! the tensor's own scale, far above it.

use super::device::Gpu;
use super::program::{Program, ProgramError};
use super::reference::forward;
use super::timing_mode::TimingMode;
use super::weights::{seeded_input, Weights};
use crate::net::{Net, Precision};

pub const REL_TOL: f32 = 1e-4;
/// The tolerance of an f16 network (see the module's note).
pub const REL_TOL_F16: f32 = 3e-2;

/// The tolerance of a network run in `precision`.
pub fn tolerance(precision: Precision) -> f32 {
    match precision {
        Precision::F32 => REL_TOL,
        Precision::F16 => REL_TOL_F16,
    }
}

/// The worst disagreement of one tensor.
#[derive(Clone, Debug)]
pub struct TensorAgreement {
    pub tensor: usize,
    /// Name of the layer producing it (or `input`).
    pub producer: String,
    pub max_abs_err: f32,
    pub max_abs_ref: f32,
    /// The relative tolerance it is held to.
    pub tolerance: f32,
}

impl TensorAgreement {
    pub fn ok(&self) -> bool {
        self.max_abs_err.is_finite() && self.max_abs_err <= self.tolerance * self.max_abs_ref.max(1.0)
    }
}

/// Comparison of a whole network.
#[derive(Clone, Debug)]
pub struct Agreement {
    pub tensors: Vec<TensorAgreement>,
    /// Logits of the memory-reusing program, against the reference logits.
    pub logits_reused: TensorAgreement,
}

impl Agreement {
    pub fn failures(&self) -> Vec<&TensorAgreement> {
        self.tensors.iter().chain([&self.logits_reused]).filter(|t| !t.ok()).collect()
    }
}

fn compare(tensor: usize, producer: String, gpu: &[f32], cpu: &[f32], tolerance: f32) -> TensorAgreement {
    let mut err = if gpu.len() == cpu.len() { 0.0f32 } else { f32::INFINITY };
    let mut scale = 0.0f32;
    for (g, c) in gpu.iter().zip(cpu) {
        let d = (g - c).abs();
        err = if d.is_nan() { f32::INFINITY } else { err.max(d) };
        scale = scale.max(c.abs());
    }
    TensorAgreement { tensor, producer, max_abs_err: err, max_abs_ref: scale, tolerance }
}

/// Runs `net` on `gpu` twice (every tensor kept; memory reused) and compares every tensor
/// with the CPU reference.
pub async fn check(gpu: &Gpu, net: &Net, seed: u64) -> Result<Agreement, ProgramError> {
    let weights = Weights::seeded(net, seed);
    let input = seeded_input(net.tensors[net.input].shape, seed);
    let reference = forward(net, &weights, &input);
    let keep = Program::new(gpu, net, &weights, &input, false)?;
    keep.run(gpu, TimingMode::Plain).await?;
    let got = keep.read_tensors(gpu, net).await?;
    let name = |t: usize| net.tensors[t].producer.map_or("input".to_string(), |p| net.layers[p].name.clone());
    let tol = tolerance(net.config.precision);
    let tensors = got
        .iter()
        .enumerate()
        .filter_map(|(t, g)| g.as_ref().map(|g| compare(t, name(t), g, reference[t].as_standard_layout().as_slice().unwrap(), tol)))
        .collect();
    let reused = Program::new(gpu, net, &weights, &input, true)?;
    reused.run(gpu, TimingMode::Plain).await?;
    let logits = reused.read_output(gpu).await?;
    let logits_reused = compare(net.output, "logits (reused memory)".into(), &logits, reference[net.output].as_standard_layout().as_slice().unwrap(), tol);
    Ok(Agreement { tensors, logits_reused })
}
