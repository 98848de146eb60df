//! The `leti` command line (native only): one file per command, each a clap `Args` struct
//! and a `run` function.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod db_args;
pub mod export;
pub mod import;
pub mod serve;

/// Measure and predict NAS-Bench-101 network latency on phone GPUs.
#[derive(Debug, Parser)]
#[command(name = "leti", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and collect contributed measurements into a database.
    Serve(serve::ServeArgs),
    /// Write stored measurements from a database to a JSONL (or CSV) file.
    Export(export::ExportArgs),
    /// Validate a JSONL file of measurements and add its records to a database.
    Import(import::ImportArgs),
}

/// Parses the command line and runs the command; errors are printed, the exit code is 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Export(args) => export::run(args),
        Command::Import(args) => import::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
