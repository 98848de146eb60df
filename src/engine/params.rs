//! The uniform parameter block of each kernel, as a `#[repr(C)]` `bytemuck::Pod` struct that
//! mirrors the WGSL `struct Params` of its shader field for field (all `u32`, padded to a
//! multiple of 16 bytes, at most 64, so every block fits one uniform slot). `gpu_params!` also records each field's name
//! and byte offset, which the test below checks against the shader as naga parses it.

use bytemuck::{Pod, Zeroable};

/// Bytes of one uniform slot (the binding size); every block fits in one.
pub const PARAMS_BYTES: u64 = 64;

/// A parameter block: its bytes, and the names and offsets of its fields in order.
pub trait GpuParams: Pod {
    /// `(name, byte offset)` of every field, in declaration order.
    const FIELDS: &'static [(&'static str, usize)];

    fn bytes(&self) -> &[u8] {
        bytemuck::bytes_of(self)
    }
}

macro_rules! gpu_params {
    ($(#[$meta:meta])* $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
        pub struct $name { $(pub $field: u32),* }

        impl GpuParams for $name {
            const FIELDS: &'static [(&'static str, usize)] = &[$((stringify!($field), std::mem::offset_of!($name, $field))),*];
        }

        const _: () = assert!(std::mem::size_of::<$name>() as u64 <= PARAMS_BYTES && std::mem::size_of::<$name>() % 16 == 0);
    };
}

gpu_params! {
    /// `shaders/conv_params.wgsl` (the four convolution kernels). Offsets and batch strides
    /// in elements of the arena; `n_res` (0 to 2) residuals are added after ReLU, the fused
    /// add (`res_*`, then `res2_*`); `bias_off` is where the folded bias starts in the weight
    /// buffer.
    ConvParams { c_in, c_out, h, w, src_off, src_bstride, dst_off, dst_bstride, res_off, res_bstride, n_res, c_out4, bias_off, res2_off, res2_bstride, _pad0 }
}

gpu_params! {
    /// `shaders/maxpool2d.wgsl`: input c x h x w, output oh x ow, window k, stride, "same"
    /// padding before the window.
    MaxPoolParams { c, h, w, oh, ow, k, stride, pad_top, pad_left, src_off, src_bstride, dst_off, dst_bstride, batch, _pad0, _pad1 }
}

gpu_params! {
    /// `shaders/add_n.wgsl`: `count` (2 to 5) operands of `per_image` elements per image;
    /// unused operand slots stay zero.
    AddParams { per_image, batch, count, dst_off, dst_bstride, off0, bs0, off1, bs1, off2, bs2, off3, bs3, off4, bs4, _pad0 }
}

gpu_params! {
    /// `shaders/global_avg_pool.wgsl`: `c` channels of `hw` pixels each.
    GlobalAvgPoolParams { c, hw, batch, src_off, src_bstride, dst_off, dst_bstride, _pad0 }
}

gpu_params! {
    /// `shaders/dense.wgsl`: `c_in` -> `c_out` (padded to `c_out4`); the bias after the
    /// weights at `bias_off`.
    DenseParams { c_in, c_out, c_out4, batch, src_off, src_bstride, dst_off, dst_bstride, bias_off, _pad0, _pad1, _pad2 }
}

impl AddParams {
    /// Sets operand `i` (0 to 4) at `off` with batch stride `bs`.
    pub fn set_operand(&mut self, i: usize, off: u32, bs: u32) {
        let slot = match i {
            0 => (&mut self.off0, &mut self.bs0),
            1 => (&mut self.off1, &mut self.bs1),
            2 => (&mut self.off2, &mut self.bs2),
            3 => (&mut self.off3, &mut self.bs3),
            4 => (&mut self.off4, &mut self.bs4),
            _ => panic!("add_n takes at most 5 operands, got operand {i}"),
        };
        (*slot.0, *slot.1) = (off, bs);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::engine::kernels::{precision_prelude, ADD_N, CONV2D_TILED, DENSE, GLOBAL_AVG_POOL, MAXPOOL2D};
    use crate::net::Precision;

    /// The members of the shader's `Params` struct as naga lays them out: (name, offset),
    /// every one a `u32`; and the struct's size.
    fn wgsl_params(source: &str) -> (Vec<(String, usize)>, usize) {
        let source = format!("{}{source}", precision_prelude(Precision::F32));
        let module = naga::front::wgsl::parse_str(&source).expect("the shader parses");
        let (_, ty) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some("Params")).expect("a Params struct");
        let naga::TypeInner::Struct { members, span } = &ty.inner else { panic!("Params is not a struct") };
        let fields = members
            .iter()
            .map(|m| {
                let inner = &module.types[m.ty].inner;
                assert_eq!(*inner, naga::TypeInner::Scalar(naga::Scalar::U32), "{:?} is not a u32", m.name);
                (m.name.clone().unwrap_or_default(), m.offset as usize)
            })
            .collect();
        (fields, *span as usize)
    }

    fn check<P: GpuParams>(source: &str) {
        let (fields, size) = wgsl_params(source);
        let ours: Vec<(String, usize)> = P::FIELDS.iter().map(|(n, o)| (n.to_string(), *o)).collect();
        assert_eq!(ours, fields, "{} against the shader", std::any::type_name::<P>());
        assert_eq!(size, std::mem::size_of::<P>());
    }

    #[test]
    fn every_params_struct_matches_its_shader() {
        check::<ConvParams>(CONV2D_TILED);
        check::<MaxPoolParams>(MAXPOOL2D);
        check::<AddParams>(ADD_N);
        check::<GlobalAvgPoolParams>(GLOBAL_AVG_POOL);
        check::<DenseParams>(DENSE);
    }

    #[test]
    fn add_operands_land_in_their_slots() {
        let mut p = AddParams::default();
        for i in 0..5 {
            p.set_operand(i, 10 + i as u32, 20 + i as u32);
        }
        let words: &[u32] = bytemuck::cast_slice(p.bytes());
        assert_eq!(&words[5..15], &[10, 20, 11, 21, 12, 22, 13, 23, 14, 24]);
    }
}
