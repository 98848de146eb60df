//! Server-side validation of measurement records: nothing is trusted from a contributor.
//! The schema version must be known, the id a UUID, the cell valid, pruned and hashing to the
//! hash sent, the network within bounds, statistics finite, positive, ordered and sane,
//! per-layer times named after compute layers of the cell's network, strings bounded.
//! The same checks serve the API and `leti import`.

use std::collections::HashSet;

use serde_json::Value;

use super::error::{codes, RecordError};
use crate::measure::{MeasurementRecord, Stats, SCHEMA_VERSION};
use crate::net::{build, NetConfig};

/// Longest accepted latency, milliseconds (one inference taking a minute is not a phone GPU measurement).
pub const MAX_LATENCY_MS: f64 = 60_000.0;
/// Most timed runs one statistic may summarise.
pub const MAX_RUNS: u32 = 1_000_000;
/// Longest accepted coefficient of variation.
pub const MAX_COV: f64 = 100.0;
/// Longest adapter / user-agent string, in bytes.
pub const MAX_LONG_STRING: usize = 512;
/// Longest short string (labels, versions, ids of runs, layer names), in bytes.
pub const MAX_SHORT_STRING: usize = 128;
/// Earliest accepted measurement time: 2020-01-01T00:00:00Z.
pub const MIN_CREATED_UNIX_MS: u64 = 1_577_836_800_000;
/// How far in the future a client clock may be.
pub const MAX_CLOCK_SKEW_MS: u64 = 24 * 3600 * 1000;

