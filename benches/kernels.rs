//! Kernel and whole-network throughput on the adapter at hand, next to baselines measured in
//! the same run on the same adapter: the naive one-invocation-per-output convolution
//! (`benches/naive_conv.wgsl`, kept only here) and a textbook tiled matrix multiply of the same
//! MACs (`benches/matmul_tiled.wgsl`). Prints achieved GFLOP/s (2 x MACs / median wall time
//! from submit to completion) and the ratios.
//!
//! `cargo bench --bench kernels -- [--adapter NAME] [--runs N] [--sampled N] [--networks-only]`
//! (N sampled cells' networks after the README cell's; every family under the layerwise and the
//! default planner rules).
//! (SwiftShader: `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`). On an adapter
//! with `shader-f16` (lavapipe) it also times the README network in f16 against f32.

use leti::engine::{now_ms, seeded_input, ConvStrategy, Gpu, PlanRules, Program, Weights};
use leti::measure::TimingMode;
use leti::net::single_conv_net;
use leti::net::{build, NetConfig, Precision};
use wgpu::util::DeviceExt;

#[path = "../tests/common/mod.rs"]
mod common;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    for _ in 0..2 {
        f();
    }
    median((0..runs).map(|_| f()).collect())
}

fn storage(gpu: &Gpu, data: &[f32], rw: bool) -> wgpu::Buffer {
    let usage = if rw { wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC } else { wgpu::BufferUsages::STORAGE };
    gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: None, contents: bytemuck::cast_slice(data), usage })
}

/// Times one dispatch of a raw pipeline (wall clock, submit to completion).
fn time_raw(gpu: &Gpu, runs: usize, src: &str, params: &[u32], bufs: &[&wgpu::Buffer], groups: [u32; 3]) -> f64 {
    let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor { label: None, source: wgpu::ShaderSource::Wgsl(src.into()) });
    let pipeline = gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let mut p = params.to_vec();
    p.resize(p.len().next_multiple_of(4), 0);
    let ub = gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: None,
        contents: bytemuck::cast_slice(&p),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: ub.as_entire_binding() }];
    for (i, b) in bufs.iter().enumerate() {
        entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: b.as_entire_binding() });
    }
    let bg = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &pipeline.get_bind_group_layout(0), entries: &entries });
    time(runs, || {
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        }
        let cmd = enc.finish();
        let t0 = now_ms();
        gpu.queue.submit([cmd]);
        gpu.device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
        now_ms() - t0
    })
}

fn gflops(macs: u64, ms: f64) -> f64 {
    2.0 * macs as f64 / (ms * 1e6)
}

/// Tiled matmul baseline with m x n x k = the given MACs.
fn matmul_ms(gpu: &Gpu, runs: usize, m: usize, n: usize, k: usize) -> f64 {
    let a = storage(gpu, &vec![0.5f32; m * k], false);
    let b = storage(gpu, &vec![0.25f32; k * n], false);
    let c = storage(gpu, &vec![0.0f32; m * n], true);
    let groups = [n.div_ceil(16) as u32, m.div_ceil(16) as u32, 1];
    time_raw(gpu, runs, include_str!("matmul_tiled.wgsl"), &[m as u32, n as u32, k as u32], &[&a, &b, &c], groups)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let runs: usize = opt("--runs").and_then(|s| s.parse().ok()).unwrap_or(15);
    let sampled: usize = opt("--sampled").and_then(|s| s.parse().ok()).unwrap_or(2);
    let mut gpu = match pollster::block_on(Gpu::open(opt("--adapter").as_deref())) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("no GPU adapter ({e}); nothing to benchmark");
            return;
        }
    };
    println!("adapter: {} ({:?}, {}), tiling {:?}", gpu.info.name, gpu.info.device_type, gpu.info.driver_info, gpu.tiling());
    println!(
        "date: {} (unix s), runs per figure: {runs} (median wall, submit to completion)",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    );
    println!();
    let networks_only = args.iter().any(|a| a == "--networks-only");
    if !networks_only {
        conv_table(&mut gpu, runs);
        println!();
    }
    network_table(&mut gpu, runs, sampled);
    if gpu.shader_f16 {
        println!();
        precision_table(&gpu, runs);
    }
}

/// Where the adapter has `shader-f16`: the README network in f16 against f32 (the baseline,
/// same run), with the engine's conv family.
fn precision_table(gpu: &Gpu, runs: usize) {
    println!("{:<30} {:>9} {:>9} {:>10}", "network (full size, batch 1)", "f32 ms", "f16 ms", "f32 / f16");
    let mut ms = Vec::new();
    for precision in Precision::ALL {
        let net = build(&common::readme_cell().validate().unwrap(), &NetConfig { precision, ..NetConfig::default() });
        let prog = Program::new(gpu, &net, &Weights::seeded(&net, 1), &seeded_input(net.tensors[net.input].shape, 1), true).unwrap();
        ms.push(time(runs, || pollster::block_on(prog.run(gpu, TimingMode::Plain)).unwrap().wall_ms));
    }
    println!("{:<30} {:>9.2} {:>9.2} {:>10.2}", "README cell", ms[0], ms[1], ms[0] / ms[1]);
}

