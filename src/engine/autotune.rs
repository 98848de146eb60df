//! Picks the convolution kernel family for a device by timing both on probe layers: the
//! workgroup-memory tiled kernels win on GPUs and on lavapipe, the register-tiled kernel on
//! SwiftShader, and nothing in the adapter info says which in advance.

use super::device::Gpu;
use super::kernels::ConvStrategy;
use super::program::Program;
use super::timing_mode::TimingMode;
use super::weights::{seeded_input, Weights, MEASURE_SEED};
use crate::net::single_conv_net;

/// Times both conv families on a 3x3 64->64 and a 1x1 128->128 conv at 16x16 (best of 3
/// after one warm-up each) and keeps the faster family. Returns the per-family totals in ms.
pub async fn autotune_conv(gpu: &mut Gpu) -> Result<[(ConvStrategy, f64); 2], super::program::ProgramError> {
    let probes = [single_conv_net(3, 64, 64, 16), single_conv_net(1, 128, 128, 16)];
    let mut totals = [(ConvStrategy::Workgroup, 0.0), (ConvStrategy::Register, 0.0)];
    for (strategy, total) in totals.iter_mut() {
        gpu.set_conv_strategy(*strategy);
        for net in &probes {
            let program = Program::new(gpu, net, &Weights::seeded(net, MEASURE_SEED), &seeded_input(net.tensors[0].shape, MEASURE_SEED), true)?;
            program.run(gpu, TimingMode::Plain).await?;
            let mut best = f64::INFINITY;
            for _ in 0..3 {
                best = best.min(program.run(gpu, TimingMode::Plain).await?.wall_ms);
            }
            *total += best;
        }
    }
    let pick = if totals[1].1 < totals[0].1 { ConvStrategy::Register } else { ConvStrategy::Workgroup };
    gpu.set_conv_strategy(pick);
    Ok(totals)
}
