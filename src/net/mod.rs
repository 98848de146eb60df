//! The network built from a cell: a typed layer IR with tensor shapes and explicit edges
//! (`ir`), the NAS-Bench-101 builder (`build`), and the cost model over the IR (`cost`).
//!
//! Compiles for native and wasm32; the GPU engine and the CPU reference both execute this IR.

mod build;
mod cost;
mod ir;

pub use build::{build, vertex_channels, vertex_channels_array, NetConfig};
pub use cost::{Cost, LayerCounts};
pub use ir::{Layer, LayerId, LayerKind, Net, Role, Shape, Site, Tensor, TensorId};
