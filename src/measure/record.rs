//! The measurement record: one schema, versioned, shared by the CLI (`leti measure`), the
//! web app and the collector. Serialised as JSON (one record per JSONL line).

use serde::{Deserialize, Serialize};

pub use crate::engine::{AdapterInfo, LimitsInfo, TimingMode};
use crate::net::{NetConfig, Precision};
use crate::space::{CellSpec, ModuleHash};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Summary statistics of repeated timings, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub median_ms: f64,
    pub p10_ms: f64,
    pub p90_ms: f64,
    /// Median absolute deviation from the median.
    pub mad_ms: f64,
    /// Coefficient of variation (standard deviation / mean).
    pub cov: f64,
    /// Number of timed runs summarised.
    pub runs: u32,
}

/// How much an instrumented mode changed the whole-network wall time against `Plain`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeOverhead {
    pub mode: TimingMode,
    /// Median wall time per inference in that mode.
    pub wall_median_ms: f64,
    /// `wall_median_ms` / the `Plain` median (1.0 = no measurable overhead).
    pub ratio_to_plain: f64,
}

/// Per-layer GPU time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerTime {
    /// The IR layer name, e.g. `s1/c0/v3/conv3x3`.
    pub name: String,
    /// Median GPU time over the timed runs.
    pub median_ms: f64,
    /// The timer cannot resolve this layer: its median is under
    /// [`RESOLVED_QUANTA`](crate::measure::RESOLVED_QUANTA) timer quanta (a browser without
    /// developer features rounds timestamps to 65.5-100 us). The value is what the timer gave,
    /// not a time to read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unresolved: bool,
}

/// Where the measurement was made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// Browser user agent (web app) or OS description (CLI).
    pub user_agent: String,
    /// The contributor's optional device label, e.g. "Pixel 7".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_label: Option<String>,
    /// `leti` version that measured.
    pub engine_version: String,
    /// What the browser reports of the device through User-Agent Client Hints, where it has
    /// them (Chromium) and the contributor consented; absent elsewhere and in CLI records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints: Option<ClientHints>,
}

/// User-Agent Client Hints (`navigator.userAgentData.getHighEntropyValues`): Chrome's reduced
/// User-Agent hides the phone model, these name it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHints {
    /// The device model, e.g. `Pixel 7` (empty on desktops).
    pub model: String,
    /// e.g. `Android`.
    pub platform: String,
    /// e.g. `14.0.0`.
    pub platform_version: String,
    pub mobile: bool,
}

impl ClientInfo {
    /// The device model the browser reported, if it named one.
    pub fn reported_model(&self) -> Option<&str> {
        self.hints.as_ref().and_then(ClientHints::model)
    }
}

impl ClientHints {
    /// The model, when the browser named one.
    pub fn model(&self) -> Option<&str> {
        Some(self.model.trim()).filter(|m| !m.is_empty())
    }
}

/// Context of the run a record belongs to (app runs and `leti measure` runs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Client-generated id of the measurement run.
    pub run_id: String,
    /// Position of this record in its run.
    pub sequence: u32,
    /// Whether the cell is from the fixed anchor set.
    #[serde(default)]
    pub anchor: bool,
    /// Latency of the repeated anchor cell now divided by its first latency in this run
    /// (above 1 = slower than at the start: thermal throttling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thermal_ratio: Option<f64>,
    /// How many times the GPU device was lost and recreated during the run so far.
    #[serde(default)]
    pub device_lost_events: u32,
    /// Whether the device was on its charger when the cell was measured, where the browser
    /// tells (Battery Status API); a phone on battery may slow its GPU to save power.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charging: Option<bool>,
}

