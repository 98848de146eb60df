//! The WGSL kernels (embedded at compile time from `shaders/`) and the pipeline cache: one
//! compiled pipeline per kernel variant per device, reused by every network planned on that
//! device, with a counter that shows nothing is compiled twice. Variant constants (workgroup
//! edge, kernel size) are chosen from the device's limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::net::Precision;

pub const CONV2D_TILED: &str = concat!(include_str!("../../shaders/conv_params.wgsl"), include_str!("../../shaders/conv2d_tiled.wgsl"));
pub const CONV2D_REGISTER_TILED: &str = concat!(
    include_str!("../../shaders/conv_params.wgsl"),
    include_str!("../../shaders/conv2d_register_tiled.wgsl"),
    include_str!("../../shaders/conv_store.wgsl")
);
pub const CONV2D_REGISTER_WIDE: &str = concat!(
    include_str!("../../shaders/conv_params.wgsl"),
    include_str!("../../shaders/conv2d_register_wide.wgsl"),
    include_str!("../../shaders/conv_store.wgsl")
);
pub const CONV1X1_GEMM_VEC4: &str = concat!(include_str!("../../shaders/conv_params.wgsl"), include_str!("../../shaders/conv1x1_gemm_vec4.wgsl"));
pub const MAXPOOL2D: &str = include_str!("../../shaders/maxpool2d.wgsl");
pub const ADD_N: &str = include_str!("../../shaders/add_n.wgsl");
pub const GLOBAL_AVG_POOL: &str = include_str!("../../shaders/global_avg_pool.wgsl");
pub const DENSE: &str = include_str!("../../shaders/dense.wgsl");

/// What the engine prepends to every kernel for a precision: the element type `T` the shaders
/// are written in and `LOWEST`, its most negative finite value (max-pool's start).
pub fn precision_prelude(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => "alias T = f32;\nconst LOWEST: T = -3.402823e38;\n",
        Precision::F16 => "enable f16;\nalias T = f16;\nconst LOWEST: T = -65504.0h;\n",
    }
}

/// A kernel variant: which shader and its compile-time constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// `conv2d_tiled.wgsl` with kernel size k.
    ConvTiled {
        k: u32,
    },
    /// `conv1x1_gemm_vec4.wgsl`.
    Conv1x1Vec4,
    /// `conv2d_register_tiled.wgsl` with kernel size k.
    ConvRegister {
        k: u32,
    },
    /// `conv2d_register_wide.wgsl` with kernel size k and workgroup size wg (images whose width
    /// is a multiple of 4; wg shrinks to the image's pixel quads so small images leave no
    /// invocation idle).
    ConvRegisterWide {
        k: u32,
        wg: u32,
    },
    MaxPool,
    Add,
    GlobalAvgPool,
    Dense,
}

/// Which convolution kernels a device gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConvStrategy {
    /// Workgroup-memory tiled implicit GEMM (`conv2d_tiled`, `conv1x1_gemm_vec4`): for GPUs.
    Workgroup,
    /// Register-tiled direct convolution with uniform weight loads, no workgroup memory or
    /// barriers (`conv2d_register_tiled`): SwiftShader's pick before the wide tile.
    Register,
    /// The register-tiled family with 4 pixels x 8 channels per invocation
    /// (`conv2d_register_wide`; `conv2d_register_tiled` where the width is not a multiple of 4):
    /// the autotuner's pick on lavapipe and SwiftShader.
    RegisterWide,
}

impl ConvStrategy {
    pub const ALL: [ConvStrategy; 3] = [ConvStrategy::Workgroup, ConvStrategy::Register, ConvStrategy::RegisterWide];

    /// The family's name, as benchmarks and the web bench API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConvStrategy::Workgroup => "workgroup",
            ConvStrategy::Register => "register",
            ConvStrategy::RegisterWide => "register-wide",
        }
    }

    /// The family named `name` (see [`ConvStrategy::as_str`]).
    pub fn from_name(name: &str) -> Option<ConvStrategy> {
        ConvStrategy::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Every family's name, comma-separated (for errors that list the choices).
    pub fn names() -> String {
        ConvStrategy::ALL.map(ConvStrategy::as_str).join(", ")
    }
}

