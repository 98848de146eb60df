//! Fixed models and their expected prediction bits (`tests/fixtures/`), so any platform
//! (wasm32 included, e.g. from a wasm-bindgen test reading the same files) can check that it
//! predicts exactly what the native build did. The models are trained on SYNTHETIC data and
//! are test fixtures only. Regenerate (after a deliberate format or feature change) with
//! `cargo test --test predict_fixture -- --ignored`.

use leti::predict::synthetic::{random_cells, SyntheticDevice};
use leti::predict::train::{as_model, fit, Data, GbtOptions, ModelKind, TrainOptions};
use leti::predict::{calibrate, features, CalibrationOptions, Model, Target};
use leti::space::CellSpec;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const MODELS: [&str; 2] = ["synthetic-gbt-calibrated", "synthetic-ridge-log"];

#[test]
#[ignore]
fn regenerate_fixtures() {
    let cells = random_cells(120, 31);
    let feats: Vec<_> = cells.iter().map(features).collect();
    let devs = SyntheticDevice::presets();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(5);
    let ms: Vec<f64> = cells.iter().map(|c| devs[0].measure_ms(c, &mut rng)).collect();
    let d = Data { cells: &cells, features: &feats, ms: &ms };
    let opts = TrainOptions { gbt: GbtOptions { n_trees: 25, max_depth: 5, learning_rate: 0.15, min_samples_leaf: 4, n_bins: 24 }, ..TrainOptions::default() };
    let synthetic = |m: Model| {
        let mut f = m.file;
        f.training.synthetic = true;
        f.training.device = "SYNTHETIC test fixture".into();
        Model::new(f).unwrap()
    };
    let gbt = synthetic(as_model(fit(ModelKind::Gbt, &d, &opts, None).unwrap(), Target::GpuMedianMs).unwrap());
    let anchors: Vec<_> = cells[..10].iter().map(|c| (*c, devs[1].measure_ms(c, &mut rng))).collect();
    let cal = calibrate(&gbt, &anchors, "SYNTHETIC fixture", &CalibrationOptions::default()).unwrap();
    let ridge = synthetic(as_model(fit(ModelKind::RidgeLog, &d, &opts, None).unwrap(), Target::GpuMedianMs).unwrap());
    let probe = random_cells(40, 32);
    for (name, m) in MODELS.iter().zip([cal, ridge]) {
        std::fs::write(format!("{DIR}/{name}.model.json"), m.to_json()).unwrap();
        let mut lines = String::new();
        for c in &probe {
            let p = m.predict(c).unwrap();
            let v = serde_json::json!({"cell": c.to_spec(), "ms_bits": format!("{:016x}", p.ms.to_bits()), "lo_bits": format!("{:016x}", p.lo_ms.to_bits()), "hi_bits": format!("{:016x}", p.hi_ms.to_bits())});
            lines.push_str(&v.to_string());
            lines.push('\n');
        }
        std::fs::write(format!("{DIR}/{name}.expected.jsonl"), lines).unwrap();
    }
}

#[test]
fn fixture_models_predict_the_recorded_bits() {
    for name in MODELS {
        let m = Model::from_json_bytes(&std::fs::read(format!("{DIR}/{name}.model.json")).unwrap()).unwrap();
        assert!(m.file.training.synthetic, "fixtures are synthetic");
        let text = std::fs::read_to_string(format!("{DIR}/{name}.expected.jsonl")).unwrap();
        let mut n = 0;
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let cell = CellSpec::from_json_value(&v["cell"]).unwrap().validate().unwrap();
            let p = m.predict(&cell).unwrap();
            let bits = |k: &str| u64::from_str_radix(v[k].as_str().unwrap(), 16).unwrap();
            assert_eq!(p.ms.to_bits(), bits("ms_bits"), "{name}: {line}");
            assert_eq!(p.lo_ms.to_bits(), bits("lo_bits"));
            assert_eq!(p.hi_ms.to_bits(), bits("hi_bits"));
            n += 1;
        }
        assert_eq!(n, 40);
    }
}
