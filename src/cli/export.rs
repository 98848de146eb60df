//! `leti export`: stored measurements from a database to a JSONL (or CSV) file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use futures_util::StreamExt;

use super::db_args::{runtime, DbArgs};
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
    #[command(flatten)]
    pub db: DbArgs,
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let format = Format::parse(&args.format).expect("clap allows only known formats");
    runtime()?.block_on(async {
        let store = args.db.open().await?;
        let to_stdout = args.out.as_os_str() == "-";
        let mut out: Box<dyn Write> = if to_stdout {
            Box::new(std::io::stdout().lock())
        } else {
            let f = std::fs::File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
            Box::new(std::io::BufWriter::new(f))
        };
        let mut stream = std::pin::pin!(export_stream(store.clone(), args.device.clone(), format));
        let mut lines = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            lines += chunk.iter().filter(|&&b| b == b'\n').count();
            out.write_all(&chunk).context("writing the export")?;
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
