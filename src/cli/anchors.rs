//! `leti anchors`: the fixed anchor set every device measures first (for few-shot
//! calibration), as JSONL in measuring order.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::predict::anchor_set;

#[derive(clap::Args, Debug)]
pub struct AnchorsArgs {
    /// Write the anchors here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: AnchorsArgs) -> anyhow::Result<ExitCode> {
    let space = crate::space::enumerate();
    let cells: Vec<_> = space.entries.iter().map(|e| e.cell).collect();
    let anchors = anchor_set(&cells);
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    for (rank, &i) in anchors.iter().enumerate() {
        let e = &space.entries[i];
        writeln!(out, "{}", serde_json::json!({"rank": rank, "index": i, "code": e.code, "hash": e.hash.to_hex(), "cell": e.cell.to_spec()}))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