/// One measured network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasurementRecord {
    pub schema_version: u32,
    /// Client-generated unique id (UUID v4): uploads are idempotent on it.
    pub id: String,
    /// When the measurement finished, milliseconds since the Unix epoch.
    pub created_unix_ms: u64,
    /// Module hash of the pruned cell.
    pub hash: ModuleHash,
    /// The pruned cell, in NAS-Bench-101's field names.
    pub cell: CellSpec,
    pub network: NetConfig,
    /// Wall clock from submit to completion, per whole inference.
    pub wall: Stats,
    /// GPU time from timestamp queries, per whole inference, when the adapter has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<Stats>,
    /// The instrumentation of the run that produced `wall` and `gpu`.
    pub mode: TimingMode,
    /// Per-layer GPU times (from a separate profiling run) when available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<LayerTime>>,
    /// The mode that produced `layers` (`per_dispatch` natively, `per_pass` in the browser).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers_mode: Option<TimingMode>,
    /// Wall-time overhead of every instrumented mode that ran, against `Plain`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mode_overheads: Vec<ModeOverhead>,
    /// Warm-up runs done before timing.
    pub warmup_runs: u32,
    /// True when the coefficient of variation stayed above the threshold after re-measuring.
    pub noisy: bool,
    /// Timestamp resolution observed in the profiling runs (the quantum of their ticks),
    /// nanoseconds; absent when no run had more than the two whole-pass timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_resolution_ns: Option<f64>,
    /// The engine's kernel configuration on this device (convolution family and tiling, which
    /// the engine picks per device), e.g. `conv workgroup-tiled 64x64 per 16x16; 1-D 256`.
    /// Absent in records made before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernels: Option<String>,
    /// The device limits the engine requested and sized its kernels to (absent in records
    /// made before they were recorded, which ran under the adapter's own limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsInfo>,
    pub adapter: AdapterInfo,
    pub client: ClientInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunInfo>,
}

/// The key that tells devices apart in models and datasets: the adapter's description (its
/// device name when there is none), backend and driver, then the device model the browser
/// reports (User-Agent Client Hints), else the contributor's label, e.g.
/// `llvmpipe (LLVM 15.0.6, 256 bits) [vulkan] llvmpipe Mesa 22.3.6 (LLVM 15.0.6) (xeon)` or
/// `Adreno (TM) 740 [webgpu] on Pixel 7`. A reported model wins over the label, so that two
/// phones of one GPU family are told apart and one phone labelled twice is one device.
pub fn device_key(adapter: &AdapterInfo, label: Option<&str>, model: Option<&str>) -> String {
    let name = if adapter.description.is_empty() { &adapter.device } else { &adapter.description };
    let mut key = format!("{name} [{}]", adapter.backend);
    if !adapter.driver.is_empty() {
        key.push_str(&format!(" {}", adapter.driver));
    }
    match (model, label) {
        (Some(model), _) => key.push_str(&format!(" on {model}")),
        (None, Some(label)) => key.push_str(&format!(" ({label})")),
        (None, None) => {}
    }
    key
}

/// [`device_key`] of a device timed at `precision`: ` f16` appended at half precision, so a
/// device at f16 is a device of its own and f32 and f16 timings never meet in one model or
/// dataset (f32 keys are as before precision existed).
pub fn device_key_at(adapter: &AdapterInfo, label: Option<&str>, model: Option<&str>, precision: Precision) -> String {
    let key = device_key(adapter, label, model);
    match precision {
        Precision::F32 => key,
        p => format!("{key} {}", p.as_str()),
    }
}

impl MeasurementRecord {
    /// This record's device key ([`device_key_at`] its network's precision).
    pub fn device_key(&self) -> String {
        device_key_at(&self.adapter, self.client.device_label.as_deref(), self.client.reported_model(), self.network.precision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adreno() -> AdapterInfo {
        AdapterInfo { vendor: "qualcomm".into(), architecture: "adreno-7xx".into(), backend: "webgpu".into(), ..AdapterInfo::default() }
    }

    #[test]
    fn a_reported_phone_model_keys_the_device_over_the_label() {
        let a = adreno();
        // One GPU family, two phones: two devices. One phone labelled twice: one device.
        assert_ne!(device_key(&a, None, Some("Pixel 7")), device_key(&a, None, Some("Galaxy S23")));
        assert_eq!(device_key(&a, Some("my phone"), Some("Pixel 7")), device_key(&a, Some("Pixel"), Some("Pixel 7")));
        assert!(device_key(&a, Some("x"), Some("Pixel 7")).ends_with(" on Pixel 7"));
        // Without a model (desktops report ""), the label keys it, as before the hints.
        let blank = ClientHints { model: "  ".into(), ..ClientHints::default() };
        assert_eq!(blank.model(), None);
        assert_eq!(device_key(&a, Some("lab"), blank.model()), device_key(&a, Some("lab"), None));
        assert!(device_key(&a, Some("lab"), None).ends_with(" (lab)"));
    }

    #[test]
    fn records_without_hints_parse_and_keep_them_out_of_json() {
        let c = ClientInfo { user_agent: "ua".into(), device_label: None, engine_version: "0".into(), hints: None };
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains("hints"));
        assert_eq!(serde_json::from_str::<ClientInfo>(r#"{"user_agent":"ua","engine_version":"0"}"#).unwrap(), c);
    }
}
