//! Summary statistics of repeated timings: median, 10th/90th percentiles (linear
//! interpolation between order statistics, numpy's default), median absolute deviation and
//! coefficient of variation (sample standard deviation / mean).

use super::record::Stats;

/// Quantile `q` in [0, 1] of sorted values: linear interpolation at position q (n - 1).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of no values");
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, 0.5)
}

/// Median absolute deviation from the median.
pub fn mad(values: &[f64]) -> f64 {
    let m = median(values);
    median(&values.iter().map(|v| (v - m).abs()).collect::<Vec<_>>())
}

/// Sample standard deviation (n - 1) over the mean; 0 for fewer than two values.
pub fn cov(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    if mean == 0.0 {
        0.0
    } else {
        var.sqrt() / mean
    }
}

/// All summary statistics of timings in milliseconds.
pub fn summarize(values: &[f64]) -> Stats {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Stats {
        median_ms: quantile_sorted(&v, 0.5),
        p10_ms: quantile_sorted(&v, 0.1),
        p90_ms: quantile_sorted(&v, 0.9),
        mad_ms: mad(values),
        cov: cov(values),
        runs: values.len() as u32,
    }
}

/// Smallest positive difference between any two of the values (the timer's observed
/// resolution), `None` if all are equal.
pub fn smallest_step(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0.0).min_by(f64::total_cmp)
}

/// The timer's quantum: the greatest common divisor of the differences between timestamp
/// ticks (a browser that coarsens timestamps to 100 us gives multiples of 100 us; a raw
/// nanosecond counter gives 1). `None` when all ticks are equal.
pub fn tick_quantum(ticks: &[u64]) -> Option<u64> {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let first = *ticks.first()?;
    let g = ticks.iter().map(|&t| t.abs_diff(first)).fold(0, gcd);
    (g > 0).then_some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn hand_computed_odd_count() {
        // sorted 1 2 3 4 100: median 3; deviations 2 1 0 1 97 -> MAD 1;
        // p10 at position 0.4 -> 1.4; p90 at 3.6 -> 4 + 0.6 * 96 = 61.6.
        let s = summarize(&[3.0, 1.0, 100.0, 2.0, 4.0]);
        assert!(close(s.median_ms, 3.0));
        assert!(close(s.mad_ms, 1.0));
        assert!(close(s.p10_ms, 1.4));
        assert!(close(s.p90_ms, 61.6));
        assert_eq!(s.runs, 5);
        // mean 22, squared deviations 441 400 361 324 6084 = 7610, /4 = 1902.5
        assert!(close(s.cov, 1902.5f64.sqrt() / 22.0));
    }

    #[test]
    fn hand_computed_even_count() {
        // sorted 2 4 6 8: median 5; deviations 3 1 1 3 -> MAD 2; p10 at 0.3 -> 2.6.
        let v = [8.0, 2.0, 6.0, 4.0];
        assert!(close(median(&v), 5.0));
        assert!(close(mad(&v), 2.0));
        assert!(close(summarize(&v).p10_ms, 2.6));
        // mean 5, squared deviations 9 1 1 9 = 20, /3 -> sd 2.58199
        assert!(close(cov(&v), (20.0f64 / 3.0).sqrt() / 5.0));
    }

    #[test]
    fn degenerate_inputs() {
        let s = summarize(&[7.0]);
        assert_eq!((s.median_ms, s.p10_ms, s.p90_ms, s.mad_ms, s.cov), (7.0, 7.0, 7.0, 0.0, 0.0));
        assert_eq!(smallest_step(&[5.0, 5.0]), None);
        assert_eq!(smallest_step(&[0.0, 300.0, 100.0, 100.0]), Some(100.0));
        assert_eq!(tick_quantum(&[5, 5]), None);
        assert_eq!(tick_quantum(&[]), None);
        // Chrome-style coarsening to 100 us (in ns ticks).
        assert_eq!(tick_quantum(&[1_200_000, 1_500_000, 1_300_000, 2_100_000]), Some(100_000));
        assert_eq!(tick_quantum(&[1_000, 1_007, 1_013]), Some(1));
    }
}
