//! GPU device setup: picks an adapter (optionally by a name substring), requests a device with
//! the limits of a [`LimitsTier`] (by default the WebGPU defaults every conformant browser
//! guarantees, a phone's included) and the timestamp features it offers, and reports adapter
//! info and the limits the kernels are sized against.

use serde::{Deserialize, Serialize};

use super::limits::{LimitsError, LimitsInfo, LimitsTier};

/// An open GPU device with what the engine needs to know about it.
pub struct Gpu {
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    /// The limits requested, which the kernels are sized against.
    pub limits: wgpu::Limits,
    /// Where [`Gpu::limits`] came from.
    pub limits_tier: LimitsTier,
    /// `timestamp-query` (pass-boundary timestamps) is enabled.
    pub timestamps: bool,
    /// Timestamps may also be written between dispatches inside a pass (native only).
    pub timestamps_inside_passes: bool,
    /// Every timestamp is rounded down to a multiple of this many ticks, as a browser without
    /// developer features does (see [`Gpu::coarsen_timestamps`]); `None`: as the adapter gives them.
    pub timestamp_grid_ticks: Option<u64>,
    /// `shader-f16` is enabled: networks configured for f16 can run (see `net::Precision`).
    pub shader_f16: bool,
    pub(crate) kernels: super::kernels::KernelCache,
    /// The planner's rules for networks planned on this device.
    pub(crate) plan_rules: super::plan::PlanRules,
    /// Probe times (ms) of both conv kernel families when the device was opened; the faster
    /// one is in use.
    pub conv_probe_ms: Option<super::autotune::ProbeTotals>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no GPU adapter found{0}")]
    NoAdapter(String),
    #[error("could not open the GPU device: {0}")]
    RequestDevice(#[from] wgpu::RequestDeviceError),
    #[error(transparent)]
    Limits(#[from] LimitsError),
}

/// One line of `leti adapters`: what wgpu reports about an adapter.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub timestamps: bool,
    pub timestamps_inside_passes: bool,
    pub shader_f16: bool,
}

fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = wgpu::Backends::all();
    wgpu::Instance::new(desc)
}

/// Every adapter wgpu can see (native); in the browser, the one `requestAdapter` returns.
pub async fn list_adapters() -> Vec<AdapterSummary> {
    let instance = instance();
    let adapters = all_adapters(&instance).await;
    adapters
        .iter()
        .map(|a| {
            let f = a.features();
            AdapterSummary {
                info: a.get_info(),
                limits: a.limits(),
                timestamps: f.contains(wgpu::Features::TIMESTAMP_QUERY),
                timestamps_inside_passes: f.contains(wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES),
                shader_f16: f.contains(wgpu::Features::SHADER_F16),
            }
        })
        .collect()
}

async fn all_adapters(instance: &wgpu::Instance) -> Vec<wgpu::Adapter> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        instance.enumerate_adapters(wgpu::Backends::all()).await
    }
    #[cfg(target_arch = "wasm32")]
    {
        let opts = wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
        instance.request_adapter(&opts).await.into_iter().collect()
    }
}

impl Gpu {
    /// [`Gpu::open_with`] the WebGPU default limits.
    pub async fn open(name_filter: Option<&str>) -> Result<Gpu, DeviceError> {
        Gpu::open_with(name_filter, LimitsTier::WebgpuDefault).await
    }

