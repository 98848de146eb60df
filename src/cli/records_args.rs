//! The arguments `leti train` and `leti evaluate` share to read measurement records: the data
//! files, the device filter, the latency target, the layer table and the noisy-record filter,
//! and the readers behind them.

use std::path::PathBuf;

use anyhow::Context;

use crate::measure::MeasurementRecord;
use crate::predict::dataset::{group_by_device, read_records, DeviceData, TargetChoice};
use crate::predict::LayerTable;

#[derive(clap::Args, Debug)]
pub struct RecordsArgs {
    /// Measurement records (JSONL, optionally gzip-compressed); repeat for several files.
    /// Required (`leti train --from-db` reads a database instead).
    #[arg(long)]
    pub data: Vec<PathBuf>,
    /// Use only devices whose key contains this (case-insensitive). `leti train` needs it
    /// when the data holds more than one device.
    #[arg(long)]
    pub device: Option<String>,
    /// Which latency to learn and score.
    #[arg(long, value_enum, default_value_t = TargetArg::Auto)]
    pub target: TargetArg,
    /// Per-layer latencies (JSONL of {config, median_ms}, from `leti measure --layers`): needed
    /// by `leti train --model lookup`; without it `leti evaluate` leaves the lookup baseline out.
    #[arg(long)]
    pub layer_table: Option<PathBuf>,
    /// Leave out records the engine flagged noisy (CoV above its threshold after re-measuring).
    #[arg(long)]
    pub drop_noisy: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    /// GPU time when every record has it, else wall clock.
    Auto,
    Gpu,
    Wall,
}

impl From<TargetArg> for TargetChoice {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Auto => TargetChoice::Auto,
            TargetArg::Gpu => TargetChoice::Gpu,
            TargetArg::Wall => TargetChoice::Wall,
        }
    }
}

impl RecordsArgs {
    /// Every record of every data file (noisy ones left out with --drop-noisy), grouped by
    /// device and filtered by --device.
    pub fn devices(&self) -> anyhow::Result<Vec<DeviceData>> {
        anyhow::ensure!(!self.data.is_empty(), "give the measurement records with --data FILE (repeatable)");
        let mut records: Vec<MeasurementRecord> = Vec::new();
        for p in &self.data {
            records.extend(read_records(p)?);
        }
        if self.drop_noisy {
            records.retain(|r| !r.noisy);
        }
        let devices = group_by_device(&records, self.device.as_deref(), self.target.into())?;
        for d in devices.iter().filter(|d| d.other_kernel_records > 0) {
            eprintln!(
                "note: {}: left out {} records measured with other kernels than the newest ({})",
                d.key,
                d.other_kernel_records,
                d.kernels.as_deref().unwrap_or("unstated")
            );
        }
        Ok(devices)
    }

    /// The layer table, if one was given.
    pub fn table(&self) -> anyhow::Result<Option<LayerTable>> {
        self.layer_table
            .as_ref()
            .map(|p| -> anyhow::Result<LayerTable> {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
                LayerTable::from_jsonl(&text).with_context(|| format!("in {}", p.display()))
            })
            .transpose()
    }

    /// The data files, for the model file's `training.source`.
    pub fn source(&self) -> String {
        self.data.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    }
}
