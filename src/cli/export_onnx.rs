//! `leti export-onnx`: one cell's network as an ONNX file, with the seeded weights the engine
//! measures with (batch norm folded), for any ONNX runtime or viewer.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::Value;

use super::cell_json::spec_value;
use super::net_args::NetArgs;
use crate::engine::{onnx, MEASURE_SEED};
use crate::net::{build, Cost};
use crate::space::{Cell, CellSpec};

pub const LONG_ABOUT: &str = "\
Write one cell's network as an ONNX file (opset 17).

The input is one JSON object: a cell spec ({\"module_adjacency\": ..., \"module_operations\": ...},
unpruned allowed: it is pruned as NAS-Bench-101 does) or an object with such a `cell` field, e.g.
a measurement record. The network is the one `leti measure` runs for the cell (stem, stacks of
the cell, global average pool, dense classifier), with the same seeded weights; batch norm is
folded into each convolution's weights and bias, so every conv is Conv + bias + ReLU.

The model has one float32 input `input` (batch x 3 x size x size, NCHW) and one output
`logits` (batch x 10).";

#[derive(Debug, Args)]
pub struct ExportOnnxArgs {
    /// JSON file holding one cell (a spec, or an object with a `cell` field); stdin when
    /// omitted or `-`.
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The ONNX file to write; default `cell-<first 8 hex digits of the module hash>.onnx` in
    /// the current directory.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Seed of the weights (the default is the seed `leti measure` runs the networks with).
    #[arg(long, default_value_t = MEASURE_SEED)]
    pub seed: u64,
    /// Images per inference: the batch dimension of the input and the logits.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub batch: u64,
    #[command(flatten)]
    pub net: NetArgs,
}

/// The pruned cell of one JSON text: a spec, or an object with a `cell` field holding one.
pub fn parse_cell(text: &str) -> anyhow::Result<Cell> {
    let v: Value = serde_json::from_str(text).context("not one JSON value (expected one cell as a JSON object)")?;
    let spec = spec_value(&v).context("no module_adjacency and no `cell` field: not a cell spec")?;
    let pruned = CellSpec::from_json_value(spec)?.prune()?;
    Ok(pruned.cell)
}

pub fn run(args: ExportOnnxArgs) -> anyhow::Result<()> {
    let (text, source) = match args.input.as_deref() {
        Some(p) if p.as_os_str() != "-" => (std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?, p.display().to_string()),
        _ => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("cannot read stdin")?;
            (text, "stdin".into())
        }
    };
    let cell = parse_cell(&text).with_context(|| format!("{source}: not a valid cell"))?;
    let config = crate::net::NetConfig { batch: args.batch as usize, ..args.net.config() };
    let net = build(&cell, &config);
    let bytes = onnx::export(&net, args.seed);
    let out = args.out.unwrap_or_else(|| PathBuf::from(onnx::file_name(&cell)));
    std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    let s = net.tensors[net.input].shape;
    let weights = Cost::of(&net).weight_bytes / 4;
    println!(
        "cell {}: {} layers, {weights} weights (seed {}), input {}x{}x{}x{} -> {} ({} bytes)",
        cell.hash().to_hex(),
        net.layers.len(),
        args.seed,
        s.n,
        s.c,
        s.h,
        s.w,
        out.display(),
        bytes.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_read_from_a_spec_or_a_cell_field_and_pruned() {
        let spec = r#"{"module_adjacency": [[0,1,1,0],[0,0,0,1],[0,0,0,0],[0,0,0,0]], "module_operations": ["input","conv3x3-bn-relu","maxpool3x3","output"]}"#;
        let cell = parse_cell(spec).unwrap();
        assert_eq!(cell.num_vertices(), 3, "the dangling maxpool is pruned");
        assert_eq!(parse_cell(&format!(r#"{{"cell": {spec}, "ms": 3.5}}"#)).unwrap(), cell);
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        let err = |t: &str| format!("{:#}", parse_cell(t).unwrap_err());
        assert!(err("{not json").contains("not one JSON value"));
        assert!(err(r#"{"ms": 1}"#).contains("not a cell spec"));
        assert!(err(r#"{"module_adjacency": [[0,1],[0,0]], "module_operations": ["input","conv7x7"]}"#).contains("unknown op \"conv7x7\""));
    }
}
