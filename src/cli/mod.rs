//! The `leti` command line (native only): the top-level parser and dispatch. Each subcommand
//! owns one file holding its argument struct and its `run` function; adding a subcommand means
//! adding a file, a variant to [`Command`] and a line to [`dispatch`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod adapters;
pub mod anchors;
mod cell_json;
pub mod db_args;
pub mod evaluate;
pub mod export;
pub mod export_onnx;
pub mod import;
pub mod inspect;
pub mod layers;
pub mod measure;
mod measure_layers;
pub mod nasbench;
mod nasbench_join;
pub mod net_args;
pub mod output;
pub mod predict;
pub mod records_args;
pub mod serve;
pub mod space;
pub mod train;
mod value_enums;

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
    /// Measure networks on a GPU adapter and append measurement records (JSONL).
    Measure(measure::MeasureArgs),
    /// List the GPU adapters wgpu sees, with timestamp support and key limits.
    Adapters(adapters::AdaptersArgs),
    /// Serve the web app and collect contributed measurements into a database.
    Serve(serve::ServeArgs),
    /// Write one cell's network, with the seeded weights the engine runs, as an ONNX file.
    #[command(long_about = export_onnx::LONG_ABOUT)]
    ExportOnnx(export_onnx::ExportOnnxArgs),
    /// Write stored measurements from a database to a JSONL (or CSV) file.
    Export(export::ExportArgs),
    /// Validate a JSONL file of measurements and add its records to a database.
    Import(import::ImportArgs),
    /// Train a latency model for one device from measurement records, or for every device of
    /// a collector database (--from-db).
    Train(train::TrainArgs),
    /// Evaluate every baseline and model on held-out cells; write reports and plots.
    Evaluate(evaluate::EvaluateArgs),
    /// Predict latencies of cells (JSONL in, JSONL out) or of a packed space file.
    Predict(predict::PredictArgs),
    /// List the distinct layer configurations the whole space needs (lookup-table size).
    Layers(layers::LayersArgs),
    /// Print the fixed anchor set (cells every device measures first, for calibration).
    Anchors(anchors::AnchorsArgs),
    /// Bring in NAS-Bench-101's trained accuracies from the dataset file (which you download
    /// yourself), for `predict --nasbench` and `export --nasbench`.
    #[command(subcommand)]
    Nasbench(nasbench::NasbenchCommand),
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
        Command::Measure(args) => measure::run(args).map(exit_outcome),
        Command::Adapters(args) => adapters::run(args).map(exit_outcome),
        Command::Serve(args) => serve::run(args).map(|()| Outcome::Success),
        Command::Export(args) => export::run(args).map(|()| Outcome::Success),
        Command::ExportOnnx(args) => export_onnx::run(args).map(|()| Outcome::Success),
        Command::Import(args) => import::run(args).map(|()| Outcome::Success),
        Command::Train(args) => train::run(args).map(exit_outcome),
        Command::Evaluate(args) => evaluate::run(args).map(exit_outcome),
        Command::Predict(args) => predict::run(args).map(exit_outcome),
        Command::Layers(args) => layers::run(args).map(exit_outcome),
        Command::Anchors(args) => anchors::run(args).map(exit_outcome),
        Command::Nasbench(cmd) => nasbench::run(cmd),
    }
}

fn exit_outcome(code: ExitCode) -> Outcome {
    if code == ExitCode::SUCCESS {
        Outcome::Success
    } else {
        Outcome::Failed
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
