//! `leti evaluate`: every baseline and model side by side on held-out cells of each device,
//! with cross-validation, learning curves, plots, and the few-shot curve when the data holds
//! several devices.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;

use crate::predict::evaluate::{evaluate_device, write_device_report, EvalOptions};
use crate::predict::few_shot::{few_shot, write_few_shot};
use crate::predict::train::{GbtOptions, ModelKind, TrainOptions};

use super::records_args::RecordsArgs;

#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub records: RecordsArgs,
    /// Output directory: report.md, report.json and SVGs (one subdirectory per device when
    /// there are several, plus few_shot.md).
    #[arg(long)]
    pub out_dir: PathBuf,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Share of distinct cells held out for testing.
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Cross-validation folds (0 to skip).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Learning-curve training sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "50,100,200,500,1000,2000,5000,10000")]
    pub curve: Vec<usize>,
    /// Cell counts K of the few-shot curve (leave one device out; each held-out device's
    /// model from K of its cells), comma-separated; Ks above 80% of a device's cells are skipped.
    #[arg(long, value_delimiter = ',', default_value = "5,10,20,50,100,200,500,1000")]
    pub few_shot: Vec<usize>,
    /// Model kinds to evaluate, comma-separated (lookup needs --layer-table).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "flops,lookup,ridge,ridge-log,gbt")]
    pub models: Vec<ModelKind>,
    #[arg(long, default_value_t = GbtOptions::default().n_trees)]
    pub trees: usize,
    /// Only the few-shot curve (leave one device out), without the per-device reports.
    #[arg(long)]
    pub few_shot_only: bool,
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    if !(args.test_fraction > 0.0 && args.test_fraction < 1.0) {
        bail!("--test-fraction must be between 0 and 1");
    }
    let devices = args.records.devices()?;
    if devices.is_empty() {
        bail!("no records match (device filter {:?})", args.records.device);
    }
    let table = args.records.table()?;
    let opts = EvalOptions {
        train: TrainOptions { seed: args.seed, gbt: GbtOptions { n_trees: args.trees, ..GbtOptions::default() }, ..TrainOptions::default() },
        kinds: args.models.clone(),
        test_fraction: args.test_fraction,
        cv_folds: args.folds,
        curve_sizes: args.curve.clone(),
        few_shot_ks: args.few_shot.clone(),
    };
    let several = devices.len() > 1;
    for dev in devices.iter().filter(|_| !args.few_shot_only) {
        let dir = if several { args.out_dir.join(slug(&dev.key)) } else { args.out_dir.clone() };
        eprintln!("{}: {} cells, evaluating...", dev.key, dev.len());
        let report = evaluate_device(dev, table.as_ref(), &opts)?;
        write_device_report(&dir, &report)?;
        for k in &report.kinds {
            eprintln!(
                "  {:>10}: ±10% {:5.1}%  ±5% {:5.1}%  MAPE {:6.2}%  tau {:.4}",
                k.kind,
                100.0 * k.test.within10,
                100.0 * k.test.within5,
                k.test.mape,
                k.test.kendall_tau
            );
        }
        eprintln!("  -> {}", dir.join("report.md").display());
    }
    if args.few_shot_only && !several {
        bail!("--few-shot-only needs records of two or more devices");
    }
    if several && !args.few_shot.is_empty() {
        let mut reports = Vec::new();
        for i in 0..devices.len() {
            reports.push(few_shot(&devices, i, &opts)?);
        }
        write_few_shot(&args.out_dir, &reports, devices.iter().any(|d| d.synthetic))?;
        eprintln!("few-shot -> {}", args.out_dir.join("few_shot.md").display());
    }
    Ok(ExitCode::SUCCESS)
}
