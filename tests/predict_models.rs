//! Training, model files, inference, calibration and splits of the latency predictors, on
//! hand-made cases and on SYNTHETIC data from the test generator (never a device model).

use leti::net::{build, NetConfig};
use leti::predict::dataset::{group_by_device, parse_records, DeviceData, TargetChoice};
use leti::predict::synthetic::{random_cells, SyntheticDevice};
use leti::predict::train::{
    as_model, export_gbt, fit, fit_flops, fit_lookup, folds_by_hash, predict_rows, split_by_hash, train_model, Data, GbtOptions, ModelKind, Subset,
    TrainOptions,
};
use leti::predict::{
    calibrate, calibrate_best, features, idx, layer_configs_of_net, spread_order, CalibrationOptions, LayerTable, LayerTableError, LayerTiming, Metrics, Model,
    ModelError, Predictor, Target, TrainingInfo,
};
use leti::space::ModuleHash;

fn small_opts() -> TrainOptions {
    TrainOptions { gbt: GbtOptions { n_trees: 40, max_depth: 4, learning_rate: 0.15, min_samples_leaf: 3, n_bins: 16 }, folds: 3, ..TrainOptions::default() }
}

/// SYNTHETIC records of `n` random cells on every preset device, through the JSONL reader.
fn synthetic_devices(n: usize, seed: u64) -> Vec<DeviceData> {
    let cells = random_cells(n, seed);
    let mut text = String::new();
    for (i, dev) in SyntheticDevice::presets().iter().enumerate() {
        for r in dev.records(&cells, seed + i as u64) {
            text.push_str(&serde_json::to_string(&r).unwrap());
            text.push('\n');
        }
    }
    let records = parse_records(&text).unwrap();
    group_by_device(&records, None, TargetChoice::Auto).unwrap()
}

fn data(d: &DeviceData) -> Data<'_> {
    Data { cells: &d.cells, features: &d.features, ms: &d.ms }
}

#[test]
fn records_group_into_devices_with_one_latency_per_cell() {
    let devs = synthetic_devices(60, 1);
    assert_eq!(devs.len(), 3);
    for d in &devs {
        assert!(d.synthetic);
        assert_eq!(d.len(), 60);
        assert_eq!(d.target, Target::GpuMedianMs);
        assert!(d.ms.iter().all(|&m| m > 0.0));
    }
    // A record whose hash is not its cell's is refused with its line number.
    let cells = random_cells(2, 3);
    let mut r = SyntheticDevice::presets()[0].records(&cells, 0);
    r[1].hash = r[0].hash;
    let text = format!("{}\n{}\n", serde_json::to_string(&r[0]).unwrap(), serde_json::to_string(&r[1]).unwrap());
    let e = parse_records(&text).unwrap_err();
    assert!(format!("{e:#}").contains("line 2"), "{e:#}");
}

/// One device measured by two kernel configurations: only the newest configuration's records
/// make its training data (not those that state none), and the data says which it is.
#[test]
fn a_device_trains_only_on_its_newest_kernels() {
    let cells = random_cells(6, 4);
    let mut recs = SyntheticDevice::presets()[0].records(&cells, 0);
    let (old, new) = ("conv workgroup-tiled 64x64 per 16x16; 1-D 256", "conv register-wide 64 (4 px x 8 ch); 1-D 256");
    for (i, r) in recs.iter_mut().enumerate() {
        r.created_unix_ms = 1_000 + i as u64;
        r.kernels = match i {
            0 | 1 => Some(old.into()),
            2 => None,
            _ => Some(new.into()),
        };
        r.wall.median_ms *= if i < 2 { 3.0 } else { 1.0 };
    }
    let d = &group_by_device(&recs, None, TargetChoice::Wall).unwrap()[0];
    // The record stating no configuration predates the field, so not the newest engine.
    assert_eq!((d.len(), d.other_kernel_records, d.kernels.as_deref()), (3, 3, Some(new)));
    assert_eq!(d.hashes, recs[3..].iter().map(|r| r.hash).collect::<Vec<_>>());
    assert_eq!(leti::predict::evaluate::training_info(d, "x").kernels.as_deref(), Some(new));
    // Made newest, the old configuration's records are the ones kept.
    recs[0].created_unix_ms = 9_999;
    let d = &group_by_device(&recs, None, TargetChoice::Wall).unwrap()[0];
    assert_eq!((d.len(), d.other_kernel_records, d.kernels.as_deref()), (2, 4, Some(old)));
    // Where no record states one, all are kept.
    recs.iter_mut().for_each(|r| r.kernels = None);
    let d = &group_by_device(&recs, None, TargetChoice::Wall).unwrap()[0];
    assert_eq!((d.len(), d.other_kernel_records, d.kernels.as_deref()), (6, 0, None));
}

