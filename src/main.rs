//! The `leti` command-line tool (native only); see `leti --help`.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    leti::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
