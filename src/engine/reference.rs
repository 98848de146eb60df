//! The CPU reference forward pass (ndarray): executes the same IR with the same weights as the
//! GPU engine, layer by layer with no fusion and no memory reuse, so every tensor can be compared.

use ndarray::{s, Array2, Array4, Axis};

use super::weights::{LayerWeights, Weights};
use crate::net::{same_pad_before, LayerKind, Net};

fn conv(x: &Array4<f32>, lw: &LayerWeights) -> Array4<f32> {
    let (n, c_in, h, w) = x.dim();
    let k = lw.k;
    let pad = (k / 2) as isize;
    let rows = c_in * k * k;
    let wmat = Array2::from_shape_vec((lw.c_out, rows), lw.w.clone()).expect("weight shape");
    let mut out = Array4::<f32>::zeros((n, lw.c_out, h, w));
    for b in 0..n {
        let mut cols = Array2::<f32>::zeros((rows, h * w));
        for ci in 0..c_in {
            for ky in 0..k {
                for kx in 0..k {
                    let r = (ci * k + ky) * k + kx;
                    for y in 0..h {
                        let yy = y as isize + ky as isize - pad;
                        if yy < 0 || yy >= h as isize {
                            continue;
                        }
                        for xo in 0..w {
                            let xx = xo as isize + kx as isize - pad;
                            if xx >= 0 && xx < w as isize {
                                cols[[r, y * w + xo]] = x[[b, ci, yy as usize, xx as usize]];
                            }
                        }
                    }
                }
            }
        }
        let y = wmat.dot(&cols);
        for co in 0..lw.c_out {
            for p in 0..h * w {
                out[[b, co, p / w, p % w]] = (y[[co, p]] + lw.bias[co]).max(0.0);
            }
        }
    }
    out
}

fn max_pool(x: &Array4<f32>, k: usize, stride: usize) -> Array4<f32> {
    let (n, c, h, w) = x.dim();
    let (oh, ow) = (h.div_ceil(stride), w.div_ceil(stride));
    let (pt, pl) = (same_pad_before(h, k, stride), same_pad_before(w, k, stride));
    Array4::from_shape_fn((n, c, oh, ow), |(b, ch, oy, ox)| {
        let mut m = f32::NEG_INFINITY;
        for dy in 0..k {
            for dx in 0..k {
                let y = (oy * stride + dy) as isize - pt as isize;
                let xx = (ox * stride + dx) as isize - pl as isize;
                if y >= 0 && y < h as isize && xx >= 0 && xx < w as isize {
                    m = m.max(x[[b, ch, y as usize, xx as usize]]);
                }
            }
        }
        m
    })
}

/// Runs `net` on `input` (NCHW, the network input's shape) and returns every tensor of the IR,
/// indexed by tensor id.
pub fn forward(net: &Net, weights: &Weights, input: &[f32]) -> Vec<Array4<f32>> {
    let s = net.tensors[net.input].shape;
    let mut values: Vec<Option<Array4<f32>>> = vec![None; net.tensors.len()];
    values[net.input] = Some(Array4::from_shape_vec((s.n, s.c, s.h, s.w), input.to_vec()).expect("input shape"));
    for layer in &net.layers {
        let x = |i: usize| values[layer.inputs[i]].as_ref().expect("inputs computed before use");
        let y = match layer.kind {
            LayerKind::Conv { .. } => conv(x(0), weights.layer(layer.id)),
            LayerKind::MaxPool { k, stride } => max_pool(x(0), k, stride),
            LayerKind::Truncate { c_out } => x(0).slice(s![.., ..c_out, .., ..]).to_owned(),
            LayerKind::Add => {
                let mut acc = x(0).clone();
                for i in 1..layer.inputs.len() {
                    acc += x(i);
                }
                acc
            }
            LayerKind::Concat => {
                let views: Vec<_> = (0..layer.inputs.len()).map(|i| x(i).view()).collect();
                ndarray::concatenate(Axis(1), &views).expect("concat shapes agree")
            }
            LayerKind::GlobalAvgPool => {
                let (n, c, _, _) = x(0).dim();
                let m = x(0).mean_axis(Axis(3)).unwrap().mean_axis(Axis(2)).unwrap();
                m.into_shape_with_order((n, c, 1, 1)).unwrap()
            }
            LayerKind::Dense { c_in, c_out } => {
                let lw = weights.layer(layer.id);
                let n = x(0).dim().0;
                let xin = x(0).to_shape((n, c_in)).unwrap().to_owned();
                let wmat = Array2::from_shape_vec((c_out, c_in), lw.w.clone()).unwrap();
                let mut y = xin.dot(&wmat.t());
                for mut row in y.rows_mut() {
                    for (o, v) in row.iter_mut().enumerate() {
                        *v += lw.bias[o];
                    }
                }
                y.into_shape_with_order((n, c_out, 1, 1)).unwrap()
            }
        };
        debug_assert_eq!(y.dim(), {
            let s = net.tensors[layer.output].shape;
            (s.n, s.c, s.h, s.w)
        });
        values[layer.output] = Some(y);
    }
    values.into_iter().map(|v| v.expect("every tensor computed")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_and_pool_on_hand_computed_values() {
        // 1 channel 3x3 input 1..9, 3x3 all-ones kernel, bias -20: centre = 45 - 20 = 25,
        // corner = 1+2+4+5 - 20 < 0 -> 0.
        let x = Array4::from_shape_vec((1, 1, 3, 3), (1..=9).map(|v| v as f32).collect()).unwrap();
        let lw = LayerWeights { k: 3, c_in: 1, c_out: 1, w: vec![1.0; 9], bias: vec![-20.0] };
        let y = conv(&x, &lw);
        assert_eq!(y[[0, 0, 1, 1]], 25.0);
        assert_eq!(y[[0, 0, 0, 0]], 0.0);
        assert_eq!(y[[0, 0, 2, 2]], 28.0 - 20.0);
        let m = max_pool(&x, 3, 1);
        assert_eq!(m[[0, 0, 0, 0]], 5.0);
        assert_eq!(m[[0, 0, 1, 1]], 9.0);
        let d = max_pool(&x, 2, 2);
        assert_eq!(d.dim(), (1, 1, 2, 2));
        assert_eq!(d[[0, 0, 0, 0]], 5.0);
        assert_eq!(d[[0, 0, 1, 1]], 9.0);
        assert_eq!(d[[0, 0, 0, 1]], 6.0);
    }
}
