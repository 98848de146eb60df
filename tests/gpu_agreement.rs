//! GPU (wgpu, e.g. Mesa lavapipe in CI) versus the CPU reference on reduced networks whose
//! cells exercise every construction rule. Skips with a message only when no adapter exists.

#![cfg(not(target_arch = "wasm32"))]

mod agreement_cells;
mod common;

use agreement_cells::cases;
use leti::engine::{agreement, ConvStrategy, Gpu, LimitsTier, PlanRules, Tiling};
use leti::net::{build, NetConfig, Precision};
use leti::space::CellSpec;

/// Checks every tensor, with every convolution kernel family under every planner's rules.
fn check(gpu: &mut Gpu, name: &str, cell: &CellSpec, cfg: &NetConfig) {
    let net = build(&cell.validate().unwrap(), cfg);
    for rules in PlanRules::ALL {
        gpu.set_plan_rules(rules);
        for conv in ConvStrategy::ALL {
            gpu.set_conv_strategy(conv);
            let a = pollster::block_on(agreement::check(gpu, &net, 1)).unwrap();
            assert!(a.tensors.len() > 5);
            let fails = a.failures();
            assert!(fails.is_empty(), "{name} {conv:?} {rules:?} {cfg:?}: {} tensors disagree, e.g. {:?}", fails.len(), &fails[..fails.len().min(5)]);
        }
    }
    gpu.set_plan_rules(PlanRules::default());
}

/// Reduced networks with every rule: 3 stacks (two downsamples), uneven channel splits.
#[test]
fn gpu_matches_cpu_on_every_rule() {
    let Some(mut gpu) = common::open_gpu() else { return };
    eprintln!("adapter: {:?}", gpu.info);
    let cfg = NetConfig { input_size: 8, stem_channels: 16, num_stacks: 3, cells_per_stack: 1, ..NetConfig::default() };
    for (name, cell) in cases() {
        check(&mut gpu, name, &cell, &cfg);
    }
}

/// The engine asks for the WebGPU default limits, and every rule runs under the smaller tiers
/// a phone's browser may give: wgpu's downlevel defaults and WebGPU compatibility mode (128
/// invocations per workgroup: smaller tiles).
#[test]
fn gpu_matches_cpu_under_default_downlevel_and_compatibility_limits() {
    let Some(gpu) = common::open_gpu() else { return };
    assert_eq!((gpu.limits_tier, &gpu.limits), (LimitsTier::WebgpuDefault, &wgpu::Limits::default()));
    assert_eq!(gpu.limits_info().max_storage_buffer_binding_size, 128 << 20);
    let cfg = NetConfig { input_size: 8, stem_channels: 12, num_stacks: 2, cells_per_stack: 1, ..NetConfig::default() };
    for tier in [LimitsTier::Downlevel, LimitsTier::Compatibility] {
        let mut gpu = common::open_gpu_with(tier).expect("the adapter offers the smaller tiers");
        assert_eq!(gpu.tiling().conv_wg, Tiling::for_limits(&gpu.limits).conv_wg);
        eprintln!("{}: {}", tier.as_str(), gpu.tiling().describe());
        for (name, cell) in cases() {
            check(&mut gpu, name, &cell, &cfg);
        }
    }
}

/// Odd sizes: 7x7 input (odd after downsampling, padding on one side only) and odd channel
/// counts force the scalar conv path and unaligned offsets; batch 2 checks batch strides.
#[test]
fn gpu_matches_cpu_on_odd_sizes_and_batches() {
    let Some(mut gpu) = common::open_gpu() else { return };
    let cfg = NetConfig { batch: 2, input_size: 7, stem_channels: 10, num_stacks: 2, cells_per_stack: 2, ..NetConfig::default() };
    for (name, cell) in cases() {
        check(&mut gpu, name, &cell, &cfg);
    }
}