#[test]
fn model_file_round_trip_predicts_the_same_bits() {
    let devs = synthetic_devices(200, 2);
    let d = &devs[0];
    let opts = small_opts();
    for kind in [ModelKind::Flops, ModelKind::Ridge, ModelKind::RidgeLog, ModelKind::Gbt] {
        let file = train_model(kind, &data(d), d.target, &opts, None, TrainingInfo { device: d.key.clone(), synthetic: true, ..Default::default() }).unwrap();
        let json = file.to_json();
        let loaded = Model::from_json_bytes(json.as_bytes()).unwrap();
        assert_eq!(loaded.file, file, "{kind:?}: the file must survive a round trip unchanged");
        assert_eq!(loaded.to_json(), json, "{kind:?}: re-serialising gives the same bytes");
        let original = Model::new(file).unwrap();
        for c in &d.cells {
            let (a, b) = (original.predict(c).unwrap(), loaded.predict(c).unwrap());
            assert_eq!(a.ms.to_bits(), b.ms.to_bits(), "{kind:?}");
            assert_eq!(a.lo_ms.to_bits(), b.lo_ms.to_bits());
            assert_eq!(a.hi_ms.to_bits(), b.hi_ms.to_bits());
            assert!(a.lo_ms <= a.ms && a.ms <= a.hi_ms);
        }
    }
}

#[test]
fn exported_trees_predict_exactly_what_the_trainer_does() {
    let devs = synthetic_devices(150, 4);
    let d = &devs[1];
    let x: Vec<Vec<f64>> = d.features.iter().map(|f| f.to_vec()).collect();
    let y: Vec<f64> = d.ms.iter().map(|m| m.ln()).collect();
    let cfg =
        gbt_quantile::GBTConfig { n_trees: 30, max_depth: 4, learning_rate: 0.1, min_samples_leaf: 3, quantile: None, early_stopping_rounds: None, n_bins: 16 };
    let m = gbt_quantile::trainer::train(&x, &y, &cfg, None);
    let g = export_gbt(&m);
    for row in &x {
        assert_eq!(g.raw(row).to_bits(), m.predict(row).to_bits());
    }
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let devs = synthetic_devices(150, 5);
    let d = &devs[2];
    let opts = small_opts();
    for kind in [ModelKind::RidgeLog, ModelKind::Gbt] {
        let a = train_model(kind, &data(d), d.target, &opts, None, TrainingInfo::default()).unwrap().to_json();
        let b = train_model(kind, &data(d), d.target, &opts, None, TrainingInfo::default()).unwrap().to_json();
        assert_eq!(a, b, "{kind:?}");
    }
}

#[test]
fn split_and_folds_by_hash_never_leak() {
    let cells = random_cells(50, 6);
    // Every hash appears 1 to 3 times.
    let mut hashes: Vec<ModuleHash> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        for _ in 0..(1 + i % 3) {
            hashes.push(c.hash());
        }
    }
    let (train, test) = split_by_hash(&hashes, 0.25, 9);
    assert_eq!(train.len() + test.len(), hashes.len());
    let tr: std::collections::HashSet<_> = train.iter().map(|&i| hashes[i]).collect();
    let te: std::collections::HashSet<_> = test.iter().map(|&i| hashes[i]).collect();
    assert!(tr.is_disjoint(&te));
    assert!((te.len() as i64 - 12).abs() <= 1, "about a quarter of the distinct hashes: {}", te.len());
    let folds = folds_by_hash(&hashes, 4, 9);
    for i in 0..hashes.len() {
        for j in 0..hashes.len() {
            if hashes[i] == hashes[j] {
                assert_eq!(folds[i], folds[j]);
            }
        }
    }
    assert_eq!(split_by_hash(&hashes, 0.25, 9), (train, test), "deterministic for a seed");
}

