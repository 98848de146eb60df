//! Writes SYNTHETIC measurement records (JSONL) for smoke-testing `leti train` /
//! `leti evaluate` before real measurements exist. Never ship models trained on them.
//!
//! `cargo run --release --example synthetic_records -- OUT.jsonl [CELLS_PER_DEVICE] [SEED]`

use std::io::Write;

use leti::predict::synthetic::SyntheticDevice;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).map(String::as_str).unwrap_or("synthetic.jsonl");
    let n: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let seed: u64 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let space = leti::space::enumerate();
    let cells: Vec<_> = leti::space::sample(&space, n, seed).into_iter().map(|e| e.cell).collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(out)?);
    for (i, dev) in SyntheticDevice::presets().iter().enumerate() {
        for r in dev.records(&cells, seed * 31 + i as u64) {
            writeln!(f, "{}", serde_json::to_string(&r)?)?;
        }
    }
    f.flush()?;
    eprintln!("wrote SYNTHETIC records of {n} cells x {} devices to {out}", SyntheticDevice::presets().len());
    Ok(())
}