type Reject = (&'static str, String);

/// Validates one record given as parsed JSON; `now_unix_ms` bounds the creation time.
pub fn check_record(value: &Value, now_unix_ms: u64) -> Result<MeasurementRecord, Reject> {
    let obj = value.as_object().ok_or((codes::NOT_AN_OBJECT, "a record must be a JSON object".to_string()))?;
    match obj.get("schema_version") {
        Some(v) if v.as_u64() == Some(SCHEMA_VERSION as u64) => {}
        Some(v) => return Err((codes::SCHEMA_VERSION, format!("schema_version {v} is not supported; this server reads version {SCHEMA_VERSION}"))),
        None => return Err((codes::SCHEMA_VERSION, "missing field schema_version".to_string())),
    }
    let record: MeasurementRecord = serde_json::from_value(value.clone()).map_err(|e| (codes::BAD_FIELD, e.to_string()))?;
    check_id(&record.id)?;
    check_time(record.created_unix_ms, now_unix_ms)?;

    let cell = record.cell.validate().map_err(|e| (codes::INVALID_CELL, format!("cell: {e}")))?;
    if cell.to_spec() != record.cell {
        return Err((codes::CELL_NOT_PRUNED, "cell: the spec is valid but not pruned; send the pruned cell (as CellSpec::validate returns it)".into()));
    }
    let hash = cell.hash();
    if hash != record.hash {
        return Err((codes::HASH_MISMATCH, format!("hash {} was sent but the cell's module hash is {hash}", record.hash)));
    }
    check_network(&record.network)?;
    check_stats("wall", &record.wall)?;
    if let Some(gpu) = &record.gpu {
        check_stats("gpu", gpu)?;
    }
    if record.warmup_runs > MAX_RUNS {
        return Err((codes::OUT_OF_RANGE, format!("warmup_runs is {}; at most {MAX_RUNS}", record.warmup_runs)));
    }
    if let Some(r) = record.timestamp_resolution_ns {
        if !(r.is_finite() && r > 0.0 && r <= 1e9) {
            return Err((codes::OUT_OF_RANGE, format!("timestamp_resolution_ns is {r}; it must be positive and at most 1e9")));
        }
    }
    let a = &record.adapter;
    for (name, s) in [
        ("adapter.vendor", &a.vendor),
        ("adapter.architecture", &a.architecture),
        ("adapter.device", &a.device),
        ("adapter.description", &a.description),
        ("adapter.driver", &a.driver),
        ("client.user_agent", &record.client.user_agent),
    ] {
        check_string(name, s, MAX_LONG_STRING)?;
    }
    check_string("adapter.backend", &a.backend, MAX_SHORT_STRING)?;
    check_string("client.engine_version", &record.client.engine_version, MAX_SHORT_STRING)?;
    if let Some(label) = &record.client.device_label {
        check_string("client.device_label", label, MAX_SHORT_STRING)?;
    }
    if let Some(h) = &record.client.hints {
        for (name, s) in [("client.hints.model", &h.model), ("client.hints.platform", &h.platform), ("client.hints.platform_version", &h.platform_version)] {
            check_string(name, s, MAX_SHORT_STRING)?;
        }
    }
    if let Some(run) = &record.run {
        check_string("run.run_id", &run.run_id, MAX_SHORT_STRING)?;
        if run.sequence > MAX_RUNS {
            return Err((codes::OUT_OF_RANGE, format!("run.sequence is {}; at most {MAX_RUNS}", run.sequence)));
        }
        if run.device_lost_events > 10_000 {
            return Err((codes::OUT_OF_RANGE, format!("run.device_lost_events is {}; at most 10000", run.device_lost_events)));
        }
        if let Some(t) = run.thermal_ratio {
            if !(t.is_finite() && t > 0.0 && t <= 1000.0) {
                return Err((codes::OUT_OF_RANGE, format!("run.thermal_ratio is {t}; it must be positive and at most 1000")));
            }
        }
    }
    if let Some(layers) = &record.layers {
        check_layers(&record, layers, cell)?;
    }
    check_mode_overheads(&record.mode_overheads)?;
    Ok(record)
}

/// Each timing mode at most once, with a finite positive wall time and ratio to plain.
fn check_mode_overheads(overheads: &[crate::measure::ModeOverhead]) -> Result<(), Reject> {
    for (i, o) in overheads.iter().enumerate() {
        if overheads[..i].iter().any(|p| p.mode == o.mode) {
            return Err((codes::OUT_OF_RANGE, format!("mode_overheads lists mode {:?} twice", o.mode)));
        }
        if !(o.wall_median_ms.is_finite() && o.wall_median_ms > 0.0 && o.wall_median_ms <= MAX_LATENCY_MS) {
            return Err((
                codes::BAD_STATS,
                format!("mode_overheads[{i}].wall_median_ms is {}; latencies must be positive and at most {MAX_LATENCY_MS} ms", o.wall_median_ms),
            ));
        }
        if !(o.ratio_to_plain.is_finite() && o.ratio_to_plain > 0.0 && o.ratio_to_plain <= 1000.0) {
            return Err((codes::OUT_OF_RANGE, format!("mode_overheads[{i}].ratio_to_plain is {}; it must be positive and at most 1000", o.ratio_to_plain)));
        }
    }
    Ok(())
}

fn check_id(id: &str) -> Result<(), Reject> {
    let ok = id.len() == 36 && uuid::Uuid::try_parse(id).is_ok() && id.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        let shown: String = id.chars().take(40).collect();
        Err((codes::BAD_ID, format!("id {shown:?} is not a lowercase hyphenated UUID (e.g. from crypto.randomUUID())")))
    }
}

fn check_time(created: u64, now: u64) -> Result<(), Reject> {
    if created < MIN_CREATED_UNIX_MS || created > now.saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err((codes::OUT_OF_RANGE, format!("created_unix_ms {created} is not between 2020-01-01 and a day from now ({now} ms since the epoch)")));
    }
    Ok(())
}

fn check_network(n: &NetConfig) -> Result<(), Reject> {
    let bounds: [(&str, usize, usize, usize); 7] = [
        ("batch", n.batch, 1, 256),
        ("input_size", n.input_size, 1, 1024),
        ("input_channels", n.input_channels, 1, 16),
        // A cell splits its channels over up to five vertices: fewer than 8 leaves some with none.
        ("stem_channels", n.stem_channels, 8, 4096),
        ("num_stacks", n.num_stacks, 1, 6),
        ("cells_per_stack", n.cells_per_stack, 1, 8),
        ("num_classes", n.num_classes, 1, 10_000),
    ];
    for (name, v, lo, hi) in bounds {
        if v < lo || v > hi {
            return Err((codes::BAD_NETWORK, format!("network.{name} is {v}; it must be between {lo} and {hi}")));
        }
    }
    Ok(())
}

