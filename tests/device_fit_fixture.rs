//! The device model the browser fits after each measured cell, from fixed records
//! (`tests/fixtures/device-fit.records.jsonl`: real SwiftShader records with repeats of cells,
//! and a few records of another device that must be left out) with the bundled models
//! (`trained/*.model.json`) as sources. The native fits' predictions are recorded bit for bit
//! in `tests/fixtures/device-fit.expected.jsonl`; tests/web_device_model.rs fits the same
//! records in headless Chromium and must get the same bits. After a deliberate change to
//! `fit_device` or the sources, regenerate with `LETI_REGENERATE=1 cargo test --test
//! device_fit_fixture` (and commit the new expected file).

use leti::measure::{device_cells, MeasurementRecord};
use leti::predict::{fit_device, Model, Target};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const SOURCES: [&str; 3] = ["h200-vulkan", "lavapipe-1core", "swiftshader-chromium"];
/// Fits on the first this many distinct cells (the anchors alone, leave-one-out), and on all.
const PREFIXES: [usize; 2] = [20, usize::MAX];

fn expected_lines() -> Vec<String> {
    let text = std::fs::read_to_string(format!("{DIR}/device-fit.records.jsonl")).unwrap();
    let records: Vec<MeasurementRecord> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let device = records[0].device_key();
    let pairs = device_cells(&records, &device);
    assert_eq!(pairs.len(), 34, "distinct SwiftShader cells of the fixture");
    let sources: Vec<Model> = SOURCES
        .iter()
        .map(|s| Model::from_json_bytes(&std::fs::read(format!("{}/trained/{s}.model.json", env!("CARGO_MANIFEST_DIR"))).unwrap()).unwrap())
        .collect();
    let refs: Vec<&Model> = sources.iter().collect();
    let mut lines = Vec::new();
    for n in PREFIXES.map(|n| n.min(pairs.len())) {
        let fit = fit_device(&pairs[..n], &refs, &device, Target::WallMedianMs).unwrap();
        let cv = fit.cv_within_10.map(|v| format!("{:016x}", v.to_bits()));
        for (cell, _) in &pairs {
            let p = fit.model.predict(cell).unwrap();
            let bits = |v: f64| format!("{:016x}", v.to_bits());
            let v = serde_json::json!({"n_cells": n, "method": fit.method, "cv_within_10_bits": cv, "cell": cell.to_spec(),
                "ms_bits": bits(p.ms), "lo_bits": bits(p.lo_ms), "hi_bits": bits(p.hi_ms)});
            lines.push(v.to_string());
        }
    }
    lines
}

#[test]
fn native_device_fits_predict_the_recorded_bits() {
    let path = format!("{DIR}/device-fit.expected.jsonl");
    let lines = expected_lines();
    if std::env::var_os("LETI_REGENERATE").is_some() {
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    let recorded = std::fs::read_to_string(&path).expect("tests/fixtures/device-fit.expected.jsonl (LETI_REGENERATE=1 writes it)");
    let recorded: Vec<&str> = recorded.lines().collect();
    assert_eq!(recorded.len(), lines.len(), "one line per fit and cell");
    for (got, want) in lines.iter().zip(&recorded) {
        assert_eq!(got, want, "the native fit no longer predicts the recorded bits (after a deliberate change: LETI_REGENERATE=1)");
    }
}
