//! Measuring networks: the shared measurement record schema (`record`).

mod record;

pub use record::{AdapterInfo, ClientInfo, LayerTime, MeasurementRecord, RunInfo, Stats, TimingMode, SCHEMA_VERSION};
