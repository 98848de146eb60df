//! The device model from few cells (`predict::fit_device`, `predict::structural`) on synthetic
//! devices whose latency is a known structural model: the fit must recover the constants it
//! can identify, and predict cells it did not see.

use leti::predict::structural::{self, Probe, NUM_TERMS};
use leti::predict::{features, fit_device, Interval, Model, ModelFile, Predictor, Target, TrainingInfo};
use leti::space::Cell;

/// A synthetic device: a fixed cost, per-launch costs and fan-in-dependent MAC costs.
fn device(scale: f64, launch: f64) -> Vec<f64> {
    let names = structural::term_names();
    names
        .iter()
        .map(|n| match n.as_str() {
            "fixed" => 2.0 * scale,
            n if n.starts_with("launch_") => launch * scale,
            n if n.starts_with("gmac_conv3x3_fanin") => scale * (10.0 + n.as_bytes()[n.len() - 1] as f64 - b'0' as f64),
            n if n.starts_with("gmac_conv1x1_fanin") => scale * 14.0,
            n if n.starts_with("gmac_projection_fanin") => scale * 16.0,
            "mb_pool" => 0.5 * scale,
            _ => 0.0,
        })
        .collect()
}

fn model_of(coef: Vec<f64>, name: &str) -> Model {
    let info = TrainingInfo { device: name.into(), ..TrainingInfo::default() };
    Model::new(ModelFile::new(Target::WallMedianMs, info, Predictor::Structural { coef }, Interval::None)).unwrap()
}

fn cells(n: usize, seed: u64) -> Vec<Cell> {
    structural::random_cells(n, seed)
}

fn ms_of(coef: &[f64], c: &Cell) -> f64 {
    structural::eval(coef, &structural::terms(&features(c)))
}

#[test]
fn fit_toward_a_proportional_prior_recovers_the_constants_it_can_identify() {
    let truth = device(1.7, 0.3);
    let prior: Vec<f64> = truth.iter().map(|c| c * 0.25).collect();
    let cs = cells(40, 3);
    let t: Vec<[f64; NUM_TERMS]> = cs.iter().map(|c| structural::terms(&features(c))).collect();
    let y: Vec<f64> = cs.iter().map(|c| ms_of(&truth, c)).collect();
    let probe = Probe::new();
    let got = structural::fit_toward(&t, &y, &prior, &probe.mean, 0.1).unwrap();
    // A term no probe cell and no training cell has (e.g. output fan-in 5) is not identified.
    let seen = |j: usize| probe.mean[j] > 0.0 && t.iter().any(|r| r[j] > 0.0);
    for (j, (g, w)) in got.iter().zip(&truth).enumerate().filter(|(j, _)| seen(*j)) {
        assert!((g - w).abs() <= 1e-6 * (1.0 + w.abs()), "constant {} ({}): got {g}, want {w}", j, structural::term_names()[j]);
    }
}

#[test]
fn profile_of_a_structural_model_is_its_own_constants_in_prediction() {
    let truth = device(3.0, 0.05);
    let probe = Probe::new();
    let got = structural::profile(&model_of(truth.clone(), "known"), &probe);
    for t in probe.terms.iter().take(50) {
        let (a, b) = (structural::eval(&got, t), structural::eval(&truth, t));
        assert!((a / b - 1.0).abs() < 1e-4, "profile predicts {a}, the model {b}");
    }
}

#[test]
fn a_new_device_is_learned_from_twenty_cells_borrowing_a_known_devices_shape() {
    // Known device: slow launches. New device: 4x slower arithmetic, launches 10x dearer.
    let known = model_of(device(1.0, 0.02), "known");
    let truth = {
        let mut c = device(4.0, 0.05);
        c[0] = 30.0;
        c
    };
    let train = cells(20, 11);
    let pairs: Vec<(Cell, f64)> = train.iter().map(|c| (*c, ms_of(&truth, c))).collect();
    let fit = fit_device(&pairs, &[&known], "new", Target::WallMedianMs).unwrap();
    let test = cells(300, 12);
    let within = test.iter().filter(|c| (fit.model.predict(c).unwrap().ms / ms_of(&truth, c) - 1.0).abs() <= 0.05).count();
    assert!(within as f64 >= 0.9 * test.len() as f64, "{within} of {} within ±5% ({})", test.len(), fit.method);
    assert!(fit.cv_within_10.unwrap() >= 0.9, "{:?}", fit.cv_within_10);
    assert!(fit.method.starts_with("structural"), "{}", fit.method);
}

#[test]
fn structural_models_refuse_negative_or_missing_constants() {
    let mut coef = device(1.0, 0.1);
    coef[3] = -1.0;
    let info = TrainingInfo::default();
    assert!(Model::new(ModelFile::new(Target::WallMedianMs, info.clone(), Predictor::Structural { coef }, Interval::None)).is_err());
    let short = vec![1.0; NUM_TERMS - 1];
    assert!(Model::new(ModelFile::new(Target::WallMedianMs, info, Predictor::Structural { coef: short }, Interval::None)).is_err());
}

#[test]
fn fit_device_refuses_bad_input_with_reasons() {
    let known = model_of(device(1.0, 0.02), "known");
    let c = cells(3, 1);
    let e = fit_device(&[], &[&known], "d", Target::WallMedianMs).unwrap_err().to_string();
    assert!(e.contains("at least one measured cell"), "{e}");
    let e = fit_device(&[(c[0], -1.0)], &[&known], "d", Target::WallMedianMs).unwrap_err().to_string();
    assert!(e.contains("not a positive number"), "{e}");
    let e = fit_device(&[(c[0], 1.0)], &[], "d", Target::WallMedianMs).unwrap_err().to_string();
    assert!(e.contains("known device"), "{e}");
}
