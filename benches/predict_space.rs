//! Throughput of predicting the whole packed space (423,624 cells) natively, features
//! included, against baselines measured in the same run: the FLOPs model (features only
//! matter), and features computed through the full IR builder + cost model.
//!
//! The models are trained on SYNTHETIC data (test generator) only to have realistic sizes
//! (300 trees of depth 5; ridge on 72 features). `cargo bench --bench predict_space`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use leti::net::{build, NetConfig};
use leti::predict::synthetic::SyntheticDevice;
use leti::predict::train::{as_model, fit, Data, ModelKind, TrainOptions};
use leti::predict::{features, features_from_net, Model, Target};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.unwrap())
}

fn main() {
    let space = leti::space::enumerate();
    let packed = leti::space::pack(&space.entries, false);
    let n = space.len();
    // Train realistic-size models on SYNTHETIC latencies of 1000 sampled cells.
    let cells: Vec<_> = leti::space::sample(&space, 1000, 1).into_iter().map(|e| e.cell).collect();
    let feats: Vec<_> = cells.iter().map(features).collect();
    let dev = &SyntheticDevice::presets()[0];
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3);
    let ms: Vec<f64> = cells.iter().map(|c| dev.measure_ms(c, &mut rng)).collect();
    let data = Data { cells: &cells, features: &feats, ms: &ms };
    let opts = TrainOptions::default();
    let model = |k| -> Model {
        let m = as_model(fit(k, &data, &opts, None).unwrap(), Target::GpuMedianMs).unwrap();
        Model::from_json_bytes(m.to_json().as_bytes()).unwrap()
    };
    let (gbt, ridge, flops) = (model(ModelKind::Gbt), model(ModelKind::RidgeLog), model(ModelKind::Flops));

    let per = |d: Duration, cells: usize| d.as_secs_f64() * 1e9 / cells as f64;
    let (t_unpack, un) = best_of(3, || leti::space::unpack(&packed).unwrap());
    let (t_feat, _) = best_of(3, || un.cells.iter().map(|c| black_box(features(c))[0]).sum::<f64>());
    let (t_flops, _) = best_of(3, || flops.predict_packed_space(&packed).unwrap());
    let (t_ridge, _) = best_of(3, || ridge.predict_packed_space(&packed).unwrap());
    let (t_gbt, out) = best_of(3, || gbt.predict_packed_space(&packed).unwrap());
    assert_eq!(out.len(), n);
    let (t_anchor, anchors) = best_of(1, || leti::predict::anchor_set(&un.cells));
    assert_eq!(anchors.len(), leti::predict::ANCHOR_SET_SIZE);
    // Baseline: features through the full IR (a subset, per-cell time extrapolated).
    let sub = 20_000.min(n);
    let cfg = NetConfig::default();
    let (t_ir, _) = best_of(1, || un.cells[..sub].iter().map(|c| black_box(features_from_net(&build(c, &cfg)))[0]).sum::<f64>());

    println!("predict_space: {n} cells, native, release build");
    println!("  unpack                         {:8.1} ms  ({:6.1} ns/cell)", t_unpack.as_secs_f64() * 1e3, per(t_unpack, n));
    println!("  features (analytic)            {:8.1} ms  ({:6.1} ns/cell)", t_feat.as_secs_f64() * 1e3, per(t_feat, n));
    println!("  features via full IR (baseline){:8.1} ms* ({:6.1} ns/cell)  *extrapolated from {sub} cells", per(t_ir, sub) * n as f64 / 1e6, per(t_ir, sub));
    println!("  whole space, FLOPs model       {:8.1} ms  ({:6.1} ns/cell)", t_flops.as_secs_f64() * 1e3, per(t_flops, n));
    println!("  whole space, ridge-log model   {:8.1} ms  ({:6.1} ns/cell)", t_ridge.as_secs_f64() * 1e3, per(t_ridge, n));
    println!("  whole space, GBT {} trees     {:8.1} ms  ({:6.1} ns/cell)", gbt_trees(&gbt), t_gbt.as_secs_f64() * 1e3, per(t_gbt, n));
    println!("  anchor set over the whole space {:8.1} ms", t_anchor.as_secs_f64() * 1e3);
    println!("  ratio analytic features / IR features: {:.1}x faster", per(t_ir, sub) / per(t_feat, n));
    println!("  ratio GBT whole space / FLOPs whole space: {:.2}x the time", t_gbt.as_secs_f64() / t_flops.as_secs_f64());
}

fn gbt_trees(m: &Model) -> usize {
    match &m.file.predictor {
        leti::predict::Predictor::Gbt(g) => g.trees.len(),
        _ => 0,
    }
}
