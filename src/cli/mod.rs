//! The `leti` command line (native only): the top-level parser and dispatch. Each subcommand
//! owns one file holding its argument struct and its `run` function; adding a subcommand means
//! adding a file, a variant to [`Command`] and a line to [`dispatch`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod db_args;
pub mod export;
pub mod import;
pub mod inspect;
pub mod output;
pub mod serve;
pub mod space;

const LONG_ABOUT: &str = "\
LETI measures and predicts how fast NAS-Bench-101 networks run on (phone) GPUs.

NAS-Bench-101 is a space of 423,624 unique convolutional cells; every network in it stacks one
cell 9 times. LETI enumerates that space with the dataset's own module hashes (so results join
the dataset's accuracies), builds each cell's full network as a layer graph with its cost
(parameters, MACs, memory), runs it on a GPU through WebGPU/Vulkan, and trains regressors that
predict latency for every cell.

Cells are read and written as JSON objects with NAS-Bench-101's field names:
  {\"module_adjacency\": [[0,1],[0,0]], \"module_operations\": [\"input\",\"output\"]}";

/// LETI: latency of NAS-Bench-101 networks on (phone) GPUs.
#[derive(Debug, Parser)]
#[command(name = "leti", version, about, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enumerate, sample or pack the NAS-Bench-101 cell space.
    #[command(subcommand)]
    Space(space::SpaceCommand),
    /// Validate, prune, hash and cost cell specs read as JSON lines.
    #[command(long_about = inspect::LONG_ABOUT)]
    Inspect(inspect::InspectArgs),
    /// Serve the web app and collect contributed measurements into a database.
    Serve(serve::ServeArgs),
    /// Write stored measurements from a database to a JSONL (or CSV) file.
    Export(export::ExportArgs),
    /// Validate a JSONL file of measurements and add its records to a database.
    Import(import::ImportArgs),
}

/// What a subcommand reports when it finished: success, or failure after reporting its own
/// errors (for commands that keep going past bad input and fail at the end).
pub enum Outcome {
    Success,
    Failed,
}

fn dispatch(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Space(cmd) => space::run(cmd),
        Command::Inspect(args) => inspect::run(args),
        Command::Serve(args) => serve::run(args).map(|()| Outcome::Success),
        Command::Export(args) => export::run(args).map(|()| Outcome::Success),
        Command::Import(args) => import::run(args).map(|()| Outcome::Success),
    }
}

/// Parses the command line, runs the command and turns errors into a message on stderr
/// and a non-zero exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::FAILURE,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leti: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
