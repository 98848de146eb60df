//! The NAS-Bench-101 cell space: op labels, cell specs (parsing, validation, pruning),
//! the dataset-identical module hash, whole-space enumeration, seeded sampling and the
//! compact binary packing the web app loads.
//!
//! Everything here compiles for both the native target and `wasm32-unknown-unknown`.

mod enumerate;
mod hash;
mod op;
mod pack;
mod sample;
mod spec;

pub use enumerate::{enumerate, enumerate_with_threads, Space, SpaceEntry, NUM_UNIQUE_CELLS};
pub use hash::{module_hash, ModuleHash};
pub use op::Op;
pub use pack::{decode, decode_cell, pack, unpack, PackError, Unpacked, PACK_MAGIC, PACK_VERSION};
pub use sample::sample;
pub use spec::{Cell, CellSpec, SpecError, MAX_EDGES, MAX_VERTICES};
