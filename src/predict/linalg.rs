//! Small dense linear algebra for ridge fits: solving a symmetric positive-definite system by
//! Cholesky decomposition, non-negative least squares (Lawson-Hanson) on top of it, and the
//! least-squares line of one variable. Plain loops in a fixed order (no fused multiply-add), so results
//! are the same on every platform. Systems here are at most ~100 x 100.

/// The least-squares line `y = a + b x`, as `(a, b)`; `b = 0` when `x` does not vary.
pub fn line_fit(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (xi, yi) in x.iter().zip(y) {
        sxy += (xi - mx) * (yi - my);
        sxx += (xi - mx) * (xi - mx);
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

/// Solves `a x = b` for symmetric positive-definite `a` (row-major, `n x n`). Returns `None`
/// when `a` is not positive definite (a zero or negative pivot).
pub fn solve_spd(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    assert_eq!(a.len(), n * n, "matrix is {} entries, expected {n} x {n}", a.len());
    // Lower-triangular factor l with a = l l^T.
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    // Forward then back substitution.
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * y[k];
        }
        y[i] = s / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[k * n + i] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    Some(x)
}

/// Ridge regression with per-coefficient penalties toward a prior:
/// minimises `sum_i (y_i - x_i . w)^2 + sum_j penalty_j (w_j - prior_j)^2`.
/// `x` is row-major with `p` columns. Returns `None` if the system is singular.
pub fn ridge_toward(x: &[f64], y: &[f64], p: usize, penalty: &[f64], prior: &[f64]) -> Option<Vec<f64>> {
    let n = y.len();
    assert_eq!(x.len(), n * p);
    let mut a = vec![0.0; p * p];
    let mut b = vec![0.0; p];
    for i in 0..n {
        let row = &x[i * p..(i + 1) * p];
        for j in 0..p {
            b[j] += row[j] * y[i];
            for k in 0..=j {
                a[j * p + k] += row[j] * row[k];
            }
        }
    }
    for j in 0..p {
        for k in 0..j {
            a[k * p + j] = a[j * p + k];
        }
        a[j * p + j] += penalty[j];
        b[j] += penalty[j] * prior[j];
    }
    solve_spd(&a, &b)
}

/// Non-negative least squares: minimises `|x w - y|^2` subject to `w >= 0` (Lawson and
/// Hanson's active-set method; each inner solve is a Cholesky solve of the normal equations on
/// the free columns). `x` is row-major with `p` columns. Columns should be of similar scale
/// (callers standardise them). Deterministic: fixed loop order, no randomness.
pub fn nnls(x: &[f64], y: &[f64], p: usize) -> Vec<f64> {
    let n = y.len();
    assert_eq!(x.len(), n * p);
    let mut w = vec![0.0; p];
    let mut free = vec![false; p];
    let tol = 1e-10 * (1.0 + y.iter().map(|v| v.abs()).fold(0.0, f64::max));
    for _outer in 0..3 * p {
        // Gradient of the objective's negative: x^T (y - x w).
        let r: Vec<f64> = (0..n).map(|i| y[i] - (0..p).map(|j| x[i * p + j] * w[j]).sum::<f64>()).collect();
        let g: Vec<f64> = (0..p).map(|j| (0..n).map(|i| x[i * p + j] * r[i]).sum()).collect();
        let Some(t) = (0..p).filter(|&j| !free[j] && g[j] > tol).max_by(|&a, &b| g[a].total_cmp(&g[b]).then(b.cmp(&a))) else { break };
        free[t] = true;
        for _inner in 0..3 * p {
            let Some(z) = solve_on(x, y, p, &free) else {
                free[t] = false;
                return w;
            };
            if (0..p).all(|j| !free[j] || z[j] > 0.0) {
                w = z;
                break;
            }
            // Step from w toward z until the first free coefficient reaches zero.
            let mut alpha = 1.0f64;
            for j in (0..p).filter(|&j| free[j] && z[j] <= 0.0) {
                let a = w[j] / (w[j] - z[j]);
                if a < alpha {
                    alpha = a;
                }
            }
            for j in 0..p {
                w[j] += alpha * (z[j] - w[j]);
                if free[j] && w[j] <= 1e-15 * (1.0 + w.iter().fold(0.0f64, |m, v| m.max(v.abs()))) {
                    free[j] = false;
                    w[j] = 0.0;
                }
            }
        }
    }
    w
}

/// Unconstrained least squares on the `free` columns (others fixed at 0), by the normal
/// equations; a tiny ridge keeps nearly collinear columns solvable.
fn solve_on(x: &[f64], y: &[f64], p: usize, free: &[bool]) -> Option<Vec<f64>> {
    let cols: Vec<usize> = (0..p).filter(|&j| free[j]).collect();
    let q = cols.len();
    let n = y.len();
    let mut sub = Vec::with_capacity(n * q);
    for i in 0..n {
        sub.extend(cols.iter().map(|&j| x[i * p + j]));
    }
    let diag: f64 = (0..q).map(|k| (0..n).map(|i| sub[i * q + k] * sub[i * q + k]).sum::<f64>()).sum::<f64>() / q.max(1) as f64;
    let z = ridge_toward(&sub, y, q, &vec![1e-12 * diag.max(1e-300); q], &vec![0.0; q])?;
    let mut out = vec![0.0; p];
    for (k, &j) in cols.iter().enumerate() {
        out[j] = z[k];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_known_system() {
        // [[4, 2], [2, 3]] x = [2, 1] has x = [0.5, 0].
        let x = solve_spd(&[4.0, 2.0, 2.0, 3.0], &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
        assert!(solve_spd(&[1.0, 2.0, 2.0, 1.0], &[1.0, 1.0]).is_none(), "indefinite matrix must be refused");
    }

    #[test]
    fn ridge_shrinks_toward_the_prior() {
        // y = 2 x exactly; a huge penalty toward 1 pulls the slope to 1, none leaves 2.
        let x = [1.0, 2.0, 3.0];
        let y = [2.0, 4.0, 6.0];
        let free = ridge_toward(&x, &y, 1, &[0.0], &[1.0]).unwrap();
        assert!((free[0] - 2.0).abs() < 1e-12);
        let pulled = ridge_toward(&x, &y, 1, &[1e12], &[1.0]).unwrap();
        assert!((pulled[0] - 1.0).abs() < 1e-6);
        // Penalty 14 = sum x^2: w = (28 + 14) / 28 = 1.5.
        let half = ridge_toward(&x, &y, 1, &[14.0], &[1.0]).unwrap();
        assert!((half[0] - 1.5).abs() < 1e-12);
    }

    #[test]
    fn nnls_matches_least_squares_when_unconstrained_and_clips_otherwise() {
        // y = 1 + 2 x exactly: both coefficients positive, recovered.
        let x = [1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0];
        let w = nnls(&x, &[1.0, 3.0, 5.0, 7.0], 2);
        assert!((w[0] - 1.0).abs() < 1e-9 && (w[1] - 2.0).abs() < 1e-9, "{w:?}");
        // y = 3 - x: the slope would be negative, so it is 0 and the intercept is the mean.
        let w = nnls(&x, &[3.0, 2.0, 1.0, 0.0], 2);
        assert_eq!(w[1], 0.0, "{w:?}");
        assert!((w[0] - 1.5).abs() < 1e-9, "{w:?}");
    }
}
