//! Native == wasm32, bit for bit, for model inference (wasm-bindgen-test, headless Chromium):
//! the two fixture models of `tests/fixtures/` predict, in the browser's wasm build, exactly
//! the bits the native build recorded (`tests/predict_fixture.rs` checks the same files
//! natively), so the Draw and Explore pages show what `leti predict` prints.
#![cfg(target_arch = "wasm32")]

use leti::predict::Model;
use leti::space::CellSpec;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Each fixture: its model file and the expected prediction bits, one cell per line.
const FIXTURES: [(&str, &str, &str); 2] = [
    (
        "synthetic-gbt-calibrated",
        include_str!("fixtures/synthetic-gbt-calibrated.model.json"),
        include_str!("fixtures/synthetic-gbt-calibrated.expected.jsonl"),
    ),
    ("synthetic-ridge-log", include_str!("fixtures/synthetic-ridge-log.model.json"), include_str!("fixtures/synthetic-ridge-log.expected.jsonl")),
];

/// The cells of `expected` whose predicted bits differ from the recorded ones, as messages.
fn mismatches(model: &Model, expected: &str) -> (usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut n = 0;
    for (i, line) in expected.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let cell = CellSpec::from_json_value(&v["cell"]).unwrap().validate().unwrap();
        let p = model.predict(&cell).unwrap();
        for (key, got) in [("ms_bits", p.ms), ("lo_bits", p.lo_ms), ("hi_bits", p.hi_ms)] {
            let want = u64::from_str_radix(v[key].as_str().unwrap(), 16).unwrap();
            if want != got.to_bits() {
                bad.push(format!("line {}: {key} {:016x}, native {want:016x}", i + 1, got.to_bits()));
            }
        }
        n += 1;
    }
    (n, bad)
}

#[wasm_bindgen_test]
fn fixture_models_predict_the_native_bits_in_wasm() {
    for (name, model, expected) in FIXTURES {
        let m = Model::from_json_bytes(model.as_bytes()).unwrap();
        assert!(m.file.training.synthetic, "{name}: fixtures are synthetic");
        let (n, bad) = mismatches(&m, expected);
        assert!(n >= 40, "{name}: only {n} cells in the fixture");
        assert!(bad.is_empty(), "{name}: wasm32 differs from the native bits:\n{}", bad.join("\n"));
    }
}
