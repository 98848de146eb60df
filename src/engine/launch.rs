//! What one planned step launches: the kernel variant, its typed parameter block, the
//! workgroup grid, and which layer's weights it binds. Pure data from the step, the batch,
//! the device's tiling and its dispatch limit; `Program::new` creates the GPU objects.
//!
//! Grids: a convolution tiles (pixels, output channels, images) by the family's output tile;
//! the one-dimensional kernels run one invocation per output element, spread over x and y
//! when the workgroup count passes the per-dimension limit.

use super::kernels::{ConvStrategy, Kernel, Tiling};
use super::params::{AddParams, ConvParams, DenseParams, GlobalAvgPoolParams, GpuParams, MaxPoolParams, PARAMS_BYTES};
use super::plan::{StepKind, TensorRef};
use crate::net::{same_pad_before, LayerId};

/// One step's launch.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    pub kernel: Kernel,
    /// The parameter block, zero-padded to one uniform slot.
    pub params: [u8; PARAMS_BYTES as usize],
    pub groups: [u32; 3],
    /// The layers whose weights (and biases) the step binds, stacked along output channels
    /// (empty: it binds none).
    pub weights_of: Vec<LayerId>,
}

fn u(x: usize) -> u32 {
    u32::try_from(x).expect("sizes fit in u32")
}

fn slot<P: GpuParams>(p: &P) -> [u8; PARAMS_BYTES as usize] {
    let mut out = [0u8; PARAMS_BYTES as usize];
    out[..p.bytes().len()].copy_from_slice(p.bytes());
    out
}

/// `groups` workgroups in a grid whose x stays within `max` (x by y when it would not).
fn spread(groups: u32, max: u32) -> [u32; 3] {
    if groups <= max {
        [groups.max(1), 1, 1]
    } else {
        [max, groups.div_ceil(max), 1]
    }
}