/// Compile-time sizes chosen for a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    pub conv: ConvStrategy,
    /// Conv workgroup edge: WG x WG invocations, a 4WG x 4WG output tile.
    pub conv_wg: u32,
    /// Invocations per workgroup of the one-dimensional kernels.
    pub wg1: u32,
}

impl Tiling {
    /// The largest tiles the limits allow: conv WG in {16, 8, 4} such that WG x WG invocations,
    /// a WG-wide workgroup and 2 * WG * WG * 16 bytes of workgroup storage fit.
    pub fn for_limits(l: &wgpu::Limits) -> Tiling {
        let conv_wg = [16u32, 8, 4]
            .into_iter()
            .find(|&wg| {
                wg * wg <= l.max_compute_invocations_per_workgroup
                    && wg <= l.max_compute_workgroup_size_x
                    && wg <= l.max_compute_workgroup_size_y
                    && 2 * wg * wg * 16 <= l.max_compute_workgroup_storage_size
            })
            .unwrap_or(2);
        let wg1 = 256.min(l.max_compute_invocations_per_workgroup).min(l.max_compute_workgroup_size_x).max(1);
        Tiling { conv: ConvStrategy::Workgroup, conv_wg, wg1 }
    }

    /// Invocations per workgroup of the register-tiled conv.
    pub fn conv_register_wg(&self) -> u32 {
        self.wg1.min(64)
    }

    /// A short description for measurement records, e.g.
    /// `conv workgroup-tiled 64x64 per 16x16; 1-D 256`.
    pub fn describe(&self) -> String {
        match self.conv {
            ConvStrategy::Workgroup => format!("conv workgroup-tiled {0}x{0} per {1}x{1}; 1-D {2}", self.conv_tile(), self.conv_wg, self.wg1),
            ConvStrategy::Register => format!("conv register-tiled {}; 1-D {}", self.conv_register_wg(), self.wg1),
            ConvStrategy::RegisterWide => format!("conv register-wide {} (4 px x 8 ch); 1-D {}", self.conv_register_wg(), self.wg1),
        }
    }

    /// Output tile edge of the workgroup-tiled conv kernels.
    pub fn conv_tile(&self) -> u32 {
        4 * self.conv_wg
    }
}

impl Kernel {
    pub fn label(&self) -> String {
        match self {
            Kernel::ConvTiled { k } => format!("conv2d_tiled_k{k}"),
            Kernel::Conv1x1Vec4 => "conv1x1_gemm_vec4".into(),
            Kernel::ConvRegister { k } => format!("conv2d_register_tiled_k{k}"),
            Kernel::ConvRegisterWide { k, wg } => format!("conv2d_register_wide_k{k}_wg{wg}"),
            Kernel::MaxPool => "maxpool2d".into(),
            Kernel::Add => "add_n".into(),
            Kernel::GlobalAvgPool => "global_avg_pool".into(),
            Kernel::Dense => "dense".into(),
        }
    }

    /// The WGSL source with this variant's constants substituted, in `precision`.
    pub fn source(&self, t: Tiling, precision: Precision) -> String {
        let body = match self {
            Kernel::ConvTiled { k } => specialize(CONV2D_TILED, &[("WG", t.conv_wg), ("K", *k)]),
            Kernel::Conv1x1Vec4 => specialize(CONV1X1_GEMM_VEC4, &[("WG", t.conv_wg)]),
            Kernel::ConvRegister { k } => specialize(CONV2D_REGISTER_TILED, &[("WG1", t.conv_register_wg()), ("K", *k)]),
            Kernel::ConvRegisterWide { k, wg } => specialize(CONV2D_REGISTER_WIDE, &[("WG1", *wg), ("K", *k)]),
            Kernel::MaxPool => specialize(MAXPOOL2D, &[("WG1", t.wg1)]),
            Kernel::Add => specialize(ADD_N, &[("WG1", t.wg1)]),
            Kernel::GlobalAvgPool => specialize(GLOBAL_AVG_POOL, &[("WG1", t.wg1)]),
            Kernel::Dense => specialize(DENSE, &[("WG1", t.wg1)]),
        };
        format!("{}{body}", precision_prelude(precision))
    }
}

