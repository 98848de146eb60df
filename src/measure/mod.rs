//! Measuring networks: the shared measurement record schema (`record`) and the fixed anchor
//! cells every device measures first (`anchors`).

pub mod anchors;
mod record;

pub use record::{AdapterInfo, ClientInfo, LayerTime, MeasurementRecord, RunInfo, Stats, TimingMode, SCHEMA_VERSION};
