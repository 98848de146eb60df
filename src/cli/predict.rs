//! `leti predict`: latency predictions with their range from a model file, for cells given
//! as JSONL or for every cell of a packed space file, optionally with each cell's NAS-Bench-101
//! results (`--nasbench`).

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::{json, Value};

use super::cell_json::spec_value;
use super::nasbench_join::NasbenchJoin;
use crate::predict::Model;
use crate::space::CellSpec;

#[derive(clap::Args, Debug)]
pub struct PredictArgs {
    /// Model file (`leti train` output).
    #[arg(long)]
    pub model: PathBuf,
    /// JSONL of cells: each line a cell spec ({module_adjacency, module_operations}) or an
    /// object with such a `cell` field (e.g. a measurement record). `-` or absent: stdin.
    pub cells: Option<PathBuf>,
    /// Predict every cell of a packed space file instead (output: one line per cell with
    /// its code).
    #[arg(long, conflicts_with = "cells")]
    pub space: Option<PathBuf>,
    /// Add each cell's NAS-Bench-101 results from an accuracy file (`leti nasbench import`).
    ///
    /// Each output line gets a `nasbench` field: the cell's mean test and validation accuracy
    /// and training seconds over its repeats at 108 epochs, the repeats, and its trainable
    /// parameters as the dataset reports them ({epochs, test_accuracy, validation_accuracy,
    /// training_seconds, repeats, params}); null when the file lacks the cell.
    #[arg(long, value_name = "FILE")]
    pub nasbench: Option<PathBuf>,
}

pub fn run(args: PredictArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.model).with_context(|| format!("reading {}", args.model.display()))?;
    let model = Model::from_json_bytes(&bytes).with_context(|| format!("loading {}", args.model.display()))?;
    if model.file.training.synthetic {
        eprintln!("note: this model was trained on SYNTHETIC data (tests only)");
    }
    let join = args.nasbench.as_deref().map(NasbenchJoin::load).transpose()?;
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    if let Some(space) = &args.space {
        let bytes = std::fs::read(space).with_context(|| format!("reading {}", space.display()))?;
        let s = crate::space::unpack(&bytes).with_context(|| format!("in {}", space.display()))?;
        for (i, cell) in s.cells.iter().enumerate() {
            let p = model.predict(cell)?;
            let mut v = json!({"code": s.codes[i], "ms": p.ms, "lo_ms": p.lo_ms, "hi_ms": p.hi_ms});
            if let Some(h) = &s.hashes {
                v["hash"] = json!(h[i].to_hex());
            }
            if let Some(j) = &join {
                v["nasbench"] = j.json_for_code(s.codes[i]);
            }
            writeln!(out, "{v}")?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let input: Box<dyn BufRead> = match &args.cells {
        Some(p) if p.as_os_str() != "-" => Box::new(std::io::BufReader::new(std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?)),
        _ => Box::new(std::io::stdin().lock()),
    };
    let mut failed = 0usize;
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let result = (|| -> anyhow::Result<Value> {
            let v: Value = serde_json::from_str(&line).context("not JSON")?;
            let spec_value = spec_value(&v).context("no cell spec and no `cell` field")?;
            let cell = CellSpec::from_json_value(spec_value)?.validate()?;
            let p = model.predict(&cell)?;
            let mut v = json!({"line": i + 1, "hash": cell.hash().to_hex(), "ms": p.ms, "lo_ms": p.lo_ms, "hi_ms": p.hi_ms});
            if let Some(j) = &join {
                v["nasbench"] = j.json_for_cell(&cell);
            }
            Ok(v)
        })();
        match result {
            Ok(v) => writeln!(out, "{v}")?,
            Err(e) => {
                failed += 1;
                writeln!(out, "{}", json!({"line": i + 1, "error": format!("{e:#}")}))?;
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("{failed} line(s) could not be predicted (see their error fields)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
