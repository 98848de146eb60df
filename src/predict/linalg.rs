//! Small dense linear algebra for ridge fits: solving a symmetric positive-definite system by
//! Cholesky decomposition. Plain loops in a fixed order (no fused multiply-add), so results
//! are the same on every platform. Systems here are at most ~100 x 100.

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
}
