//! `leti train`: fit one model kind on one device's measurement records and write the
//! model file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::records_args::RecordsArgs;
use crate::predict::evaluate::training_info;
use crate::predict::train::{train_model, Data, GbtOptions, ModelKind, TrainOptions};

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub records: RecordsArgs,
    /// Model family.
    #[arg(long, value_enum, default_value_t = ModelKind::Gbt)]
    pub model: ModelKind,
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
    /// Central coverage of the residual prediction interval.
    #[arg(long, default_value_t = 0.8)]
    pub interval_level: f64,
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    if !(args.interval_level > 0.0 && args.interval_level < 1.0) {
        bail!("--interval-level must be between 0 and 1");
    }
    let devices = args.records.devices()?;
    let dev = match devices.len() {
        0 => bail!("no records match (device filter {:?})", args.records.device),
        1 => &devices[0],
        _ => bail!(
            "the data holds {} devices; pick one with --device:\n  {}",
            devices.len(),
            devices.iter().map(|d| format!("{} ({} cells)", d.key, d.len())).collect::<Vec<_>>().join("\n  ")
        ),
    };
    let table = args.records.table()?;
    let opts = TrainOptions {
        seed: args.seed,
        gbt: GbtOptions { n_trees: args.trees, max_depth: args.depth, learning_rate: args.learning_rate, ..GbtOptions::default() },
        interval_level: args.interval_level,
        ..TrainOptions::default()
    };
    let data = Data { cells: &dev.cells, features: &dev.features, ms: &dev.ms };
    let source = args.records.source();
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
