//! Formatting shared by the pages: counts with thousands separators, latencies, durations,
//! byte sizes, shares, and a cell spec as hand-editable JSON. Pure functions, so the wasm
//! tests check them without a page.

use crate::space::CellSpec;

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A latency in ms with sensible precision: `850 ms`, `12.3 ms`, `2.78 ms`.
pub fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// A duration given in ms, to the second: `45 s`, `2 min 05 s`.
pub fn duration(ms: f64) -> String {
    let s = (ms / 1000.0).round() as u64;
    if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// A byte count in MiB with two decimals.
pub fn mib(b: u64) -> String {
    format!("{:.2} MiB", b as f64 / (1024.0 * 1024.0))
}

/// A byte count in the largest binary unit that keeps it at 1 or more: `256 MiB`, `1.5 KiB`.
pub fn human_bytes(b: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if v.fract() == 0.0 {
        format!("{v} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A share in `0..=1` as a whole percentage.
pub fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A spec as JSON with one adjacency row per line (easier to edit by hand than serde's).
pub fn spec_json(spec: &CellSpec) -> String {
    let rows: Vec<String> = spec.module_adjacency.iter().map(|r| format!("    [{}]", r.iter().map(u8::to_string).collect::<Vec<_>>().join(", "))).collect();
    let ops: Vec<String> = spec.module_operations.iter().map(|o| serde_json::to_string(o).expect("strings serialise")).collect();
    format!("{{\n  \"module_adjacency\": [\n{}\n  ],\n  \"module_operations\": [{}]\n}}", rows.join(",\n"), ops.join(", "))
}
