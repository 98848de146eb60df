//! The network built from a cell: a typed layer IR with tensor shapes and explicit edges
//! (`ir`), the NAS-Bench-101 builder (`build`), the cost model over the IR (`cost`), layer
//! configurations (`layer_config`), the number format it runs in (`precision`), the small networks that run one layer alone
//! (`isolation`), and TensorFlow "same" padding (`padding`).
//!
//! Compiles for native and wasm32; the GPU engine and the CPU reference both execute this IR.

mod build;
mod cost;
mod ir;
mod isolation;
mod layer_config;
mod padding;
mod precision;

pub use build::{build, vertex_channels, vertex_channels_array, NetConfig};
pub use cost::{Cost, LayerCounts};
pub use ir::{Layer, LayerId, LayerKind, Net, Role, Shape, Site, Tensor, TensorId};
pub use isolation::{isolation_net, single_conv_net, TARGET as ISOLATION_TARGET};
pub use layer_config::{layer_configs_of_net, LayerConfig, LayerOp};
pub use padding::same_pad_before;
pub use precision::Precision;
