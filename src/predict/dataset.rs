//! Reading measurement records (JSONL, optionally gzip-compressed) into per-device training
//! data: one latency per distinct cell (the median of the records' medians), with the
//! feature vectors computed once.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};
use rustc_hash::FxHashMap;

use crate::measure::{AdapterInfo, MeasurementRecord, SCHEMA_VERSION};
use crate::net::Precision;
use crate::space::{Cell, ModuleHash};

use super::features::{features, Features};
use super::model::Target;
use super::synthetic::SYNTHETIC_VENDOR;

/// Which latency to train on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetChoice {
    /// GPU time when every record of the device has it, else wall clock.
    Auto,
    Gpu,
    Wall,
}

/// Training data of one device: distinct cells with one latency each.
#[derive(Clone, Debug)]
pub struct DeviceData {
    /// The device key (see [`device_key`]).
    pub key: String,
    pub adapter: AdapterInfo,
    pub user_agent: String,
    /// The precision the records ran at (part of the key: one precision per device).
    pub precision: Precision,
    pub target: Target,
    pub cells: Vec<Cell>,
    pub hashes: Vec<ModuleHash>,
    pub features: Vec<Features>,
    /// Latency per cell, ms.
    pub ms: Vec<f64>,
    /// Records read for this device (before merging repeats of a cell).
    pub records: usize,
    /// Records flagged noisy by the engine.
    pub noisy_records: usize,
    /// Median coefficient of variation of the repeated timings behind the records.
    pub median_cov: f64,
    /// True when the records come from the synthetic test generator.
    pub synthetic: bool,
    /// The engine's kernel configuration the records were measured with (see
    /// [`kernels_of_newest`]); `None` when no record states it.
    pub kernels: Option<String>,
    /// Records of this device left out because another kernel configuration measured them.
    pub other_kernel_records: usize,
}

impl DeviceData {
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// A stable name for the device a record was measured on: adapter description (or device),
/// backend, driver and the contributor's label when present.
pub fn device_key(r: &MeasurementRecord) -> String {
    r.device_key()
}

/// Reads records from a JSONL file (`.gz` compressed when the file starts with the gzip
/// magic bytes). Blank lines are skipped; any bad line is an error naming the line.
pub fn read_records(path: &Path) -> anyhow::Result<Vec<MeasurementRecord>> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_string(&mut s).with_context(|| format!("decompressing {}", path.display()))?;
        s
    } else {
        String::from_utf8(raw).with_context(|| format!("{} is not UTF-8 text", path.display()))?
    };
    parse_records(&text).with_context(|| format!("in {}", path.display()))
}

/// Parses JSONL records, checking schema version and that each record's hash is its cell's.
pub fn parse_records(text: &str) -> anyhow::Result<Vec<MeasurementRecord>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: MeasurementRecord = serde_json::from_str(line).with_context(|| format!("line {}: not a measurement record", i + 1))?;
        if r.schema_version != SCHEMA_VERSION {
            bail!("line {}: schema version {} (this build reads {SCHEMA_VERSION})", i + 1, r.schema_version);
        }
        let cell = r.cell.validate().with_context(|| format!("line {}: invalid cell", i + 1))?;
        if cell.hash() != r.hash {
            bail!("line {}: hash {} is not the hash of the record's cell ({})", i + 1, r.hash.to_hex(), cell.hash().to_hex());
        }
        out.push(r);
    }
    Ok(out)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Groups records by device (keeping devices whose key contains `filter`, case-insensitive),
/// merges repeated cells, and computes features. Records of a non-default network are
/// skipped (the predictors cover the default network, at either precision: f16 records key a
/// device of their own). Devices come out sorted by key.
pub fn group_by_device(records: &[MeasurementRecord], filter: Option<&str>, target: TargetChoice) -> anyhow::Result<Vec<DeviceData>> {
    let mut by_dev: FxHashMap<String, Vec<&MeasurementRecord>> = FxHashMap::default();
    for r in records {
        if !r.network.is_standard() {
            continue;
        }
        let key = device_key(r);
        if let Some(f) = filter {
            if !key.to_lowercase().contains(&f.to_lowercase()) {
                continue;
            }
        }
        by_dev.entry(key).or_default().push(r);
    }
    let mut keys: Vec<String> = by_dev.keys().cloned().collect();
    keys.sort();
    let mut out = Vec::new();
    for key in keys {
        let (kernels, recs) = kernels_of_newest(&by_dev[&key]);
        let other_kernel_records = by_dev[&key].len() - recs.len();
        let all_gpu = recs.iter().all(|r| r.gpu.is_some());
        let target = match target {
            TargetChoice::Gpu if !all_gpu => bail!("device {key}: some records have no GPU time; use --target wall"),
            TargetChoice::Gpu => Target::GpuMedianMs,
            TargetChoice::Auto if all_gpu => Target::GpuMedianMs,
            TargetChoice::Auto | TargetChoice::Wall => Target::WallMedianMs,
        };
        let mut per_cell: FxHashMap<ModuleHash, (Cell, Vec<f64>)> = FxHashMap::default();
        let mut order = Vec::new();
        let mut covs = Vec::new();
        for r in &recs {
            let stats = match target {
                Target::GpuMedianMs => r.gpu.expect("checked above"),
                Target::WallMedianMs => r.wall,
            };
            if !(stats.median_ms.is_finite() && stats.median_ms > 0.0) {
                bail!("device {key}: record {} has median {} ms", r.id, stats.median_ms);
            }
            covs.push(stats.cov);
            let e = per_cell.entry(r.hash).or_insert_with(|| {
                order.push(r.hash);
                (r.cell.validate().expect("validated on read"), Vec::new())
            });
            e.1.push(stats.median_ms);
        }
        let mut d = DeviceData {
            key: key.clone(),
            adapter: recs[0].adapter.clone(),
            user_agent: recs[0].client.user_agent.clone(),
            precision: recs[0].network.precision,
            target,
            cells: Vec::with_capacity(order.len()),
            hashes: Vec::with_capacity(order.len()),
            features: Vec::with_capacity(order.len()),
            ms: Vec::with_capacity(order.len()),
            records: recs.len(),
            noisy_records: recs.iter().filter(|r| r.noisy).count(),
            median_cov: median(&mut covs),
            synthetic: recs.iter().any(|r| r.adapter.vendor == SYNTHETIC_VENDOR),
            kernels,
            other_kernel_records,
        };
        for h in order {
            let (cell, mut v) = per_cell.remove(&h).expect("present");
            d.features.push(features(&cell));
            d.cells.push(cell);
            d.hashes.push(h);
            d.ms.push(median(&mut v));
        }
        out.push(d);
    }
    Ok(out)
}

/// One device's records that one kernel configuration measured: that of its newest record
/// stating one (the engine the device runs now). Records made before configurations were
/// recorded state none and are kept only where no record states one: an engine that states
/// its configuration is never the one that did not. Timings of different kernels never meet
/// in one model.
pub fn kernels_of_newest<'a>(recs: &[&'a MeasurementRecord]) -> (Option<String>, Vec<&'a MeasurementRecord>) {
    let newest = recs.iter().filter(|r| r.kernels.is_some()).max_by_key(|r| r.created_unix_ms).and_then(|r| r.kernels.clone());
    let kept = recs.iter().copied().filter(|r| r.kernels == newest).collect();
    (newest, kept)
}
