//! `leti measure --layers`: times every distinct layer configuration of the space in isolation
//! (the lookup-table baseline) and writes the table as JSONL, one
//! `{"config": ..., "median_ms": ..., ...}` per configuration, flushed per line.
//!
//! Each configuration is timed by `measure::time_layer` (its isolation network, per-dispatch
//! timestamps, or per-pass where only pass-boundary timestamps exist; warm-up, then the median
//! over `--repeats` runs). A configuration the engine computes in place (a concat written by its
//! producers) launches nothing and gets 0 ms.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use super::measure::MeasureArgs;
use crate::engine::Gpu;
use crate::measure::profile_mode;
use crate::measure::{table_line, time_layer};
use crate::net::LayerConfig;
use crate::net::NetConfig;
use crate::predict::{distinct_layer_configs, LayerTable};

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
    let gpu = pollster::block_on(Gpu::open_with(args.adapter.as_deref(), args.limits.tier())).context("opening the GPU")?;
    let Some(mode) = profile_mode(&gpu) else {
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
    for c in &todo {
        let stats = pollster::block_on(time_layer(&gpu, c, config.batch, mode, args.warmup_max, args.repeats)).map_err(anyhow::Error::msg)?;
        if let Some(s) = &stats {
            bar.set_message(format!("last {:?} k{} {}->{} @{} {:.3} ms", c.op, c.k, c.c_in, c.c_out, c.size, s.median_ms));
        }
        writeln!(out, "{}", table_line(c, stats.as_ref())).and_then(|_| out.flush()).with_context(|| format!("writing {}", args.out.display()))?;
        bar.inc(1);
    }
    bar.finish();
    eprintln!("wrote {} layer timings to {}", todo.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}
