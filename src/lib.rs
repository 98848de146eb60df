//! LETI: measure and predict the latency of NAS-Bench-101 networks on (phone) GPUs.
//!
//! The module map reads as the pipeline: [`space`] (cells, hashes, the whole space) ->
//! [`net`] (the layer IR and its cost model) -> engine -> [`measure`] -> predict, with the
//! web app (wasm32 only) and the server / CLI (native only) at the edges. Types flow
//! downstream: no module uses one that comes after it.

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod engine;
pub mod measure;
pub mod net;
pub mod space;
