//! The seam between the app and the GPU engine: what the run controller needs from whatever
//! measures a cell. The real implementation drives the engine on WebGPU; the wasm tests drive
//! the controller through the same trait.

use crate::measure::{ClientHints, ClientInfo, MeasurementRecord};
use crate::net::Precision;
use crate::space::Cell;

/// Why measuring a cell failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeasureError {
    /// The GPU device was lost (driver reset, tab in background too long, ...): recreate it and
    /// try again.
    DeviceLost(String),
    /// Anything else; the run stops with this message.
    Failed(String),
    /// Asked to stop (pause, stop, page hidden) between two GPU runs: the cell's timings so
    /// far are discarded.
    Stopped,
}

impl std::fmt::Display for MeasureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MeasureError::DeviceLost(m) => write!(f, "the GPU device was lost: {m}"),
            MeasureError::Failed(m) => write!(f, "{m}"),
            MeasureError::Stopped => write!(f, "stopped before the cell was measured"),
        }
    }
}

/// Something that measures one cell's network and returns its record.
#[allow(async_fn_in_trait)]
pub trait CellMeasurer {
    /// The precisions each cell is measured at, at least one; the first is the device's own
    /// (the one its model learns and the thermal probe runs at), see [`Precision::to_measure`].
    fn precisions(&self) -> Vec<Precision>;

    /// Measures `cell`'s network at `precision` with the timing protocol, asking `stop` before
    /// every GPU run ([`MeasureError::Stopped`] once it says so). The returned record carries
    /// the cell, the network, the statistics and the adapter; the controller fills in `id`,
    /// `client` and `run`.
    async fn measure(&mut self, cell: &Cell, precision: Precision, stop: &dyn Fn() -> bool) -> Result<MeasurementRecord, MeasureError>;

    /// Replaces a lost device with a new one (same adapter when possible).
    async fn recreate(&mut self) -> Result<(), String>;
}

/// What this browser adds to every record: its user agent, the contributor's label, and the
/// User-Agent Client Hints where the browser has them.
pub fn client_info(device_label: Option<String>, hints: Option<ClientHints>) -> ClientInfo {
    let user_agent = web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default();
    ClientInfo {
        user_agent,
        device_label: device_label.filter(|l| !l.trim().is_empty()).map(|l| l.trim().to_string()),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        hints,
    }
}

/// The latency the app shows and compares: the median wall clock of a whole inference.
pub fn latency_ms(record: &MeasurementRecord) -> f64 {
    record.wall.median_ms
}
