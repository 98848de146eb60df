//! The GPU engine (wgpu; Vulkan/Metal/DX12 natively, WebGPU in the browser): device setup
//! (`device`) and the limits it requests (`limits`), the WGSL kernels and their pipeline cache (`kernels`), the planner from the IR
//! to kernel steps over one activation arena (`plan`), each step's launch with its typed parameter block (`launch`, `params`), the
//! program that runs them (`program`), the choice of conv kernel family by timing (`autotune`), seeded weights (`weights`), the CPU reference (`reference`),
//! the ONNX export of a network with those weights (`onnx`, its protobuf messages in `onnx_proto`), portable
//! waiting (`sync`) and the clocks (`clock`).
//!
//! Activation layout: NCHW. A truncation keeps a channel prefix and a concat input is a
//! contiguous channel range, so both cost nothing (views and in-place producer writes),
//! and the conv kernels read/write 4 consecutive pixels of a channel as one vec4.

pub mod agreement;
mod autotune;
mod clock;
mod device;
mod kernels;
mod launch;
mod limits;
pub mod onnx;
mod onnx_proto;
mod params;
mod plan;
mod program;
pub mod reference;
mod sync;
mod timing_mode;
mod weights;

pub use autotune::autotune_conv;
pub use clock::{now_ms, unix_ms};
pub use device::{list_adapters, record_adapter_info, AdapterInfo, AdapterSummary, DeviceError, Gpu};
pub use kernels::{specialize, ConvStrategy, Kernel, Tiling};
pub use launch::{launch, Launch};
pub use limits::{LimitsError, LimitsInfo, LimitsTier};
pub use params::{AddParams, ConvParams, DenseParams, GlobalAvgPoolParams, GpuParams, MaxPoolParams, PARAMS_BYTES};
pub use plan::{schedule, PlanError, PlanRules, Schedule, Step, StepKind, TensorRef};
pub use program::{Dispatch, Program, ProgramError, RunTiming};
pub use timing_mode::TimingMode;
pub use weights::{seeded_input, LayerWeights, Weights, MEASURE_SEED};
