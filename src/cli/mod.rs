//! The `leti` command line (native only). Each subcommand lives in its own file as a
//! `clap::Args` struct with a `run` function.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod anchors;
pub mod evaluate;
pub mod layers;
pub mod predict;
pub mod train;

#[derive(Parser, Debug)]
#[command(name = "leti", version, about = "Measure and predict NAS-Bench-101 network latency on GPUs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a latency model for one device from measurement records.
    Train(train::TrainArgs),
    /// Evaluate every baseline and model on held-out cells; write reports and plots.
    Evaluate(evaluate::EvaluateArgs),
    /// Predict latencies of cells (JSONL in, JSONL out) or of a packed space file.
    Predict(predict::PredictArgs),
    /// List the distinct layer configurations the whole space needs (lookup-table size).
    Layers(layers::LayersArgs),
    /// Print the fixed anchor set (cells every device measures first, for calibration).
    Anchors(anchors::AnchorsArgs),
}

/// Parses the command line and runs the subcommand; errors print with their causes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(a) => train::run(a),
        Command::Evaluate(a) => evaluate::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Layers(a) => layers::run(a),
        Command::Anchors(a) => anchors::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
