//! The `leti` command-line tool (native only).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    leti::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
