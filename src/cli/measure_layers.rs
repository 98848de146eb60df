//! `leti measure --layers`: times every distinct layer configuration of the space in isolation
//! (the lookup-table baseline) and writes the table as JSONL, one
//! `{"config": ..., "median_ms": ..., ...}` per configuration, flushed per line.
//!
//! Each configuration runs in its isolation network (`predict::isolation_net`); its own kernel
//! launch is timed with per-dispatch timestamps (per-pass where only pass-boundary timestamps
//! exist), after warm-up runs, as the median over `--repeats` runs. A configuration the engine
//! computes in place (a concat written by its producers) launches nothing and gets 0 ms.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use super::measure::MeasureArgs;
use crate::engine::{seeded_input, Gpu, Program, Weights};
use crate::measure::stats::summarize;
use crate::measure::{settled, TimingMode};
use crate::net::NetConfig;
use crate::predict::{distinct_layer_configs, isolation_net, LayerConfig, LayerTable, ISOLATION_TARGET};

/// Runs `leti measure --layers` with the network size and protocol options of `args`.
pub fn run(args: &MeasureArgs, config: NetConfig) -> anyhow::Result<ExitCode> {
    let space = crate::space::enumerate();
    let cells: Vec<_> = space.entries.iter().map(|e| e.cell).collect();
    let configs = distinct_layer_configs(&cells, &config);
    // Resume: configurations already in the table file are skipped.
    let mut done: HashSet<LayerConfig> = HashSet::new();
    if args.resume {
        if let Ok(text) = std::fs::read_to_string(&args.out) {
            let table = LayerTable::from_jsonl(&text).with_context(|| format!("{} is not a layer table", args.out.display()))?;
            done.extend(table.entries.keys().copied());
        }
    }
    let todo: Vec<LayerConfig> = configs.iter().copied().filter(|c| !done.contains(c)).collect();
    let gpu = pollster::block_on(Gpu::open(args.adapter.as_deref())).context("opening the GPU")?;
    let mode = [TimingMode::PerDispatch, TimingMode::PerPass].into_iter().find(|&m| Program::supports(&gpu, m));
    let Some(mode) = mode else {
        bail!("adapter {} has no timestamp queries: layers cannot be timed in isolation on it", gpu.info.name);
    };
    eprintln!(
        "adapter: {} ({}); {} distinct layer configurations, {} to measure ({mode:?} timestamps)",
        gpu.info.name,
        gpu.info.backend,
        configs.len(),
        todo.len()
    );
    let mut out = OpenOptions::new().create(true).append(true).open(&args.out).with_context(|| format!("cannot open {}", args.out.display()))?;
    let bar = ProgressBar::new(todo.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} layers  elapsed {elapsed_precise}  ETA {eta_precise}  {msg}").unwrap());
    let repeats = args.repeats.max(1) as usize;
    for c in &todo {
        let net = isolation_net(c, config.batch).map_err(anyhow::Error::msg)?;
        let weights = Weights::seeded(&net, 0);
        let input = seeded_input(net.tensors[net.input].shape, 0);
        let program = Program::new(&gpu, &net, &weights, &input, true).with_context(|| format!("planning {c:?}"))?;
        let at = program.dispatches.iter().position(|d| d.name == ISOLATION_TARGET);
        let mut line = serde_json::json!({ "config": c });
        if let Some(at) = at {
            let times = |n: usize| -> anyhow::Result<Vec<f64>> {
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let t = pollster::block_on(program.run(&gpu, mode)).with_context(|| format!("running {c:?}"))?;
                    v.push(t.per_dispatch_ms.and_then(|d| d.get(at).copied()).context("the run returned no per-dispatch times")?);
                }
                Ok(v)
            };
            // Warm-up until the medians of the last two triples agree (at most --warmup-max).
            let mut warm = Vec::new();
            while warm.len() < 3 || (!settled(&warm, 3, 0.05) && (warm.len() as u32) < args.warmup_max.max(3)) {
                warm.extend(times(1)?);
            }
            let s = summarize(&times(repeats)?);
            line["median_ms"] = s.median_ms.into();
            line["p10_ms"] = s.p10_ms.into();
            line["p90_ms"] = s.p90_ms.into();
            line["cov"] = s.cov.into();
            line["runs"] = s.runs.into();
            bar.set_message(format!("last {:?} k{} {}->{} @{} {:.3} ms", c.op, c.k, c.c_in, c.c_out, c.size, s.median_ms));
        } else {
            // Computed in place by its producers: no launch of its own.
            line["median_ms"] = 0.0.into();
            line["runs"] = 0.into();
            line["in_place"] = true.into();
        }
        writeln!(out, "{line}").and_then(|_| out.flush()).with_context(|| format!("writing {}", args.out.display()))?;
        bar.inc(1);
    }
    bar.finish();
    eprintln!("wrote {} layer timings to {}", todo.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}
