//! Times one layer configuration alone on a GPU, for the lookup-table baseline: its isolation
//! network ([`isolation_net`]) is planned on the device, warmed up, and the target layer's own
//! launch is timed by per-dispatch timestamps (native) or one pass per dispatch (the browser's
//! way). One implementation for `leti measure --layers` and the browser's layer table (the
//! ignored `layer_table_in_the_browser` wasm test).

use crate::engine::{seeded_input, Gpu, Program, TimingMode, Weights, MEASURE_SEED};
use crate::net::{isolation_net, LayerConfig, ISOLATION_TARGET as TARGET};

use super::protocol::settled;
use super::record::Stats;
use super::stats::summarize;

/// One line of a layer table: the configuration, and its timing (`None`: computed in place by
/// its producers, no launch of its own, 0 ms).
pub fn table_line(config: &LayerConfig, stats: Option<&Stats>) -> serde_json::Value {
    let mut line = serde_json::json!({ "config": config });
    match stats {
        Some(s) => {
            line["median_ms"] = s.median_ms.into();
            line["p10_ms"] = s.p10_ms.into();
            line["p90_ms"] = s.p90_ms.into();
            line["cov"] = s.cov.into();
            line["runs"] = s.runs.into();
        }
        None => {
            line["median_ms"] = 0.0.into();
            line["runs"] = 0.into();
            line["in_place"] = true.into();
        }
    }
    line
}

/// Times `config` at `batch` in `mode` (see [`super::profile_mode`]): warm-up until the medians of the last two triples of
/// the layer's times agree within 5 % (at least 3, at most `warmup_max` runs), then `repeats`
/// timed runs. `Ok(None)` when the layer launches nothing of its own.
pub async fn time_layer(gpu: &Gpu, config: &LayerConfig, batch: usize, mode: TimingMode, warmup_max: u32, repeats: u32) -> Result<Option<Stats>, String> {
    let net = isolation_net(config, batch)?;
    let weights = Weights::seeded(&net, MEASURE_SEED);
    let input = seeded_input(net.tensors[net.input].shape, MEASURE_SEED);
    let program = Program::new(gpu, &net, &weights, &input, true).map_err(|e| format!("planning {config:?}: {e}"))?;
    let Some(at) = program.dispatches.iter().position(|d| d.name == TARGET) else {
        return Ok(None);
    };
    let once = async || -> Result<f64, String> {
        let t = program.run(gpu, mode).await.map_err(|e| format!("running {config:?}: {e}"))?;
        t.per_dispatch_ms.and_then(|d| d.get(at).copied()).ok_or_else(|| format!("running {config:?}: no per-dispatch times in {mode:?} mode"))
    };
    let mut warm = Vec::new();
    while warm.len() < 3 || (!settled(&warm, 3, 0.05) && (warm.len() as u32) < warmup_max.max(3)) {
        warm.push(once().await?);
    }
    let mut times = Vec::with_capacity(repeats.max(1) as usize);
    for _ in 0..repeats.max(1) {
        times.push(once().await?);
    }
    Ok(Some(summarize(&times)))
}
