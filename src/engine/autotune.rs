//! Picks the convolution kernel family for a device by timing every family on probe layers:
//! the workgroup-memory tiled kernels can win on GPUs, the register-tiled ones on CPU
//! renderers, and nothing in the adapter info says which in advance.

use super::device::Gpu;
use super::kernels::ConvStrategy;
use super::program::Program;
use super::timing_mode::TimingMode;
use super::weights::{seeded_input, Weights, MEASURE_SEED};
use crate::net::single_conv_net;

/// Probe totals of every family, in [`ConvStrategy::ALL`]'s order.
pub type ProbeTotals = [(ConvStrategy, f64); ConvStrategy::ALL.len()];

/// Times every conv family on a 3x3 64->64 and a 1x1 128->128 conv at 16x16 (best of 3
/// after one warm-up each) and keeps the fastest (the earlier family on a tie). Returns the
/// per-family totals in ms.
pub async fn autotune_conv(gpu: &mut Gpu) -> Result<ProbeTotals, super::program::ProgramError> {
    let probes = [single_conv_net(3, 64, 64, 16), single_conv_net(1, 128, 128, 16)];
    let mut totals = ConvStrategy::ALL.map(|s| (s, 0.0));
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
    gpu.set_conv_strategy(fastest(&totals));
    Ok(totals)
}

/// The family with the smallest total (the first listed on a tie).
fn fastest(totals: &ProbeTotals) -> ConvStrategy {
    totals.iter().fold(totals[0], |best, &t| if t.1 < best.1 { t } else { best }).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fastest_family_wins_and_ties_keep_the_first() {
        let [w, r, rw] = ConvStrategy::ALL;
        assert_eq!(fastest(&[(w, 3.0), (r, 2.0), (rw, 1.5)]), rw);
        assert_eq!(fastest(&[(w, 1.0), (r, 2.0), (rw, 1.5)]), w);
        assert_eq!(fastest(&[(w, 2.0), (r, 1.0), (rw, 1.0)]), r);
    }
}
