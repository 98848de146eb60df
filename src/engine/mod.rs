//! The GPU engine (wgpu; Vulkan/Metal/DX12 natively, WebGPU in the browser): device setup
//! (`device`), the WGSL kernels and their pipeline cache (`kernels`), the planner from the IR
//! to kernel steps over one activation arena (`plan`), the program that runs them
//! (`program`), the choice of conv kernel family by timing (`autotune`), seeded weights (`weights`), the CPU reference (`reference`) and portable
//! waiting / clocks (`sync`).
//!
//! Activation layout: NCHW. A truncation keeps a channel prefix and a concat input is a
//! contiguous channel range, so both cost nothing (views and in-place producer writes),
//! and the conv kernels read/write 4 consecutive pixels of a channel as one vec4.

pub mod agreement;
mod autotune;
mod device;
mod kernels;
mod plan;
mod program;
pub mod reference;
mod sync;
mod weights;

pub use autotune::{autotune_conv, single_conv_net};
pub use device::{list_adapters, record_adapter_info, AdapterSummary, DeviceError, Gpu};
pub use kernels::{ConvStrategy, Kernel, Tiling};
pub use plan::{schedule, PlanError, Schedule, Step, StepKind, TensorRef};
pub use program::{Dispatch, Program, ProgramError, RunTiming};
pub use sync::now_ms;
pub use weights::{seeded_input, LayerWeights, Weights};