/// Networks configured for f16 (WebGPU's `shader-f16`, which lavapipe offers and SwiftShader
/// does not): every rule with both conv families within the f16 tolerance, then the README
/// cell's full network (the longest reductions: 3 x 3 x 512 = 4,608 terms), whose worst
/// tensor error is printed. On lavapipe the feature is required, so the test cannot skip there.
#[test]
fn gpu_matches_cpu_at_f16_where_the_adapter_has_shader_f16() {
    let Some(mut gpu) = common::open_gpu() else { return };
    if !gpu.shader_f16 {
        assert!(!gpu.info.name.contains("llvmpipe"), "lavapipe offers shader-f16, but the engine did not enable it");
        eprintln!("SKIPPED: {} has no shader-f16", gpu.info.name);
        return;
    }
    let cfg = NetConfig { input_size: 8, stem_channels: 16, num_stacks: 3, cells_per_stack: 1, precision: Precision::F16, ..NetConfig::default() };
    for (name, cell) in cases() {
        check(&mut gpu, name, &cell, &cfg);
    }
    let full = NetConfig { precision: Precision::F16, ..NetConfig::default() };
    let net = build(&common::readme_cell().validate().unwrap(), &full);
    for conv in ConvStrategy::ALL {
        gpu.set_conv_strategy(conv);
        let a = pollster::block_on(agreement::check(&gpu, &net, 1)).unwrap();
        let worst = a.tensors.iter().chain([&a.logits_reused]).map(|t| t.max_abs_err / t.max_abs_ref.max(1.0)).fold(0.0f32, f32::max);
        eprintln!("README network at f16, {conv:?}: worst tensor error {worst:.2e} of its scale (tolerance {:.0e})", agreement::REL_TOL_F16);
        assert!(a.failures().is_empty(), "README network at f16 {conv:?}: {:?}", &a.failures()[..a.failures().len().min(5)]);
    }
}

/// An f16 network on an adapter without `shader-f16` is refused with a clear error.
#[test]
fn an_f16_network_without_shader_f16_is_refused() {
    let Some(mut gpu) = common::open_gpu() else { return };
    gpu.shader_f16 = false;
    let cfg = NetConfig { input_size: 8, stem_channels: 8, num_stacks: 1, cells_per_stack: 1, precision: Precision::F16, ..NetConfig::default() };
    let net = build(&cases()[0].1.validate().unwrap(), &cfg);
    let input = leti::engine::seeded_input(net.tensors[net.input].shape, 3);
    let err = leti::engine::Program::new(&gpu, &net, &leti::engine::Weights::seeded(&net, 3), &input, true).err().expect("refused");
    assert!(err.to_string().contains("shader-f16"), "{err}");
}

/// Pipelines are compiled once per kernel variant and reused by every later network.
#[test]
fn pipelines_are_cached_across_networks() {
    let Some(gpu) = common::open_gpu() else { return };
    let cfg = NetConfig { input_size: 8, stem_channels: 8, num_stacks: 2, cells_per_stack: 1, ..NetConfig::default() };
    let at_open = gpu.pipelines_compiled();
    let mut counts = Vec::new();
    let mut kernels = std::collections::HashSet::new();
    for (_, cell) in cases().iter().chain(cases().iter()) {
        let net = build(&cell.validate().unwrap(), &cfg);
        let input = leti::engine::seeded_input(net.tensors[net.input].shape, 3);
        let program = leti::engine::Program::new(&gpu, &net, &leti::engine::Weights::seeded(&net, 3), &input, true).unwrap();
        kernels.extend(program.dispatches.iter().map(|d| d.kernel));
        counts.push(gpu.pipelines_compiled());
    }
    // At most one pipeline per kernel variant used (opening the device compiled the probe
    // kernels of the conv autotuning), and none compiled in the second round.
    assert!(*counts.last().unwrap() <= at_open + kernels.len(), "{at_open} {counts:?}");
    assert_eq!(counts[cases().len() - 1], *counts.last().unwrap(), "{counts:?}");
}
