//! Fitting a ridge regression on cell features with a given penalty: shared by offline
//! training (`train`, native) and the device models fitted in the browser (`device_fit`),
//! so both give the same bits for the same rows.

use super::features::{Features, NUM_FEATURES};
use super::linalg::ridge_toward;
use super::model::Ridge;

/// The regression target: `ln(ms)` for a log model, else `ms`.
pub fn ridge_target(y: f64, log: bool) -> f64 {
    if log {
        libm::log(y)
    } else {
        y
    }
}

/// Ridge with a given penalty (per sample) on the given rows.
#[allow(clippy::needless_range_loop)] // feature index j addresses several arrays
pub fn ridge_with(features: &[Features], ms: &[f64], rows: &[usize], log: bool, lambda: f64) -> Option<Ridge> {
    let n = rows.len();
    let nf = n as f64;
    let t = |x: f64| if log { libm::log1p(x) } else { x };
    let mut mean = vec![0.0; NUM_FEATURES];
    let mut scale = vec![0.0; NUM_FEATURES];
    for &i in rows {
        for j in 0..NUM_FEATURES {
            mean[j] += t(features[i][j]) / nf;
        }
    }
    for &i in rows {
        for j in 0..NUM_FEATURES {
            let z = t(features[i][j]) - mean[j];
            scale[j] += z * z / nf;
        }
    }
    let mut active = [true; NUM_FEATURES];
    for j in 0..NUM_FEATURES {
        scale[j] = scale[j].sqrt();
        if scale[j] < 1e-12 * (1.0 + mean[j].abs()) {
            scale[j] = 1.0;
            active[j] = false;
        }
    }
    let ys: Vec<f64> = rows.iter().map(|&i| ridge_target(ms[i], log)).collect();
    let my = ys.iter().sum::<f64>() / nf;
    let mut x = Vec::with_capacity(n * NUM_FEATURES);
    for &i in rows {
        for j in 0..NUM_FEATURES {
            x.push(if active[j] { (t(features[i][j]) - mean[j]) / scale[j] } else { 0.0 });
        }
    }
    let yc: Vec<f64> = ys.iter().map(|y| y - my).collect();
    // Inactive (constant) columns are all zero; a penalty keeps the system definite.
    let penalty: Vec<f64> = active.iter().map(|&a| if a { lambda * nf } else { 1.0 }).collect();
    let coef = ridge_toward(&x, &yc, NUM_FEATURES, &penalty, &vec![0.0; NUM_FEATURES])?;
    Some(Ridge { log_features: log, log_target: log, mean, scale, coef, intercept: my, lambda })
}
