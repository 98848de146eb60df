//! `leti layers`: every distinct layer configuration (kind, kernel, channels, spatial size,
//! inputs) the whole space's networks use: the size of the lookup table, and the list
//! `leti measure --layers` times in isolation.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::net::NetConfig;
use crate::predict::{distinct_layer_configs, LayerOp};

#[derive(clap::Args, Debug)]
pub struct LayersArgs {
    /// Write the configurations as JSONL (one {"config": ...} per line) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: LayersArgs) -> anyhow::Result<ExitCode> {
    let space = crate::space::enumerate();
    let cells: Vec<_> = space.entries.iter().map(|e| e.cell).collect();
    let configs = distinct_layer_configs(&cells, &NetConfig::default());
    println!("{} cells need {} distinct layer configurations:", cells.len(), configs.len());
    for op in [LayerOp::Conv, LayerOp::Maxpool, LayerOp::Add, LayerOp::Concat, LayerOp::GlobalAvgPool, LayerOp::Dense] {
        let n = configs.iter().filter(|c| c.op == op).count();
        println!("  {:<16} {n}", serde_json::to_value(op)?.as_str().unwrap_or(""));
    }
    if let Some(path) = &args.out {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?);
        for c in &configs {
            writeln!(f, "{}", serde_json::json!({ "config": c }))?;
        }
        f.flush()?;
        println!("-> {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
