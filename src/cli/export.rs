//! `leti export`: stored measurements from a database to a JSONL (or CSV) file, optionally
//! joined with NAS-Bench-101's results for each record's cell (`--nasbench`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use futures_util::StreamExt;

use super::db_args::{runtime, DbArgs};
use super::nasbench_join::{NasbenchJoin, CSV_COLUMNS};
use crate::measure::csv_header;
use crate::server::{export_stream, Format};

#[derive(Clone, Debug, Args)]
pub struct ExportArgs {
    /// Output file (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Export only this device (a key from `GET /api/v1/devices`).
    #[arg(long, value_name = "KEY")]
    pub device: Option<String>,
    /// jsonl (one MeasurementRecord per line, what `leti train` and `leti import` read) or csv.
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
    pub format: String,
    /// Add each record's NAS-Bench-101 results from an accuracy file (`leti nasbench import`).
    ///
    /// JSONL: each record gets a `nasbench` field, the cell's mean test and validation accuracy
    /// and training seconds over its repeats at 108 epochs, the repeats, and its trainable
    /// parameters as the dataset reports them ({epochs, test_accuracy, validation_accuracy,
    /// training_seconds, repeats, params}); null when the file lacks the cell. CSV: the same
    /// as the columns nasbench_test_accuracy, nasbench_validation_accuracy,
    /// nasbench_training_seconds, nasbench_repeats and nasbench_params after the record's
    /// (empty when the file lacks the cell).
    #[arg(long, value_name = "FILE")]
    pub nasbench: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Exported records with the join: the JSON lines the store streams, each rendered in the
/// output format with the cell's results (the stream's chunks need not end at a line's end).
struct Joiner {
    join: NasbenchJoin,
    csv: bool,
    pending: Vec<u8>,
}

impl Joiner {
    /// The rendered complete lines of `chunk` (with what was left over from earlier chunks).
    fn push(&mut self, chunk: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.pending.extend_from_slice(chunk);
        let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') else { return Ok(Vec::new()) };
        let mut out = Vec::with_capacity(end + end / 4);
        for line in self.pending[..end].split(|&b| b == b'\n').filter(|l| !l.trim_ascii().is_empty()) {
            out.extend_from_slice(&self.join.record_line(line, self.csv)?);
        }
        self.pending.drain(..=end);
        Ok(out)
    }

    /// The last line, if the stream did not end with a newline.
    fn finish(&mut self) -> anyhow::Result<Vec<u8>> {
        if self.pending.trim_ascii().is_empty() {
            return Ok(Vec::new());
        }
        self.pending.push(b'\n');
        self.push(&[])
    }
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let format = Format::parse(&args.format).expect("clap allows only known formats");
    let join = args.nasbench.as_deref().map(NasbenchJoin::load).transpose()?;
    runtime()?.block_on(async {
        let store = args.db.open().await?;
        let to_stdout = args.out.as_os_str() == "-";
        let mut out: Box<dyn Write> = if to_stdout {
            Box::new(std::io::stdout().lock())
        } else {
            let f = std::fs::File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
            Box::new(std::io::BufWriter::new(f))
        };
        // With a join the store's JSON lines are rendered here, in either format.
        let mut joiner = join.map(|join| Joiner { join, csv: format == Format::Csv, pending: Vec::new() });
        let source = if joiner.is_some() { Format::Jsonl } else { format };
        let mut stream = std::pin::pin!(export_stream(store.clone(), args.device.clone(), source));
        let mut lines = 0usize;
        let mut write = |bytes: &[u8]| -> anyhow::Result<()> {
            lines += bytes.iter().filter(|&&b| b == b'\n').count();
            out.write_all(bytes).context("writing the export")
        };
        if joiner.is_some() && format == Format::Csv {
            write(&csv_header(&CSV_COLUMNS))?;
        }
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            match &mut joiner {
                Some(j) => write(&j.push(&chunk)?)?,
                None => write(&chunk)?,
            }
        }
        if let Some(j) = &mut joiner {
            write(&j.finish()?)?;
        }
        out.flush().context("writing the export")?;
        store.close().await;
        let records = if format == Format::Csv { lines.saturating_sub(1) } else { lines };
        if !to_stdout {
            eprintln!("exported {records} records to {}", args.out.display());
        }
        Ok(())
    })
}
