//! Measuring networks: the shared measurement record schema (`record`), summary statistics
//! (`stats`), the timing protocol over the engine (`protocol`) and record assembly (`assemble`),
//! the fixed anchor cells every device measures first (`anchors`), and one device's records
//! as one latency per distinct cell, what a device model is fitted on (`per_cell`).

pub mod anchors;
mod assemble;
mod per_cell;
mod protocol;
mod record;
pub mod stats;

pub use per_cell::device_cells;
pub use assemble::{new_record_id, unix_ms, RecordContext};
pub use protocol::{measure, profile_mode, settled, Measurement, Protocol};
pub use record::{device_key, AdapterInfo, ClientInfo, LayerTime, MeasurementRecord, ModeOverhead, RunInfo, Stats, TimingMode, SCHEMA_VERSION};
