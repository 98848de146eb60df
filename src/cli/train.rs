//! `leti train`: fit one model kind on one device's measurement records and write the
//! model file; or, with `--from-db`, one learning pass of the collector over a database (a
//! device model for every eligible device, as `leti serve` learns them).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::db_args::{runtime, DbArgs};
use super::records_args::RecordsArgs;
use crate::predict::evaluate::training_info;
use crate::predict::train::{train_model, Data, GbtOptions, ModelKind, TrainOptions};
use crate::server::{learn_pass, LearnOptions, LearnerStatus, Outcome, PassMode, Status, DEFAULT_MIN_CELLS};

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub records: RecordsArgs,
    /// Model family.
    #[arg(long, value_enum, default_value_t = ModelKind::Gbt)]
    pub model: ModelKind,
    /// Output model file (required unless --from-db).
    #[arg(long)]
    pub out: Option<PathBuf>,
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
    /// Instead of --data: one learning pass over a collector database (--db / --database-url):
    /// every device with enough consistent cells gets a device model, stored in the database
    /// (a running or later `leti serve` serves it) and/or written to --out-dir; prints one
    /// line per device.
    #[arg(long, conflicts_with_all = ["data", "out"])]
    pub from_db: bool,
    #[command(flatten)]
    pub db: DbArgs,
    /// With --from-db: also write each learned model to DIR/<name>.model.json.
    #[arg(long, value_name = "DIR", requires = "from_db")]
    pub out_dir: Option<PathBuf>,
    /// With --from-db: leave the database unchanged (only --out-dir gets the models).
    #[arg(long, requires = "from_db")]
    pub no_store: bool,
    /// With --from-db: the bundled models (*.model.json) device models borrow from.
    #[arg(long, value_name = "DIR", default_value = "trained")]
    pub models_dir: PathBuf,
    /// With --from-db: distinct cells a device needs.
    #[arg(long, default_value_t = DEFAULT_MIN_CELLS)]
    pub min_cells: usize,
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    if args.from_db {
        return from_db(&args);
    }
    let Some(out) = args.out.clone() else { bail!("give the output model file with --out FILE (or use --from-db)") };
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
    let mut model = train_model(args.model, &data, dev.target, &opts, table.as_ref(), training_info(dev, &source))?;
    model.network.precision = dev.precision;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).ok();
    }
    std::fs::write(&out, model.to_json()).with_context(|| format!("writing {}", out.display()))?;
    if dev.synthetic {
        eprintln!("note: trained on SYNTHETIC records (test generator); the model is flagged synthetic");
    }
    eprintln!("{}: {} model on {} cells -> {}", dev.key, args.model.as_str(), dev.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

/// `--from-db`: one forced learning pass; prints a tab-separated line per device.
fn from_db(args: &TrainArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let opts = LearnOptions { min_cells: args.min_cells };
    let mode = PassMode { force: true, write: !args.no_store };
    let outcomes = runtime()?.block_on(async {
        let store = args.db.open().await?;
        let result = learn_pass(&store, args.models_dir.clone(), &opts, mode, &LearnerStatus::default()).await;
        store.close().await;
        result
    })?;
    println!("device\tstatus\tcells\twithin_10\theld_out\tdetail");
    for o in &outcomes {
        println!("{}", outcome_line(o, args.out_dir.as_deref())?);
    }
    if outcomes.is_empty() {
        eprintln!("the database holds no records");
    }
    Ok(ExitCode::SUCCESS)
}

/// One device's line; writes the model to `out_dir` when learned.
fn outcome_line(o: &Outcome, out_dir: Option<&std::path::Path>) -> anyhow::Result<String> {
    let r = &o.row;
    let within = r.within_10.map_or("-".to_string(), |w| format!("{w:.3}"));
    let mut detail = match r.status {
        Status::Learned => format!("{} ({})", r.name, r.method),
        _ => r.reason.clone(),
    };
    if let (Some(dir), Some(json)) = (out_dir, &o.model_json) {
        let path = dir.join(format!("{}.model.json", r.name));
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
        detail.push_str(&format!(" -> {}", path.display()));
    }
    Ok(format!("{}\t{}\t{}\t{within}\t{}\t{detail}", r.device, r.status.as_str(), r.n_cells, r.eval_cells))
}