/// Sets each named `const NAME: u32 = <value>u;` of a shader (the lines marked "variant") to
/// the given value. Panics when a name has no such line, or more than one: a renamed or
/// reformatted constant must fail loudly rather than leave the default in place.
pub fn specialize(source: &str, values: &[(&str, u32)]) -> String {
    let mut out = source.to_string();
    for &(name, value) in values {
        let head = format!("const {name}: u32 = ");
        let starts: Vec<usize> = out.match_indices(&head).map(|(i, _)| i).filter(|&i| i == 0 || out[..i].ends_with('\n')).collect();
        assert!(starts.len() == 1, "shader constant {name}: expected one line `{head}<n>u;`, found {}", starts.len());
        let from = starts[0] + head.len();
        let len = out[from..].find("u;").filter(|&n| n > 0 && out[from..from + n].bytes().all(|b| b.is_ascii_digit()));
        let len = len.unwrap_or_else(|| panic!("shader constant {name}: its value is not a `<digits>u;` literal"));
        out.replace_range(from..from + len, &value.to_string());
    }
    out
}

/// Compiled pipelines of one device, by variant and precision.
pub(crate) struct KernelCache {
    pub tiling: Tiling,
    pipelines: Mutex<HashMap<(Kernel, Precision), Arc<wgpu::ComputePipeline>>>,
}

impl KernelCache {
    pub fn new(limits: &wgpu::Limits, conv: ConvStrategy) -> KernelCache {
        KernelCache { tiling: Tiling { conv, ..Tiling::for_limits(limits) }, pipelines: Mutex::new(HashMap::new()) }
    }

    pub fn compiled(&self) -> usize {
        self.pipelines.lock().unwrap().len()
    }

