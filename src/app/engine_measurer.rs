//! The production [`CellMeasurer`]: the GPU engine on this browser's WebGPU adapter, timed by
//! the shared protocol (`measure::measure`), with a device-loss watch so a lost device is
//! reported as such (and recreated by the run controller) rather than as a failure.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::engine_port::{CellMeasurer, MeasureError};
use crate::engine::{seeded_input, Gpu, Program, Weights};
use crate::measure::{measure_stoppable, AdapterInfo, MeasurementRecord, Protocol, RecordContext};
use crate::net::{build, NetConfig, Precision};
use crate::space::Cell;

/// Seed of the weights and input (values do not change latency; fixed for reproducibility).
const WEIGHT_SEED: u64 = 1;

/// The app's protocol: the engine's, with fewer timed and profiling runs, since a phone
/// contributor's minutes are better spent on more cells (still re-measured when noisy).
///
/// On a software adapter (the GPU emulated on the CPU: seconds per inference, timestamps with
/// no overhead) it is shorter still: one warm-up run (pipelines are compiled once per session,
/// so the first run of a cell only allocates), three whole-pass runs without plain ones in
/// between, no re-measuring. `profile` adds one per-layer profiling run there (the Draw page's
/// bars); the Measure page's bulk runs leave it out.
pub fn app_protocol(software: bool, profile: bool) -> Protocol {
    if software {
        Protocol { warmup_min: 1, warmup_max: 1, runs: 3, max_remeasure: 0, profile_runs: u32::from(profile), interleave_plain: false, ..Protocol::default() }
    } else {
        Protocol { runs: 10, warmup_max: 15, profile_runs: 3, ..Protocol::default() }
    }
}

#[derive(Default)]
struct LostWatch {
    lost: AtomicBool,
    message: Mutex<String>,
}

pub struct EngineMeasurer {
    gpu: Gpu,
    lost: Arc<LostWatch>,
    /// What the browser's own `GPUAdapterInfo` says (richer than wgpu's summary on the web).
    browser_adapter: Option<AdapterInfo>,
    protocol: Protocol,
    /// The contributor gives the time to measure at f32 too, on a device with f16.
    also_f32: bool,
}

/// Chrome's timestamp quantum without WebGPU developer features (the low 16 bits zeroed).
const CHROME_QUANTUM_NS: f64 = 65_536.0;

/// What the page's address asks of the timestamps (for tests, on a browser whose timer is
/// fine): `timestamps=off`, the path of a browser without timestamp queries; `timestamps=coarse`,
/// Chrome's 65.5 us quantum as every phone gets it.
fn timestamps_param() -> Option<String> {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    search.trim_start_matches('?').split('&').find_map(|p| p.strip_prefix("timestamps=").map(str::to_string))
}

async fn open() -> Result<(Gpu, Arc<LostWatch>), String> {
    let mut gpu = Gpu::open(None).await.map_err(|e| e.to_string())?;
    match timestamps_param().as_deref() {
        Some("off") => gpu.without_timestamps(),
        Some("coarse") => gpu.coarsen_timestamps(CHROME_QUANTUM_NS),
        _ => {}
    }
    let lost = Arc::new(LostWatch::default());
    let watch = lost.clone();
    gpu.device.set_device_lost_callback(move |reason, message| {
        *watch.message.lock().unwrap_or_else(|e| e.into_inner()) = format!("{reason:?}: {message}");
        watch.lost.store(true, Ordering::SeqCst);
    });
    Ok((gpu, lost))
}

impl EngineMeasurer {
    /// Opens the adapter; `browser_adapter` (from the WebGPU check) replaces wgpu's vendor,
    /// architecture, device and description strings in the records; `software` says the
    /// browser reported a fallback (CPU) adapter; `profile` asks for a per-layer breakdown
    /// even there (see [`app_protocol`]).
    pub async fn new(browser_adapter: Option<AdapterInfo>, software: bool, profile: bool) -> Result<EngineMeasurer, String> {
        let (gpu, lost) = open().await?;
        Ok(EngineMeasurer { gpu, lost, browser_adapter, protocol: app_protocol(software, profile), also_f32: false })
    }

    /// Whether each cell is measured at f32 as well, on a device with f16.
    pub fn set_also_f32(&mut self, also_f32: bool) {
        self.also_f32 = also_f32;
    }

    fn lost_error(&self) -> Option<MeasureError> {
        self.lost.lost.load(Ordering::SeqCst).then(|| MeasureError::DeviceLost(self.lost.message.lock().map(|m| m.clone()).unwrap_or_default()))
    }

    fn adapter_info(&self) -> AdapterInfo {
        let mut info = self.gpu.adapter_info();
        if let Some(b) = &self.browser_adapter {
            info.vendor = b.vendor.clone();
            info.architecture = b.architecture.clone();
            info.device = b.device.clone();
            info.description = b.description.clone();
        }
        info
    }
}

impl CellMeasurer for EngineMeasurer {
    fn precisions(&self) -> Vec<Precision> {
        Precision::to_measure(self.gpu.shader_f16, self.also_f32)
    }

    async fn measure(&mut self, cell: &Cell, precision: Precision, stop: &dyn Fn() -> bool) -> Result<MeasurementRecord, MeasureError> {
        if let Some(e) = self.lost_error() {
            return Err(e);
        }
        let net = build(cell, &NetConfig::default_at(precision));
        let weights = Weights::seeded(&net, WEIGHT_SEED);
        let input = seeded_input(net.tensors[net.input].shape, WEIGHT_SEED);
        let outcome = async {
            let program = Program::new(&self.gpu, &net, &weights, &input, true).map_err(|e| e.to_string())?;
            measure_stoppable(&self.gpu, &program, &self.protocol, stop).await.map_err(|e| e.to_string())
        }
        .await;
        match outcome {
            Ok(Some(m)) => Ok(m.into_record(&net, RecordContext { adapter: self.adapter_info(), ..RecordContext::default() })),
            Ok(None) => Err(MeasureError::Stopped),
            Err(e) => Err(self.lost_error().unwrap_or(MeasureError::Failed(e))),
        }
    }

    async fn recreate(&mut self) -> Result<(), String> {
        let (gpu, lost) = open().await?;
        self.gpu = gpu;
        self.lost = lost;
        Ok(())
    }
}
