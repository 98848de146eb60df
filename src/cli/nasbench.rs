//! `leti nasbench import`: reads a NAS-Bench-101 dataset file (TFRecord) the user downloaded
//! and writes its trained results as LETI's compact accuracy file, atomically.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use super::Outcome;
use crate::space::nasbench::{import, ImportSummary};
use crate::space::{self, Accuracies};

const IMPORT_ABOUT: &str = "\
Import NAS-Bench-101's trained results into LETI's compact accuracy file.

NAS-Bench-101 (Ying et al., 2019) trained every cell of the space on CIFAR-10, three times per
epoch budget. Its dataset is public; LETI neither bundles nor downloads it. Fetch it yourself:
  https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord  (108 epochs only, ~0.5 GB)
  https://storage.googleapis.com/nasbench/nasbench_full.tfrecord     (4, 12, 36, 108 epochs, ~2 GB)

The import streams the file, checks every record's checksums and that each row's cell hashes
to the row's module hash, and keeps each training run's final test and validation accuracy and
training time, and each cell's trainable parameters, for every cell of the space in LETI's
order. The output (about 11 MB for the 108-epoch file) is what `leti predict --nasbench` and
`leti export --nasbench` read; it is written only when the whole file imported (a temporary
file next to it, then renamed), so an error leaves no output and an existing file untouched.";

#[derive(Debug, Subcommand)]
pub enum NasbenchCommand {
    /// Import the NAS-Bench-101 dataset file (which you download yourself) into LETI's
    /// accuracy file.
    #[command(long_about = IMPORT_ABOUT)]
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The dataset file: nasbench_only108.tfrecord or nasbench_full.tfrecord.
    #[arg(value_name = "FILE.tfrecord")]
    pub file: PathBuf,
    /// The accuracy file to write (replaced only when the import succeeds).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(cmd: NasbenchCommand) -> anyhow::Result<Outcome> {
    match cmd {
        NasbenchCommand::Import(args) => run_import(&args)?,
    }
    Ok(Outcome::Success)
}

fn run_import(args: &ImportArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let file = File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let size = file.metadata().with_context(|| format!("reading {}", args.file.display()))?.len();
    let bar = ProgressBar::new(size);
    bar.set_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes}  {bytes_per_sec}  ETA {eta}  {msg}").expect("a valid template"));
    bar.set_message("listing the space's cells");
    let space = space::enumerate();
    bar.set_message("");
    bar.reset_eta();
    let result = import(BufReader::with_capacity(1 << 20, file), &space, |bytes| bar.set_position(bytes));
    bar.finish_and_clear();
    let (table, summary) = result.with_context(|| format!("importing {}; nothing was written", args.file.display()))?;
    write_atomically(&args.out, &table.to_bytes())?;
    print_summary(&args.out, &table, &summary, start.elapsed().as_secs_f64());
    Ok(())
}

fn print_summary(out: &Path, table: &Accuracies, s: &ImportSummary, seconds: f64) {
    let runs: u64 = s.budgets.iter().map(|b| b.runs).sum();
    println!("read {} records ({} bytes) in {seconds:.1} s: {runs} training runs", s.records, s.bytes);
    for b in &s.budgets {
        println!("  {:>3} epochs: {} cells with results, {} runs", b.epochs, b.cells, b.runs);
    }
    let with_params = table.params.iter().filter(|&&p| p > 0).count();
    println!("wrote {} ({} cells of the space, {with_params} with results)", out.display(), table.len());
}

/// Writes `bytes` to `path` through a temporary file in the same directory renamed over it, so
/// `path` is either untouched or complete; the temporary file is removed on any error.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().with_context(|| format!("{} is not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = File::options().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}
