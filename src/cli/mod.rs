//! The `leti` command line (native only): subcommands parse their own arguments and run.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod adapters;
pub mod measure;

/// Measure and predict NAS-Bench-101 network latency on GPUs (WebGPU / Vulkan).
#[derive(Parser, Debug)]
#[command(name = "leti", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Measure networks on a GPU adapter and append measurement records (JSONL).
    Measure(measure::MeasureArgs),
    /// List the GPU adapters wgpu sees, with timestamp support and key limits.
    Adapters(adapters::AdaptersArgs),
}

/// Parses the command line and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Measure(a) => measure::run(a),
        Command::Adapters(a) => adapters::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