#[test]
fn flops_baseline_recovers_an_exact_line() {
    let cells = random_cells(20, 7);
    let feats: Vec<_> = cells.iter().map(features).collect();
    let ms: Vec<f64> = feats.iter().map(|f| 0.5 + 2e-8 * f[idx::MACS]).collect();
    let p = fit_flops(&Data { cells: &cells, features: &feats, ms: &ms }).unwrap();
    match p {
        Predictor::Flops { a, b } => {
            assert!((a - 0.5).abs() < 1e-9, "{a}");
            assert!((b - 2e-8).abs() < 1e-18, "{b}");
        }
        _ => unreachable!(),
    }
}

/// A SYNTHETIC layer table: every configuration of `cells` timed by its MAC count.
fn synthetic_table(cells: &[leti::space::Cell]) -> LayerTable {
    let configs = leti::predict::distinct_layer_configs(cells, &NetConfig::default());
    let timings: Vec<LayerTiming> = configs
        .iter()
        .map(|c| LayerTiming { config: *c, median_ms: 0.01 + 1e-9 * (c.k as f64).powi(2) * c.c_in as f64 * c.c_out as f64 * (c.size as f64).powi(2) })
        .collect();
    LayerTable::from_timings(&timings).unwrap()
}

#[test]
fn lookup_sums_every_layer_and_fits_the_constant() {
    let cells = random_cells(30, 8);
    let table = synthetic_table(&cells);
    let cfg = NetConfig::default();
    // The sum equals the sum over the built IR's layers.
    for c in &cells[..10] {
        let by_ir: f64 = layer_configs_of_net(&build(c, &cfg)).iter().map(|k| table.entries[k]).sum();
        let fast = table.network_sum(c, &cfg).unwrap();
        assert!((fast - by_ir).abs() <= 1e-9 * by_ir, "{fast} vs {by_ir}");
    }
    // Measured = sum + 0.7 exactly: the fitted constant is 0.7 and predictions are exact.
    let feats: Vec<_> = cells.iter().map(features).collect();
    let ms: Vec<f64> = cells.iter().map(|c| table.network_sum(c, &cfg).unwrap() + 0.7).collect();
    let d = Data { cells: &cells, features: &feats, ms: &ms };
    let p = fit_lookup(&d, &table).unwrap();
    let Predictor::Lookup { constant, .. } = &p else { unreachable!() };
    assert!((constant - 0.7).abs() < 1e-9);
    let m = as_model(p, Target::GpuMedianMs).unwrap();
    let back = Model::from_json_bytes(m.to_json().as_bytes()).unwrap();
    for (pred, y) in predict_rows(&back, &d).unwrap().iter().zip(&ms) {
        assert!((pred - y).abs() < 1e-9);
    }
    // The table file format round-trips; a cell needing an unlisted layer is an error.
    assert_eq!(LayerTable::from_jsonl(&table.to_jsonl()).unwrap(), table);
    let other = random_cells(200, 99);
    let missing = other.iter().find(|c| table.network_sum(c, &cfg).is_err()).expect("some cell needs an unlisted layer");
    assert!(matches!(table.network_sum(missing, &cfg), Err(LayerTableError::Missing { .. })));
    let dup = format!("{0}{0}", table.to_jsonl().lines().next().unwrap().to_string() + "\n");
    assert!(matches!(LayerTable::from_jsonl(&dup), Err(LayerTableError::Duplicate { line: 2, .. })));
}

