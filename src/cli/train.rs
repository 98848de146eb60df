//! `leti train`: fit one model kind on one device's measurement records and write the
//! model file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::predict::dataset::{group_by_device, read_records, TargetChoice};
use crate::predict::evaluate::training_info;
use crate::predict::train::{train_model, Data, GbtOptions, ModelKind, TrainOptions};
use crate::predict::LayerTable;

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Measurement records (JSONL, optionally gzip-compressed); repeat for several files.
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    /// Use only records whose device key contains this (case-insensitive). Required when
    /// the data holds more than one device.
    #[arg(long)]
    pub device: Option<String>,
    /// Which latency to learn.
    #[arg(long, value_enum, default_value_t = TargetArg::Auto)]
    pub target: TargetArg,
    /// Model family.
    #[arg(long, value_enum, default_value_t = ModelKind::Gbt)]
    pub model: ModelKind,
    /// Per-layer latencies (JSONL of {config, median_ms}), needed by `--model lookup`.
    #[arg(long)]
    pub layer_table: Option<PathBuf>,
    /// Output model file.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Trees of the boosted ensemble.
    #[arg(long, default_value_t = GbtOptions::default().n_trees)]
    pub trees: usize,
    #[arg(long, default_value_t = GbtOptions::default().max_depth)]
    pub depth: usize,
    #[arg(long, default_value_t = GbtOptions::default().learning_rate)]
    pub learning_rate: f64,
    /// Leave out records the engine flagged noisy (CoV above its threshold after re-measuring).
    #[arg(long)]
    pub drop_noisy: bool,
    /// Central coverage of the residual prediction interval.
    #[arg(long, default_value_t = 0.8)]
    pub interval_level: f64,
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

/// Reads every data file into one list of records.
pub fn read_all(paths: &[PathBuf]) -> anyhow::Result<Vec<crate::measure::MeasurementRecord>> {
    let mut all = Vec::new();
    for p in paths {
        all.extend(read_records(p)?);
    }
    Ok(all)
}

pub fn read_table(path: &Option<PathBuf>) -> anyhow::Result<Option<LayerTable>> {
    path.as_ref()
        .map(|p| -> anyhow::Result<LayerTable> {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            LayerTable::from_jsonl(&text).with_context(|| format!("in {}", p.display()))
        })
        .transpose()
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    if !(args.interval_level > 0.0 && args.interval_level < 1.0) {
        bail!("--interval-level must be between 0 and 1");
    }
    let mut records = read_all(&args.data)?;
    if args.drop_noisy {
        records.retain(|r| !r.noisy);
    }
    let devices = group_by_device(&records, args.device.as_deref(), args.target.into())?;
    let dev = match devices.len() {
        0 => bail!("no records match (device filter {:?})", args.device),
        1 => &devices[0],
        _ => bail!(
            "the data holds {} devices; pick one with --device:\n  {}",
            devices.len(),
            devices.iter().map(|d| format!("{} ({} cells)", d.key, d.len())).collect::<Vec<_>>().join("\n  ")
        ),
    };
    let table = read_table(&args.layer_table)?;
    let opts = TrainOptions {
        seed: args.seed,
        gbt: GbtOptions { n_trees: args.trees, max_depth: args.depth, learning_rate: args.learning_rate, ..GbtOptions::default() },
        interval_level: args.interval_level,
        ..TrainOptions::default()
    };
    let data = Data { cells: &dev.cells, features: &dev.features, ms: &dev.ms };
    let source = args.data.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let model = train_model(args.model, &data, dev.target, &opts, table.as_ref(), training_info(dev, &source))?;
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent).ok();
    }
    std::fs::write(&args.out, model.to_json()).with_context(|| format!("writing {}", args.out.display()))?;
    if dev.synthetic {
        eprintln!("note: trained on SYNTHETIC records (test generator); the model is flagged synthetic");
    }
    eprintln!("{}: {} model on {} cells -> {}", dev.key, args.model.name(), dev.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}
