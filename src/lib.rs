//! LETI: measure and predict the latency of NAS-Bench-101 networks on (phone) GPUs.
//!
//! The module map reads as the pipeline: [`space`] (cells, hashes, the whole space) ->
//! [`net`] (the layer IR and its cost model) -> [`engine`] (WGSL kernels on wgpu, CPU
//! reference, ONNX export) -> [`measure`] (timing protocol, the shared record schema) -> [`predict`]
//! (features, baselines, regressors), with the web app (`app`, wasm32 only) and the
//! collector / CLI (`server`, `cli`, native only) at the edges. Types flow downstream: no
//! module uses one that comes after it (`layering` states the order and tests it).
//!
//! Cargo features: with default features off this is the lean library a NAS tool needs
//! ([`space`], [`net`] and [`predict`]'s model inference); `engine` adds the GPU engine and
//! [`measure`], `train` the model fitting and evaluation, `server` the collector, `nasbench`
//! the import of NAS-Bench-101's dataset file into [`space`]'s accuracy table, `cli` the `leti`
//! tool, `app` the web app (the defaults are `cli` and `app`).

pub mod space;

pub mod net;

#[cfg(feature = "engine")]
pub mod engine;

#[cfg(feature = "engine")]
pub mod measure;

pub mod predict;

#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod app;
#[cfg(all(not(target_arch = "wasm32"), feature = "server"))]
pub mod server;

#[cfg(all(not(target_arch = "wasm32"), feature = "cli"))]
pub mod cli;

#[cfg(test)]
mod layering;