    /// The pipeline of `kernel` in `precision`, compiling it on first use only.
    pub fn get(&self, device: &wgpu::Device, kernel: Kernel, precision: Precision) -> Arc<wgpu::ComputePipeline> {
        let mut map = self.pipelines.lock().unwrap();
        map.entry((kernel, precision))
            .or_insert_with(|| {
                let label = format!("{} {}", kernel.label(), precision.as_str());
                let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(&label),
                    source: wgpu::ShaderSource::Wgsl(kernel.source(self.tiling, precision).into()),
                });
                Arc::new(device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(&label),
                    layout: None,
                    module: &module,
                    entry_point: Some("main"),
                    compilation_options: Default::default(),
                    cache: None,
                }))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiling_respects_small_limits() {
        let desktop = Tiling::for_limits(&wgpu::Limits::default());
        assert_eq!(desktop, Tiling { conv: ConvStrategy::Workgroup, conv_wg: 16, wg1: 256 });
        let small = wgpu::Limits { max_compute_invocations_per_workgroup: 128, max_compute_workgroup_storage_size: 16384, ..wgpu::Limits::default() };
        assert_eq!(Tiling::for_limits(&small).conv_wg, 8);
        assert_eq!(Tiling::for_limits(&small).wg1, 128);
        let tiny_smem = wgpu::Limits { max_compute_workgroup_storage_size: 4096, ..wgpu::Limits::default() };
        assert_eq!(Tiling::for_limits(&tiny_smem).conv_wg, 8);
    }

    #[test]
    fn variants_substitute_constants() {
        let t = Tiling { conv: ConvStrategy::Workgroup, conv_wg: 8, wg1: 64 };
        let s = Kernel::ConvTiled { k: 1 }.source(t, Precision::F32);
        assert!(s.contains("const WG: u32 = 8u;") && s.contains("const K: u32 = 1u;"));
        assert!(Kernel::MaxPool.source(t, Precision::F32).contains("const WG1: u32 = 64u;"));
        assert!(!Kernel::Add.source(t, Precision::F32).contains("256u"));
    }

    #[test]
    fn every_variant_of_every_kernel_specialises() {
        let t = Tiling { conv: ConvStrategy::Register, conv_wg: 8, wg1: 128 };
        for k in [
            Kernel::ConvTiled { k: 3 },
            Kernel::Conv1x1Vec4,
            Kernel::ConvRegister { k: 1 },
            Kernel::ConvRegisterWide { k: 3, wg: 32 },
            Kernel::MaxPool,
            Kernel::Add,
            Kernel::GlobalAvgPool,
            Kernel::Dense,
        ] {
            let s = k.source(t, Precision::F32);
            assert!(!s.contains("= 256u;") && !s.contains("= 16u; // variant"), "{} kept a default", k.label());
        }
    }

    /// Every variant of every kernel, at both precisions, parses and validates as naga (the
    /// WGSL front end wgpu compiles with) checks it for a device with `shader-f16`: so the f16
    /// kernels are checked here even where no adapter offers f16 (SwiftShader does not;
    /// lavapipe does, and runs them in tests/gpu_agreement.rs).
    #[test]
    fn every_kernel_validates_in_f32_and_f16() {
        use naga::valid::{Capabilities, ValidationFlags, Validator};
        for conv in ConvStrategy::ALL {
            let t = Tiling { conv, conv_wg: 16, wg1: 256 };
            for k in [
                Kernel::ConvTiled { k: 1 },
                Kernel::ConvTiled { k: 3 },
                Kernel::Conv1x1Vec4,
                Kernel::ConvRegister { k: 1 },
                Kernel::ConvRegister { k: 3 },
                Kernel::ConvRegisterWide { k: 1, wg: 64 },
                Kernel::ConvRegisterWide { k: 3, wg: 16 },
                Kernel::MaxPool,
                Kernel::Add,
                Kernel::GlobalAvgPool,
                Kernel::Dense,
            ] {
                for precision in Precision::ALL {
                    let what = format!("{} {}", k.label(), precision.as_str());
                    let module = naga::front::wgsl::parse_str(&k.source(t, precision)).unwrap_or_else(|e| panic!("{what}: {e}"));
                    Validator::new(ValidationFlags::all(), Capabilities::SHADER_FLOAT16).validate(&module).unwrap_or_else(|e| panic!("{what}: {e:?}"));
                }
            }
        }
    }

    #[test]
    fn the_f16_prelude_enables_f16_and_f32_needs_nothing() {
        assert!(precision_prelude(Precision::F16).starts_with("enable f16;"));
        assert!(!precision_prelude(Precision::F32).contains("enable"));
    }

    /// `LOWEST` must be a finite value of its type as written: Chromium's compiler (Tint)
    /// rejects a literal past f32's range even where rounding would give the largest f32
    /// (`-3.40282347e38` broke every kernel in the browser), and naga does not check it.
    #[test]
    fn lowest_is_within_its_type_as_written() {
        let lowest = |p: Precision| -> f64 {
            let s = precision_prelude(p);
            let v = s.split("const LOWEST: T = ").nth(1).unwrap().split(';').next().unwrap();
            v.trim_end_matches('h').parse().unwrap()
        };
        assert!(lowest(Precision::F32) >= f32::MIN as f64 && lowest(Precision::F32) < -3.0e38);
        assert!(lowest(Precision::F16) >= -65504.0);
    }

    #[test]
    #[should_panic(expected = "shader constant WG2")]
    fn a_missing_constant_fails_loudly() {
        specialize(ADD_N, &[("WG2", 64)]);
    }

    #[test]
    #[should_panic(expected = "not a `<digits>u;` literal")]
    fn a_constant_that_is_not_a_literal_fails_loudly() {
        specialize("const KK: u32 = K * K;\n", &[("KK", 4)]);
    }
}