/// Each of the README network's representative convolutions alone: every one of our conv kernel
/// families against a naive kernel and a plain tiled matmul of the same size.
fn conv_table(gpu: &mut Gpu, runs: usize) {
    let picked = gpu.tiling().conv;
    println!("engine's conv kernels on this adapter: {picked:?}, probe ms {:?} (every family timed below; ratios use the engine's pick)", gpu.conv_probe_ms);
    println!("GFLOP/s columns: ours-wg = conv2d_tiled / conv1x1_gemm_vec4, ours-reg = conv2d_register_tiled, ours-wide = conv2d_register_wide");
    println!(
        "{:<30} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "kernel", "MMAC", "pick ms", "ours-wg", "ours-reg", "ours-wide", "naive", "matmul", "x naive", "x matmul"
    );
    // Representative convolutions of the README network (full size).
    let cases = [
        (3, 3, 128, 32, "stem conv3x3 3->128 @32"),
        (3, 43, 43, 32, "conv3x3 43->43 @32"),
        (1, 128, 43, 32, "conv1x1 128->43 @32"),
        (3, 86, 86, 16, "conv3x3 86->86 @16"),
        (1, 256, 256, 16, "conv1x1 256->256 @16"),
        (3, 171, 171, 8, "conv3x3 171->171 @8"),
        (3, 512, 512, 8, "conv3x3 512->512 @8"),
    ];
    for (k, c_in, c_out, hw, label) in cases {
        let net = single_conv_net(k, c_in, c_out, hw);
        let weights = Weights::seeded(&net, 1);
        let input = seeded_input(net.tensors[0].shape, 1);
        let mut per = Vec::new();
        for conv in ConvStrategy::ALL {
            gpu.set_conv_strategy(conv);
            let prog = Program::new(gpu, &net, &weights, &input, true).unwrap();
            per.push(time(runs, || pollster::block_on(prog.run(gpu, TimingMode::Plain)).unwrap().wall_ms));
        }
        gpu.set_conv_strategy(picked);
        let macs = (k * k * c_in * c_out * hw * hw) as u64;
        let ours = per[ConvStrategy::ALL.iter().position(|&c| c == picked).unwrap()];
        let lw = weights.layer(0);
        let (xb, wb, bb) = (storage(gpu, &input, false), storage(gpu, &lw.w, false), storage(gpu, &lw.bias, false));
        let yb = storage(gpu, &vec![0.0; c_out * hw * hw], true);
        let naive = time_raw(
            gpu,
            runs,
            include_str!("naive_conv.wgsl"),
            &[c_in as u32, c_out as u32, hw as u32, hw as u32, k as u32],
            &[&xb, &wb, &bb, &yb],
            [(c_out * hw * hw).div_ceil(64) as u32, 1, 1],
        );
        let mm = matmul_ms(gpu, runs, c_out, hw * hw, c_in * k * k);
        println!(
            "{label:<30} {:>7.1} {ours:>9.3} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8.1} {:>8.2}",
            macs as f64 / 1e6,
            gflops(macs, per[0]),
            gflops(macs, per[1]),
            gflops(macs, per[2]),
            gflops(macs, naive),
            gflops(macs, mm),
            naive / ours,
            mm / ours
        );
    }
}

/// Whole networks at full size (the README cell and `sampled` random cells) with every conv
/// kernel family under the layerwise plan and the default one, against one GEMM of the same
/// MACs. `before / now` compares the engine before plan 2 and the wide kernel (the faster of its
/// two families, layerwise) with the engine now (its pick, the default plan), same run.
fn network_table(gpu: &mut Gpu, runs: usize, sampled: usize) {
    let picked = gpu.tiling().conv;
    let space = leti::space::enumerate();
    let mut cells = vec![("README cell".to_string(), common::readme_cell())];
    for e in leti::space::sample(&space, sampled, 1) {
        cells.push((format!("sampled {}", e.hash), e.cell.to_spec()));
    }
    println!("ms per network: family, then L = layerwise plan (plan 1) or D = the default plan ({}); launches per plan", PlanRules::default().as_str());
    println!(
        "{:<46} {:>7} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "network (full size, batch 1)", "MMAC", "launch L/D", "wg L", "reg L", "wide L", "wg D", "reg D", "wide D", "before/now", "best GF/s", "x matmul"
    );
    for (label, spec) in cells {
        let net = build(&spec.validate().unwrap(), &NetConfig::default());
        let weights = Weights::seeded(&net, 1);
        let input = seeded_input(net.tensors[net.input].shape, 1);
        let mut per = Vec::new();
        let mut launches = Vec::new();
        for rules in [PlanRules::Layerwise, PlanRules::default()] {
            gpu.set_plan_rules(rules);
            for conv in ConvStrategy::ALL {
                gpu.set_conv_strategy(conv);
                let prog = Program::new(gpu, &net, &weights, &input, true).unwrap();
                per.push(time(runs, || pollster::block_on(prog.run(gpu, TimingMode::Plain)).unwrap().wall_ms));
                launches.push(prog.dispatches.len());
            }
        }
        gpu.set_conv_strategy(picked);
        gpu.set_plan_rules(PlanRules::default());
        let macs = leti::net::Cost::of(&net).macs;
        let now = per[3 + ConvStrategy::ALL.iter().position(|&c| c == picked).unwrap()];
        let before = per[0].min(per[1]);
        // Same MACs as one GEMM: m = 256, n = 1024, k = macs / (m n).
        let kk = (macs as usize / (256 * 1024)).max(1);
        let mm = matmul_ms(gpu, runs.min(5), 256, 1024, kk);
        let mm_macs = (256 * 1024 * kk) as u64;
        println!(
            "{label:<46} {:>7.1} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            macs as f64 / 1e6,
            format!("{}/{}", launches[0], launches[3]),
            per[0],
            per[1],
            per[2],
            per[3],
            per[4],
            per[5],
            before / now,
            gflops(macs, per.iter().copied().fold(f64::INFINITY, f64::min)),
            gflops(macs, now) / gflops(mm_macs, mm)
        );
    }
}