/// The launch of `step` at batch `batch` with `tiling`; `max_groups` is the adapter's
/// workgroups-per-dimension limit.
pub fn launch(step: &StepKind, batch: usize, tiling: Tiling, max_groups: u32) -> Launch {
    let flat = |elements: usize| spread(u(elements.div_ceil(tiling.wg1 as usize)), max_groups);
    match step {
        StepKind::Conv { k, c_in, c_out, h, w, src, res, dst, weights_of } => {
            let c4 = c_out.next_multiple_of(4);
            assert!(res.len() <= 2, "a conv epilogue adds at most 2 residuals");
            let none = TensorRef { offset: 0, bstride: 0 };
            let (r, r2) = (res.first().copied().unwrap_or(none), res.get(1).copied().unwrap_or(none));
            let p = ConvParams {
                c_in: u(*c_in),
                c_out: u(*c_out),
                h: u(*h),
                w: u(*w),
                src_off: u(src.offset),
                src_bstride: u(src.bstride),
                dst_off: u(dst.offset),
                dst_bstride: u(dst.bstride),
                res_off: u(r.offset),
                res_bstride: u(r.bstride),
                n_res: u(res.len()),
                res2_off: u(r2.offset),
                res2_bstride: u(r2.bstride),
                c_out4: u(c4),
                bias_off: u(c_in * k * k * c4 / 4),
                ..ConvParams::default()
            };
            let hw = h * w;
            let (kernel, groups) = match tiling.conv {
                ConvStrategy::RegisterWide if w % 4 == 0 => {
                    let quads = u(hw / 4);
                    let wg = tiling.conv_register_wg().min(quads.next_power_of_two().max(8));
                    (Kernel::ConvRegisterWide { k: u(*k), wg }, [quads.div_ceil(wg), u(c_out.div_ceil(8)), u(batch)])
                }
                ConvStrategy::Register | ConvStrategy::RegisterWide => {
                    (Kernel::ConvRegister { k: u(*k) }, [u(hw.div_ceil(tiling.conv_register_wg() as usize)), u(c_out.div_ceil(16)), u(batch)])
                }
                ConvStrategy::Workgroup => {
                    let aligned = [src.offset, src.bstride, dst.offset, dst.bstride, r.offset, r.bstride, r2.offset, r2.bstride, hw].iter().all(|v| v % 4 == 0);
                    let kernel = if *k == 1 && aligned { Kernel::Conv1x1Vec4 } else { Kernel::ConvTiled { k: u(*k) } };
                    let tile = tiling.conv_tile() as usize;
                    (kernel, [u(hw.div_ceil(tile)), u(c_out.div_ceil(tile)), u(batch)])
                }
            };
            Launch { kernel, params: slot(&p), groups, weights_of: weights_of.clone() }
        }
        StepKind::MaxPool { k, stride, c, h, w, src, dst } => {
            let (oh, ow) = (h.div_ceil(*stride), w.div_ceil(*stride));
            let p = MaxPoolParams {
                c: u(*c),
                h: u(*h),
                w: u(*w),
                oh: u(oh),
                ow: u(ow),
                k: u(*k),
                stride: u(*stride),
                pad_top: u(same_pad_before(*h, *k, *stride)),
                pad_left: u(same_pad_before(*w, *k, *stride)),
                src_off: u(src.offset),
                src_bstride: u(src.bstride),
                dst_off: u(dst.offset),
                dst_bstride: u(dst.bstride),
                batch: u(batch),
                ..MaxPoolParams::default()
            };
            Launch { kernel: Kernel::MaxPool, params: slot(&p), groups: flat(c * oh * ow * batch), weights_of: Vec::new() }
        }
        StepKind::Add { per_image, srcs, dst } => {
            let mut p = AddParams {
                per_image: u(*per_image),
                batch: u(batch),
                count: u(srcs.len()),
                dst_off: u(dst.offset),
                dst_bstride: u(dst.bstride),
                ..AddParams::default()
            };
            for (i, s) in srcs.iter().enumerate() {
                p.set_operand(i, u(s.offset), u(s.bstride));
            }
            Launch { kernel: Kernel::Add, params: slot(&p), groups: flat(per_image * batch), weights_of: Vec::new() }
        }
        StepKind::GlobalAvgPool { c, hw, src, dst } => {
            let p = GlobalAvgPoolParams {
                c: u(*c),
                hw: u(*hw),
                batch: u(batch),
                src_off: u(src.offset),
                src_bstride: u(src.bstride),
                dst_off: u(dst.offset),
                dst_bstride: u(dst.bstride),
                ..GlobalAvgPoolParams::default()
            };
            Launch { kernel: Kernel::GlobalAvgPool, params: slot(&p), groups: [u((c * batch).div_ceil(tiling.wg1 as usize)), 1, 1], weights_of: Vec::new() }
        }
        StepKind::Dense { c_in, c_out, src, dst, weights_of } => {
            let c4 = c_out.next_multiple_of(4);
            let p = DenseParams {
                c_in: u(*c_in),
                c_out: u(*c_out),
                c_out4: u(c4),
                batch: u(batch),
                src_off: u(src.offset),
                src_bstride: u(src.bstride),
                dst_off: u(dst.offset),
                dst_bstride: u(dst.bstride),
                bias_off: u(c_in * c4),
                ..DenseParams::default()
            };
            Launch { kernel: Kernel::Dense, params: slot(&p), groups: [u((c_out * batch).div_ceil(tiling.wg1 as usize)), 1, 1], weights_of: vec![*weights_of] }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(l: &Launch) -> Vec<u32> {
        bytemuck::cast_slice(&l.params).to_vec()
    }

    #[test]
    fn an_add_of_three_sets_three_operands_and_spreads_its_grid() {
        let t = |offset| TensorRef { offset, bstride: 1000 };
        let step = StepKind::Add { per_image: 600, srcs: vec![t(0), t(4000), t(8000)], dst: t(12000) };
        let tiling = Tiling { conv: ConvStrategy::Workgroup, conv_wg: 16, wg1: 256 };
        let l = launch(&step, 2, tiling, 65535);
        assert_eq!(&words(&l)[..12], &[600, 2, 3, 12000, 1000, 0, 1000, 4000, 1000, 8000, 1000, 0]);
        assert_eq!(l.groups, [5, 1, 1]);
        assert_eq!(launch(&step, 2, tiling, 2).groups, [2, 3, 1]);
    }

    #[test]
    fn a_strided_pool_gets_same_padding_and_a_conv_its_bias_offset() {
        let r = |offset| TensorRef { offset, bstride: 4096 };
        let tiling = Tiling { conv: ConvStrategy::Workgroup, conv_wg: 16, wg1: 256 };
        let pool = launch(&StepKind::MaxPool { k: 2, stride: 2, c: 4, h: 7, w: 7, src: r(0), dst: r(4096) }, 1, tiling, 65535);
        assert_eq!(&words(&pool)[..9], &[4, 7, 7, 4, 4, 2, 2, 0, 0]);
        let conv = launch(&StepKind::Conv { k: 3, c_in: 8, c_out: 6, h: 8, w: 8, src: r(0), res: vec![], dst: r(4096), weights_of: vec![3] }, 1, tiling, 65535);
        assert_eq!(words(&conv)[11..13], [8, 8 * 9 * 8 / 4]);
        assert_eq!((conv.kernel, conv.weights_of), (Kernel::ConvTiled { k: 3 }, vec![3]));
    }

    #[test]
    fn the_wide_conv_fits_its_workgroup_to_small_images_and_steps_aside_for_odd_widths() {
        let r = |offset| TensorRef { offset, bstride: 4096 };
        let tiling = Tiling { conv: ConvStrategy::RegisterWide, conv_wg: 16, wg1: 256 };
        let conv = |h, w| StepKind::Conv { k: 3, c_in: 8, c_out: 20, h, w, src: r(0), res: vec![], dst: r(4096), weights_of: vec![1] };
        let big = launch(&conv(32, 32), 2, tiling, 65535);
        assert_eq!((big.kernel, big.groups), (Kernel::ConvRegisterWide { k: 3, wg: 64 }, [4, 3, 2]));
        let small = launch(&conv(8, 8), 1, tiling, 65535);
        assert_eq!((small.kernel, small.groups), (Kernel::ConvRegisterWide { k: 3, wg: 16 }, [1, 3, 1]));
        let odd = launch(&conv(7, 7), 1, tiling, 65535);
        assert_eq!((odd.kernel, odd.groups), (Kernel::ConvRegister { k: 3 }, [1, 2, 1]));
    }
}
