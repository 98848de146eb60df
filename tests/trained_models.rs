//! The models shipped in `trained/`: each loads, is trained on real (not synthetic) records of
//! the default network and of one kernel configuration (which it names where the records do),
//! predicts its own bundled records closely, and its fast path (rank forest) gives the same bits
//! as the reference tree walk.

use std::path::Path;

use leti::net::NetConfig;
use leti::predict::dataset::read_records;
use leti::predict::{Model, Target};

fn bundled() -> Vec<(String, Model)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("trained").unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if let Some(dev) = name.strip_suffix(".model.json") {
            let m = Model::from_json_bytes(&std::fs::read(&p).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
            v.push((dev.to_string(), m));
        }
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn bundled_models_fit_their_bundled_records() {
    let models = bundled();
    assert!(!models.is_empty(), "trained/ holds no model");
    for (dev, m) in models {
        assert!(!m.file.training.synthetic, "{dev}: a synthetic model must never ship");
        assert_eq!(m.file.network, NetConfig::default(), "{dev}");
        let recs = read_records(&Path::new("trained").join(&dev).join("records.jsonl.gz")).unwrap();
        assert!(recs.len() >= 1000, "{dev}: {} records", recs.len());
        // The model names the kernel configuration its records state (none where they state none).
        let stated: std::collections::BTreeSet<Option<&str>> = recs.iter().map(|r| r.kernels.as_deref()).collect();
        assert_eq!(stated.len(), 1, "{dev}: records of several kernel configurations: {stated:?}");
        assert_eq!(m.file.training.kernels.as_deref(), stated.into_iter().next().unwrap(), "{dev}");
        let mut within = 0;
        for r in &recs {
            let cell = r.cell.validate().unwrap();
            let p = m.predict(&cell).unwrap();
            assert_eq!(p.ms.to_bits(), m.predict_reference(&cell).unwrap().to_bits(), "{dev} {}", r.hash);
            assert!(p.lo_ms <= p.ms && p.ms <= p.hi_ms);
            let measured = match m.file.target {
                Target::GpuMedianMs => r.gpu.as_ref().expect("gpu-target model trained on records with GPU time").median_ms,
                Target::WallMedianMs => r.wall.median_ms,
            };
            within += ((p.ms - measured).abs() <= 0.10 * measured) as usize;
        }
        let share = within as f64 / recs.len() as f64;
        assert!(share >= 0.9, "{dev}: only {:.1}% of its own records within ±10%", 100.0 * share);
    }
}

#[test]
fn packed_space_predictions_are_the_per_cell_predictions() {
    let (_, m) = bundled().into_iter().next().expect("a bundled model");
    let space = leti::space::enumerate();
    let entries = leti::space::sample(&space, 3000, 5);
    let bytes = leti::space::pack(&entries, false);
    let all = m.predict_packed_space(&bytes).unwrap();
    assert_eq!(all.len(), 3000);
    for (e, &p) in entries.iter().zip(&all) {
        assert_eq!(p.to_bits(), (m.predict(&e.cell).unwrap().ms as f32).to_bits());
    }
}