    /// Opens the first adapter whose name contains `name_filter` (case-insensitive), or the
    /// first adapter at all. Requests the limits of `tier` (the kernels size themselves to
    /// them) timestamp queries and `shader-f16` where available, then picks the fastest conv kernel family
    /// by timing every one on probe layers (see `autotune`).
    pub async fn open_with(name_filter: Option<&str>, tier: LimitsTier) -> Result<Gpu, DeviceError> {
        let instance = instance();
        let adapters = all_adapters(&instance).await;
        let wanted = name_filter.map(|s| s.to_lowercase());
        let adapter = adapters
            .into_iter()
            .find(|a| wanted.as_ref().is_none_or(|w| a.get_info().name.to_lowercase().contains(w)))
            .ok_or_else(|| DeviceError::NoAdapter(name_filter.map(|n| format!(" whose name contains {n:?}")).unwrap_or_default()))?;
        let features = adapter.features() & (wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES | wgpu::Features::SHADER_F16);
        let limits = tier.limits(&adapter.limits())?;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor { label: Some("leti"), required_features: features, required_limits: limits.clone(), ..Default::default() })
            .await?;
        let info = adapter.get_info();
        let kernels = super::kernels::KernelCache::new(&limits, super::kernels::ConvStrategy::Workgroup);
        let mut gpu = Gpu {
            adapter,
            timestamps: features.contains(wgpu::Features::TIMESTAMP_QUERY),
            timestamps_inside_passes: features.contains(wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES),
            shader_f16: features.contains(wgpu::Features::SHADER_F16),
            timestamp_grid_ticks: None,
            device,
            queue,
            info,
            limits,
            limits_tier: tier,
            kernels,
            plan_rules: super::plan::PlanRules::default(),
            conv_probe_ms: None,
        };
        // Keep the faster conv family on this device; on a probe failure keep the default.
        gpu.conv_probe_ms = super::autotune::autotune_conv(&mut gpu).await.ok();
        Ok(gpu)
    }

    /// The adapter as the measurement record describes it.
    pub fn adapter_info(&self) -> AdapterInfo {
        record_adapter_info(&self.info)
    }

    /// Overrides the convolution strategy chosen from the adapter type (for benchmarks and
    /// tests of both kernel families on one adapter). Pipelines already compiled stay cached.
    pub fn set_conv_strategy(&mut self, conv: super::kernels::ConvStrategy) {
        self.kernels.tiling.conv = conv;
    }

    /// Overrides the planner's rules (the default merges projections), for benchmarks against
    /// the layerwise plan and for measuring as older engines did.
    pub fn set_plan_rules(&mut self, rules: super::plan::PlanRules) {
        self.plan_rules = rules;
    }

    /// The planner's rules in use.
    pub fn plan_rules(&self) -> super::plan::PlanRules {
        self.plan_rules
    }

    /// Times without timestamp queries from now on, as on a browser that has none (Safari
    /// today): wall clock only, no per-layer breakdown.
    pub fn without_timestamps(&mut self) {
        self.timestamps = false;
        self.timestamps_inside_passes = false;
    }

    /// Rounds every timestamp down to a multiple of `quantum_ns` from now on, as Chrome does
    /// without WebGPU developer features (it zeroes the low 16 bits: 65,536 ns), so that a
    /// phone's coarse timer can be emulated on an adapter with a fine one.
    pub fn coarsen_timestamps(&mut self, quantum_ns: f64) {
        let period = self.queue.get_timestamp_period() as f64;
        self.timestamp_grid_ticks = Some(((quantum_ns / period).round() as u64).max(1));
    }

    /// The limits this device runs under, as a record keeps them.
    pub fn limits_info(&self) -> LimitsInfo {
        let l = &self.limits;
        LimitsInfo {
            tier: self.limits_tier,
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
            max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
            max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
            max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
        }
    }

    /// The kernel tile sizes chosen for this device's limits.
    pub fn tiling(&self) -> super::kernels::Tiling {
        self.kernels.tiling
    }

    /// The kernel configuration a measurement record states: the conv family and tile sizes,
    /// and the planner's rules (both change every timing), e.g. `conv register-wide 64 (4 px x
    /// 8 ch); 1-D 256; plan 2 (projections merged)`.
    pub fn kernel_config(&self) -> String {
        format!("{}{}", self.tiling().describe(), self.plan_rules.suffix())
    }

    /// Pipelines compiled so far on this device (each kernel variant once).
    pub fn pipelines_compiled(&self) -> usize {
        self.kernels.compiled()
    }
}

/// Converts wgpu's adapter info into the record's.
pub fn record_adapter_info(info: &wgpu::AdapterInfo) -> AdapterInfo {
    let driver = [info.driver.as_str(), info.driver_info.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
    AdapterInfo {
        vendor: if info.vendor == 0 { String::new() } else { format!("0x{:04x}", info.vendor) },
        architecture: format!("{:?}", info.device_type).to_lowercase(),
        device: if info.device == 0 { info.name.clone() } else { format!("{} (0x{:04x})", info.name, info.device) },
        description: info.name.clone(),
        backend: info.backend.to_string().to_lowercase(),
        driver,
    }
}

/// What the graphics API says about the adapter that ran the network.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AdapterInfo {
    pub vendor: String,
    pub architecture: String,
    pub device: String,
    pub description: String,
    /// `vulkan`, `metal`, `dx12`, `webgpu`, ...
    pub backend: String,
    /// Driver name and version where exposed.
    pub driver: String,
}