#[test]
fn learned_models_beat_the_flops_baseline_on_synthetic_data() {
    let devs = synthetic_devices(300, 10);
    let d = &devs[0];
    let (train, test) = split_by_hash(&d.hashes, 0.3, 1);
    let (tr, te) = (Subset::of(&data(d), &train), Subset::of(&data(d), &test));
    let score = |kind| {
        let m = as_model(fit(kind, &tr.data(), &small_opts(), None).unwrap(), d.target).unwrap();
        Metrics::of(&predict_rows(&m, &te.data()).unwrap(), &te.ms)
    };
    let flops = score(ModelKind::Flops);
    for kind in [ModelKind::RidgeLog, ModelKind::Gbt] {
        let m = score(kind);
        assert!(m.mape < flops.mape, "{kind:?}: MAPE {} vs FLOPs {}", m.mape, flops.mape);
        assert!(m.kendall_tau > flops.kendall_tau, "{kind:?}: tau {} vs FLOPs {}", m.kendall_tau, flops.kendall_tau);
    }
}

#[test]
fn calibration_learns_a_pure_scale_change_from_five_anchors() {
    let devs = synthetic_devices(200, 11);
    let d = &devs[0];
    let source = as_model(fit(ModelKind::RidgeLog, &data(d), &small_opts(), None).unwrap(), d.target).unwrap();
    // The "new device" is exactly 1.5 times slower than the source model says.
    let order = spread_order(&d.features, 5);
    let anchors: Vec<_> = order.iter().map(|&i| (d.cells[i], 1.5 * source.predict(&d.cells[i]).unwrap().ms)).collect();
    let cal = calibrate(&source, &anchors, "scaled", &CalibrationOptions::default()).unwrap();
    for c in &d.cells[..50] {
        let ratio = cal.predict(c).unwrap().ms / source.predict(c).unwrap().ms;
        assert!((ratio - 1.5).abs() < 1e-3, "{ratio}");
    }
    // The calibrated model is a model file like any other.
    let back = Model::from_json_bytes(cal.to_json().as_bytes()).unwrap();
    assert_eq!(back.predict(&d.cells[0]).unwrap().ms.to_bits(), cal.predict(&d.cells[0]).unwrap().ms.to_bits());
}

#[test]
fn calibration_to_another_synthetic_device_beats_the_uncalibrated_source() {
    let devs = synthetic_devices(250, 12);
    let source = as_model(fit(ModelKind::Gbt, &data(&devs[0]), &small_opts(), None).unwrap(), Target::GpuMedianMs).unwrap();
    let target = &devs[1];
    let order = spread_order(&target.features, 20);
    let anchors: Vec<_> = order.iter().map(|&i| (target.cells[i], target.ms[i])).collect();
    let cal = calibrate(&source, &anchors, &target.key, &CalibrationOptions::default()).unwrap();
    let rest: Vec<usize> = (0..target.len()).filter(|i| !order.contains(i)).collect();
    let eval = Subset::of(&data(target), &rest);
    let before = Metrics::of(&predict_rows(&source, &eval.data()).unwrap(), &eval.ms);
    let after = Metrics::of(&predict_rows(&cal, &eval.data()).unwrap(), &eval.ms);
    assert!(after.mape < before.mape, "calibrated MAPE {} vs uncalibrated {}", after.mape, before.mape);
}

#[test]
fn calibration_keeps_the_source_device_that_predicts_held_out_anchors_best() {
    let devs = synthetic_devices(250, 13);
    let target = &devs[1];
    let unlike = as_model(fit(ModelKind::Gbt, &data(&devs[0]), &small_opts(), None).unwrap(), Target::GpuMedianMs).unwrap();
    // A model of the target device itself, measured on other cells: the source to pick.
    let like = as_model(fit(ModelKind::Gbt, &data(target), &small_opts(), None).unwrap(), Target::GpuMedianMs).unwrap();
    let order = spread_order(&target.features, 12);
    let anchors: Vec<_> = order.iter().map(|&i| (target.cells[i], target.ms[i])).collect();
    let best = calibrate_best(&[&unlike, &like], &anchors, &target.key, &CalibrationOptions::default()).unwrap();
    assert_eq!(best.source, 1, "leave-one-out errors {:?}", best.loo_rmse);
    let (e0, e1) = (best.loo_rmse[0].unwrap(), best.loo_rmse[1].unwrap());
    assert!(e1 < e0 && e1 > 0.0, "{e1} vs {e0}");
    // The kept model is that source calibrated on all the anchors.
    let direct = calibrate(&like, &anchors, &target.key, &CalibrationOptions::default()).unwrap();
    assert_eq!(best.model.predict(&target.cells[0]).unwrap().ms.to_bits(), direct.predict(&target.cells[0]).unwrap().ms.to_bits());
    // Two anchors leave nothing to hold out: the first source, no error estimate.
    let two = calibrate_best(&[&unlike, &like], &anchors[..2], &target.key, &CalibrationOptions::default()).unwrap();
    assert_eq!((two.source, two.loo_rmse.clone()), (0, vec![None, None]));
    assert!(calibrate_best(&[], &anchors, "none", &CalibrationOptions::default()).is_err());
}

