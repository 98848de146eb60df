//! Measuring networks: the shared measurement record schema (`record`), summary statistics
//! (`stats`), the timing protocol over the engine (`protocol`) and record assembly (`assemble`),
//! the fixed anchor cells every device measures first (`anchors`), one device's records
//! as one latency per distinct cell, what a device model is fitted on (`per_cell`), and one
//! layer configuration timed alone for the lookup-table baseline (`layer_timing`).

pub mod anchors;
mod assemble;
mod csv_rows;
mod layer_timing;
mod per_cell;
mod protocol;
mod record;
pub mod stats;

pub use crate::engine::unix_ms;
pub use assemble::{new_record_id, RecordContext};
pub use csv_rows::{csv_header, csv_row, spreadsheet_safe, CSV_COLUMNS};
pub use layer_timing::{table_line, time_layer};
pub use per_cell::{device_cells, model_device, model_follows};
pub use protocol::{measure, measure_stoppable, profile_mode, resolves, settled, Measurement, Protocol, MIN_STAMPS, RESOLVED_QUANTA};
pub use record::{
    device_key, device_key_at, AdapterInfo, ClientHints, ClientInfo, LayerTime, MeasurementRecord, ModeOverhead, RunInfo, Stats, TimingMode, SCHEMA_VERSION,
};
