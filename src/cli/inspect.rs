//! `leti inspect`: reads cell specs as JSON lines, validates and prunes each, and writes its
//! hash, pruned spec and network cost as a JSON line. Bad lines are reported on stderr with
//! their line number; the others are still processed; the exit status tells whether all were good.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::net_args::NetArgs;
use super::output::{json_line, writer};
use super::Outcome;
use crate::engine::{schedule, PlanRules};
use crate::net::{build, Cost, LayerCounts, Net, NetConfig};
use crate::space::{CellSpec, ModuleHash};

pub const LONG_ABOUT: &str = "\
Validate, prune, hash and cost cell specs read as JSON lines.

Each input line must be one JSON object with `module_adjacency` (a square, strictly
upper-triangular 0/1 matrix) and `module_operations` (input, conv3x3-bn-relu, conv1x1-bn-relu,
maxpool3x3, output); other fields are ignored. Unpruned specs are accepted: vertices not on an
input-to-output path are removed exactly as NAS-Bench-101 does, and the pruned cell is what is
hashed and costed.

For every valid line one JSON line is written with: `line` (its input line number, from 1),
`hash` (the NAS-Bench-101 module hash), the pruned `module_adjacency` and `module_operations`,
`kept_vertices` (the input indices of the surviving vertices), and the cost of the full network:
`trainable_parameters` (as the dataset counts them), `macs` (multiply-accumulates of all
convolutions and the dense layer), `weight_bytes` (f32, batch norm folded),
`peak_activation_bytes` (largest live activation memory in execution order, f32),
`layer_counts`, and `launches`: the engine's kernel launches per inference under each of its
planner's rules (`fused_adds`, plan 3, the default; `merged_projections`, plan 2; `layerwise`,
before plan 2).

An invalid line (including a blank one) is reported on stderr as `line N: reason`; no output line
is written for it, the remaining lines are still processed, and the command exits with status 1
at the end.";

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// JSON-lines file of cell specs; stdin when omitted or `-`.
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub net: NetArgs,
}

/// One output line of `inspect`.
#[derive(Debug, Serialize)]
pub struct InspectLine {
    pub line: usize,
    pub hash: ModuleHash,
    pub module_adjacency: Vec<Vec<u8>>,
    pub module_operations: Vec<String>,
    pub kept_vertices: Vec<usize>,
    pub trainable_parameters: u64,
    pub macs: u64,
    pub weight_bytes: u64,
    pub peak_activation_bytes: u64,
    pub layer_counts: LayerCounts,
    pub launches: Launches,
}

/// Kernel launches per inference under each of the planner's rules.
#[derive(Debug, Serialize)]
pub struct Launches {
    pub fused_adds: usize,
    pub merged_projections: usize,
    pub layerwise: usize,
}

fn launches(net: &Net) -> Result<Launches, String> {
    let count = |rules| schedule(net, true, rules).map(|s| s.steps.len()).map_err(|e| e.to_string());
    Ok(Launches { fused_adds: count(PlanRules::FusedAdds)?, merged_projections: count(PlanRules::MergedProjections)?, layerwise: count(PlanRules::Layerwise)? })
}

/// Inspects the text of one input line.
fn inspect_line(line: usize, text: &str, config: &NetConfig) -> Result<InspectLine, String> {
    if text.trim().is_empty() {
        return Err("blank line: expected a JSON object with module_adjacency and module_operations".into());
    }
    let spec = CellSpec::from_json_str(text).map_err(|e| e.to_string())?;
    let pruned = spec.prune().map_err(|e| e.to_string())?;
    let cell = pruned.cell;
    let net = build(&cell, config);
    let cost = Cost::of(&net);
    let spec = cell.to_spec();
    Ok(InspectLine {
        line,
        hash: cell.hash(),
        module_adjacency: spec.module_adjacency,
        module_operations: spec.module_operations,
        kept_vertices: pruned.kept,
        trainable_parameters: cost.trainable_parameters,
        macs: cost.macs,
        weight_bytes: cost.weight_bytes,
        peak_activation_bytes: cost.peak_activation_bytes,
        layer_counts: cost.layer_counts,
        launches: launches(&net)?,
    })
}

pub fn run(args: InspectArgs) -> anyhow::Result<Outcome> {
    let config = args.net.config();
    let (mut reader, source): (Box<dyn BufRead>, String) = match args.input.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            let f = File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            (Box::new(BufReader::new(f)), p.display().to_string())
        }
        _ => (Box::new(BufReader::new(io::stdin().lock())), "stdin".into()),
    };
    let mut out = writer(args.out.as_deref())?;
    let (mut total, mut bad) = (0usize, 0usize);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let read = reader.by_ref().read_until(b'\n', &mut buf).with_context(|| format!("cannot read {source}"))?;
        if read == 0 {
            break;
        }
        total += 1;
        let result = match std::str::from_utf8(&buf) {
            Ok(text) => inspect_line(total, text.trim_end_matches(['\n', '\r']), &config),
            Err(e) => Err(format!("not UTF-8 text: {e}")),
        };
        match result {
            Ok(line) => json_line(&mut out, &line).context("cannot write result")?,
            Err(reason) => {
                // Flush first so stdout and stderr interleave in input order on a terminal.
                out.flush().context("cannot write result")?;
                eprintln!("leti: {source}: line {total}: {reason}");
                bad += 1;
            }
        }
    }
    out.flush().context("cannot write result")?;
    if bad > 0 {
        eprintln!("leti: {bad} of {total} lines of {source} were not valid cells");
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_bad_lines_are_errors_with_reasons() {
        let cfg = NetConfig::default();
        assert!(inspect_line(1, "   ", &cfg).unwrap_err().contains("blank line"));
        let e = inspect_line(2, r#"{"module_adjacency": [[0,1],[0,0]], "module_operations": ["input","conv"]}"#, &cfg).unwrap_err();
        assert!(e.contains("unknown op \"conv\""), "{e}");
    }

    #[test]
    fn pruned_spec_and_kept_vertices_are_reported() {
        // Vertex 2 dangles and is pruned.
        let text = r#"{"module_adjacency": [[0,1,1,0],[0,0,0,1],[0,0,0,0],[0,0,0,0]],
            "module_operations": ["input","conv3x3-bn-relu","maxpool3x3","output"]}"#;
        let l = inspect_line(7, text, &NetConfig::default()).unwrap();
        assert_eq!(l.line, 7);
        assert_eq!(l.kept_vertices, vec![0, 1, 3]);
        assert_eq!(l.module_operations, vec!["input", "conv3x3-bn-relu", "output"]);
        assert_eq!(l.layer_counts.maxpool3x3, 0);
    }
}