#[test]
fn spread_order_is_deterministic_distinct_and_prefix_stable() {
    let cells = random_cells(300, 13);
    let feats: Vec<_> = cells.iter().map(features).collect();
    let a = spread_order(&feats, 50);
    assert_eq!(a, spread_order(&feats, 50));
    assert_eq!(&spread_order(&feats, 10)[..], &a[..10]);
    let distinct: std::collections::HashSet<_> = a.iter().collect();
    assert_eq!(distinct.len(), 50);
    // Spread: the anchors cover most of the MAC range of the candidates.
    let macs = |i: usize| feats[i][idx::MACS];
    let (lo, hi) = (0..cells.len()).map(macs).fold((f64::MAX, 0.0f64), |(l, h), m| (l.min(m), h.max(m)));
    let (alo, ahi) = a.iter().map(|&i| macs(i)).fold((f64::MAX, 0.0f64), |(l, h), m| (l.min(m), h.max(m)));
    assert!(alo - lo <= 0.1 * (hi - lo) && hi - ahi <= 0.1 * (hi - lo));
    assert_eq!(leti::predict::anchor_set(&cells), a);
}

#[test]
fn bad_model_files_get_clear_errors() {
    let devs = synthetic_devices(40, 14);
    let d = &devs[0];
    let file = train_model(ModelKind::Gbt, &data(d), d.target, &small_opts(), None, TrainingInfo::default()).unwrap();
    let json = file.to_json();
    assert!(matches!(Model::from_json_bytes(b"{"), Err(ModelError::Json(_))));
    assert!(matches!(Model::from_json_bytes(br#"{"format": "other"}"#), Err(ModelError::Format(_))));
    let v2 = json.replacen("\"version\":1", "\"version\":2", 1);
    assert!(matches!(Model::from_json_bytes(v2.as_bytes()), Err(ModelError::Version(2))));
    let fs = json.replacen("\"feature_set_version\":1", "\"feature_set_version\":7", 1);
    assert!(matches!(Model::from_json_bytes(fs.as_bytes()), Err(ModelError::FeatureSet(7))));
    // A tree child pointing backwards (a cycle) is refused, not looped on.
    let mut bad = file.clone();
    if let Predictor::Gbt(g) = &mut bad.predictor {
        let t = g.trees.iter_mut().find(|t| t.left.len() > 1).expect("a tree with a split");
        t.left[1] = 0;
    }
    let e = Model::new(bad).unwrap_err();
    assert!(e.to_string().contains("invalid child"), "{e}");
}

#[test]
fn padded_trees_give_the_same_bits_as_node_by_node_evaluation() {
    let devs = synthetic_devices(120, 15);
    let d = &devs[0];
    // Uneven trees: a small leaf minimum makes some branches stop early.
    let opts = TrainOptions { gbt: GbtOptions { n_trees: 30, max_depth: 6, learning_rate: 0.2, min_samples_leaf: 8, n_bins: 16 }, ..small_opts() };
    let m = as_model(fit(ModelKind::Gbt, &data(d), &opts, None).unwrap(), d.target).unwrap();
    let anchors: Vec<_> = (0..10).map(|i| (d.cells[i], d.ms[i] * 1.3)).collect();
    let cal = calibrate(&m, &anchors, "other", &CalibrationOptions::default()).unwrap();
    for c in random_cells(300, 16).iter().chain(&d.cells) {
        assert_eq!(m.predict(c).unwrap().ms.to_bits(), m.predict_reference(c).unwrap().to_bits());
        assert_eq!(cal.predict(c).unwrap().ms.to_bits(), cal.predict_reference(c).unwrap().to_bits());
    }
}
