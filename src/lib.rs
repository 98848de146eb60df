//! LETI: measure and predict the latency of NAS-Bench-101 networks on (phone) GPUs.
//!
//! The module map reads as the pipeline: [`space`] (cells, hashes, the whole space) ->
//! [`net`] (the layer IR and its cost model) -> [`engine`] (WGSL kernels on wgpu, CPU
//! reference) -> [`measure`] (timing protocol, the shared record schema) -> [`predict`]
//! (features, baselines, regressors), with the web app (`app`, wasm32 only) and the
//! collector / CLI (`server`, `cli`, native only) at the edges. Types flow downstream: no
//! module uses one that comes after it.

pub mod space;

pub mod net;

pub mod engine;

pub mod measure;

pub mod predict;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod server;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
