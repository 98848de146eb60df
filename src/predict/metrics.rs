//! Accuracy metrics of latency predictions: MAPE, RMSE, R², Kendall's tau-b, and the share
//! of predictions within ±5% and ±10% of the measurement (nn-Meter's headline metric).

use serde::{Deserialize, Serialize};

/// Metrics of predictions against measurements.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub n: usize,
    /// Mean absolute percentage error, in percent.
    pub mape: f64,
    /// Root mean squared error, ms.
    pub rmse: f64,
    /// Coefficient of determination `1 - SS_res / SS_tot`.
    pub r2: f64,
    /// Kendall's tau-b (ties counted as neither concordant nor discordant, normalised by the
    /// untied pairs of each side).
    pub kendall_tau: f64,
    /// Share (0..1) of cells with `|pred - meas| / meas <= 0.05`.
    pub within5: f64,
    /// Share (0..1) within 10%.
    pub within10: f64,
}

impl Metrics {
    /// Metrics of `pred` against `meas` (same length, measurements > 0).
    pub fn of(pred: &[f64], meas: &[f64]) -> Metrics {
        assert_eq!(pred.len(), meas.len(), "as many predictions as measurements");
        let n = meas.len();
        if n == 0 {
            return Metrics { n, mape: f64::NAN, rmse: f64::NAN, r2: f64::NAN, kendall_tau: f64::NAN, within5: f64::NAN, within10: f64::NAN };
        }
        let nf = n as f64;
        let (mut ape, mut se, mut w5, mut w10) = (0.0, 0.0, 0usize, 0usize);
        for (&p, &m) in pred.iter().zip(meas) {
            let rel = (p - m).abs() / m;
            ape += rel;
            se += (p - m) * (p - m);
            // A tiny tolerance so that an exactly-10% error (hand-computed cases) counts.
            w5 += (rel <= 0.05 + 1e-12) as usize;
            w10 += (rel <= 0.10 + 1e-12) as usize;
        }
        let mean = meas.iter().sum::<f64>() / nf;
        let ss_tot: f64 = meas.iter().map(|&m| (m - mean) * (m - mean)).sum();
        Metrics {
            n,
            mape: 100.0 * ape / nf,
            rmse: (se / nf).sqrt(),
            r2: 1.0 - se / ss_tot,
            kendall_tau: kendall_tau(pred, meas),
            within5: w5 as f64 / nf,
            within10: w10 as f64 / nf,
        }
    }
}

/// Kendall's tau-b of two equally long sequences (O(n^2), fine for test sets of a few
/// thousand cells). NaN when either side is constant.
pub fn kendall_tau(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let (mut conc, mut disc, mut tie_a, mut tie_b) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let da = a[i] - a[j];
            let db = b[i] - b[j];
            match (da == 0.0, db == 0.0) {
                (true, true) => {}
                (true, false) => tie_a += 1,
                (false, true) => tie_b += 1,
                _ if (da > 0.0) == (db > 0.0) => conc += 1,
                _ => disc += 1,
            }
        }
    }
    let n1 = (conc + disc + tie_a) as f64; // pairs not tied in b
    let n2 = (conc + disc + tie_b) as f64; // pairs not tied in a
    ((conc - disc) as f64) / (n1 * n2).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kendall_tau_without_ties() {
        // Pairs of [1,2,3,4] vs [1,3,2,4]: 5 concordant, 1 discordant: (5 - 1) / 6.
        let t = kendall_tau(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!((t - 4.0 / 6.0).abs() < 1e-12, "{t}");
        assert!((kendall_tau(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
    }

    #[test]
    fn kendall_tau_b_with_ties() {
        // a = [1,1,2,3], b = [1,2,2,3]. Pairs: (0,1) tie in a only; (0,2) C; (0,3) C;
        // (1,2) tie in b only; (1,3) C; (2,3) C. C = 4, D = 0, tie_a = 1, tie_b = 1.
        // tau_b = 4 / sqrt((4 + 1) * (4 + 1)) = 0.8.
        let t = kendall_tau(&[1.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 2.0, 3.0]);
        assert!((t - 0.8).abs() < 1e-12, "{t}");
        // A pair tied on both sides counts in neither denominator:
        // a = [1,1,2], b = [5,5,6]: C = 2, no other untied pair: tau_b = 2 / sqrt(2 * 2) = 1.
        assert!((kendall_tau(&[1.0, 1.0, 2.0], &[5.0, 5.0, 6.0]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn mape_rmse_r2_and_within_shares_by_hand() {
        let meas = [10.0, 20.0, 40.0, 50.0];
        let pred = [11.0, 18.0, 40.0, 60.0];
        // Relative errors: 0.1, 0.1, 0, 0.2 -> MAPE 10%; within 5%: 1/4; within 10%: 3/4.
        // Squared errors: 1, 4, 0, 100 -> RMSE sqrt(105/4).
        // Mean 30; SS_tot = 400 + 100 + 100 + 400 = 1000; R^2 = 1 - 105/1000.
        let m = Metrics::of(&pred, &meas);
        assert_eq!(m.n, 4);
        assert!((m.mape - 10.0).abs() < 1e-9, "{}", m.mape);
        assert!((m.rmse - (105.0f64 / 4.0).sqrt()).abs() < 1e-12);
        assert!((m.r2 - 0.895).abs() < 1e-12, "{}", m.r2);
        assert_eq!(m.within5, 0.25);
        assert_eq!(m.within10, 0.75);
        assert!((m.kendall_tau - 1.0).abs() < 1e-12);
    }
}
