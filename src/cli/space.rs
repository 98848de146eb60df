//! `leti space enumerate | sample | pack`: the whole NAS-Bench-101 space as JSON lines, a
//! seeded sample of it, or its compact binary encoding for the web app.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{json_line, writer};
use super::Outcome;
use crate::space::{self, ModuleHash, SpaceEntry};

#[derive(Debug, Subcommand)]
pub enum SpaceCommand {
    /// Write every unique cell of NAS-Bench-101 (423,624) as JSON lines.
    ///
    /// Each line holds `hash` (the dataset's 32-hex-digit module hash), `module_adjacency` and
    /// `module_operations` (the pruned spec the NAS-Bench-101 generator saw first for that hash).
    /// Lines come in the generator's order: by vertex count, then edge bitmask, then labeling.
    Enumerate(EnumerateArgs),
    /// Write N distinct cells drawn uniformly from the space, in the format of `enumerate`.
    ///
    /// The draw is seeded (ChaCha8): the same N and seed give the same cells in the same
    /// order on every machine. N larger than the space gives the whole space, shuffled.
    Sample(SampleArgs),
    /// Write the whole space in LETI's compact binary encoding (the file the web app loads).
    ///
    /// Layout (version 2): the magic `LETISPAC`, a version, flags, the cell count and the code
    /// stream's length, then each cell's generator code (vertex count, edge bitmask and
    /// labeling, from which the cell is rebuilt) as its difference from the one before, a
    /// signed LEB128 number (about a byte a cell), in the order of `enumerate`; with
    /// --with-hashes, 16 bytes of module hash per cell follow.
    Pack(PackArgs),
}

#[derive(Debug, Args)]
pub struct EnumerateArgs {
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// How many distinct cells to draw.
    #[arg(long)]
    pub n: usize,
    /// Seed of the random generator.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also store each cell's 16-byte module hash (20 bytes a cell instead of 4).
    #[arg(long)]
    pub with_hashes: bool,
}

/// One JSON line of `enumerate` and `sample`.
#[derive(Serialize)]
struct CellLine<'a> {
    hash: ModuleHash,
    module_adjacency: &'a [Vec<u8>],
    module_operations: &'a [String],
}

fn write_entries<'a>(entries: impl IntoIterator<Item = &'a SpaceEntry>, out: Option<&std::path::Path>) -> anyhow::Result<()> {
    let mut w = writer(out)?;
    for e in entries {
        let spec = e.cell.to_spec();
        let line = CellLine { hash: e.hash, module_adjacency: &spec.module_adjacency, module_operations: &spec.module_operations };
        json_line(&mut w, &line).context("cannot write cell")?;
    }
    w.flush().context("cannot write cell")?;
    Ok(())
}

pub fn run(cmd: SpaceCommand) -> anyhow::Result<Outcome> {
    match cmd {
        SpaceCommand::Enumerate(a) => {
            let space = space::enumerate();
            write_entries(&space.entries, a.out.as_deref())?;
        }
        SpaceCommand::Sample(a) => {
            let space = space::enumerate();
            write_entries(&space::sample(&space, a.n, a.seed), a.out.as_deref())?;
        }
        SpaceCommand::Pack(a) => {
            let start = Instant::now();
            let space = space::enumerate();
            let bytes = space::pack(&space.entries, a.with_hashes);
            std::fs::write(&a.out, &bytes).with_context(|| format!("cannot write {}", a.out.display()))?;
            println!(
                "wrote {}: {} cells, {} bytes ({:.2} per cell{}) in {:.1} s",
                a.out.display(),
                space.len(),
                bytes.len(),
                bytes.len() as f64 / space.len() as f64,
                if a.with_hashes { ", hashes included" } else { "" },
                start.elapsed().as_secs_f64()
            );
        }
    }
    Ok(Outcome::Success)
}
