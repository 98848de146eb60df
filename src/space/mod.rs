//! The NAS-Bench-101 cell space: op labels, cell specs (parsing, validation, pruning),
//! the dataset-identical module hash, the generator's own labeling of a cell, whole-space
//! enumeration, seeded sampling, the compact binary packing the web app loads, and the
//! NAS-Bench-101 dataset's trained accuracies per cell in a compact file of our own, and (with
//! the `nasbench` feature) the import of the dataset's TFRecord file into it.
//!
//! Everything here compiles for both the native target and `wasm32-unknown-unknown`.

mod accuracy;
mod canonical;
mod enumerate;
mod hash;
#[cfg(feature = "nasbench")]
pub mod nasbench;
mod op;
mod pack;
mod sample;
mod spec;
#[cfg(feature = "nasbench")]
pub mod tfrecord;

pub use accuracy::{Accuracies, AccuracyFileError, MeanResult, TrainingRun, ACCURACY_MAGIC, ACCURACY_VERSION, EPOCH_BUDGETS, MAX_REPEATS};
pub use enumerate::{enumerate, enumerate_with_threads, Space, SpaceEntry, NUM_UNIQUE_CELLS};
pub use hash::{module_hash, ModuleHash};
pub use op::Op;
pub use pack::{decode, decode_cell, pack, unpack, PackError, Unpacked, PACK_MAGIC, PACK_VERSION};
pub use sample::sample;
pub use spec::{Cell, CellSpec, SpecError, MAX_EDGES, MAX_VERTICES};