fn check_stats(which: &str, s: &Stats) -> Result<(), Reject> {
    for (name, v) in [("median_ms", s.median_ms), ("p10_ms", s.p10_ms), ("p90_ms", s.p90_ms)] {
        if !(v.is_finite() && v > 0.0 && v <= MAX_LATENCY_MS) {
            return Err((codes::BAD_STATS, format!("{which}.{name} is {v}; latencies must be positive and at most {MAX_LATENCY_MS} ms")));
        }
    }
    if !(s.p10_ms <= s.median_ms && s.median_ms <= s.p90_ms) {
        return Err((codes::BAD_STATS, format!("{which}: p10 {} <= median {} <= p90 {} does not hold", s.p10_ms, s.median_ms, s.p90_ms)));
    }
    if !(s.mad_ms.is_finite() && s.mad_ms >= 0.0 && s.mad_ms <= MAX_LATENCY_MS) {
        return Err((codes::BAD_STATS, format!("{which}.mad_ms is {}; it must be between 0 and {MAX_LATENCY_MS}", s.mad_ms)));
    }
    if !(s.cov.is_finite() && s.cov >= 0.0 && s.cov <= MAX_COV) {
        return Err((codes::BAD_STATS, format!("{which}.cov is {}; it must be between 0 and {MAX_COV}", s.cov)));
    }
    if s.runs == 0 || s.runs > MAX_RUNS {
        return Err((codes::BAD_STATS, format!("{which}.runs is {}; it must be between 1 and {MAX_RUNS}", s.runs)));
    }
    Ok(())
}

fn check_string(name: &str, s: &str, max: usize) -> Result<(), Reject> {
    if s.len() > max {
        return Err((codes::BAD_STRING, format!("{name} is {} bytes long; at most {max} are accepted", s.len())));
    }
    if s.chars().any(char::is_control) {
        return Err((codes::BAD_STRING, format!("{name} contains control characters")));
    }
    Ok(())
}

fn check_layers(record: &MeasurementRecord, layers: &[crate::measure::LayerTime], cell: crate::space::Cell) -> Result<(), Reject> {
    let net = build(&cell, &record.network);
    let names: HashSet<&str> = net.compute_layers().map(|l| l.name.as_str()).collect();
    if layers.len() > names.len() {
        return Err((codes::BAD_LAYERS, format!("{} per-layer times were sent but the network has {} compute layers", layers.len(), names.len())));
    }
    let mut seen = HashSet::with_capacity(layers.len());
    for (i, l) in layers.iter().enumerate() {
        check_string("layers[].name", &l.name, MAX_SHORT_STRING)?;
        if !names.contains(l.name.as_str()) {
            return Err((codes::BAD_LAYERS, format!("layers[{i}].name {:?} is not a compute layer of this cell's network", l.name)));
        }
        if !seen.insert(l.name.as_str()) {
            return Err((codes::BAD_LAYERS, format!("layers[{i}].name {:?} appears twice", l.name)));
        }
        if !(l.median_ms.is_finite() && l.median_ms >= 0.0 && l.median_ms <= MAX_LATENCY_MS) {
            return Err((codes::BAD_LAYERS, format!("layers[{i}].median_ms is {}; it must be between 0 and {MAX_LATENCY_MS}", l.median_ms)));
        }
    }
    Ok(())
}

/// Validates every record of a parsed batch, returning them all or every reason for rejection
/// (duplicate ids inside the batch included).
pub fn check_records(values: &[Value], now_unix_ms: u64) -> Result<Vec<MeasurementRecord>, Vec<RecordError>> {
    let mut good = Vec::with_capacity(values.len());
    let mut errors = Vec::new();
    let mut ids: HashSet<String> = HashSet::with_capacity(values.len());
    for (index, v) in values.iter().enumerate() {
        let id = v.get("id").and_then(Value::as_str).map(|s| s.chars().take(40).collect::<String>());
        match check_record(v, now_unix_ms) {
            Ok(r) => {
                if !ids.insert(r.id.clone()) {
                    errors.push(RecordError { index, id, code: codes::DUPLICATE_ID, message: format!("id {} appears more than once in this batch", r.id) });
                } else {
                    good.push(r);
                }
            }
            Err((code, message)) => errors.push(RecordError { index, id, code, message }),
        }
    }
    if errors.is_empty() {
        Ok(good)
    } else {
        Err(errors)
    }
}
