//! SYNTHETIC latencies for tests and benchmarks only — never a device model, never shipped.
//!
//! A made-up roofline device: every kernel launch costs a fixed overhead plus the larger of
//! its compute time (MACs at a kernel- and width-dependent efficiency) and its memory time
//! (activation and weight bytes over a bandwidth), and every network gets multiplicative
//! log-normal noise. It gives the predictors a realistic shape of problem (launch-bound small
//! cells, compute-bound wide convolutions, noise) so the pipeline can be tested end to end
//! before real measurements exist. Records it writes say `synthetic` in the adapter vendor
//! and description, and models trained on them are flagged `synthetic`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

use crate::measure::{AdapterInfo, ClientInfo, MeasurementRecord, Stats, TimingMode, SCHEMA_VERSION};
use crate::net::{LayerKind, NetConfig};
use crate::space::{Cell, CellSpec};

use super::compact::CompactNet;

/// Vendor string of synthetic records.
pub const SYNTHETIC_VENDOR: &str = "synthetic";

/// Parameters of a made-up device.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticDevice {
    pub name: String,
    /// Fixed cost of every kernel launch, ms.
    pub launch_ms: f64,
    /// Peak multiply-accumulates per ms.
    pub macs_per_ms: f64,
    /// Memory bandwidth, bytes per ms.
    pub bytes_per_ms: f64,
    /// Compute efficiency of 1x1 convolutions relative to 3x3.
    pub conv1x1_efficiency: f64,
    /// Channel count at which convolutions reach half their peak efficiency.
    pub half_efficiency_channels: f64,
    /// Standard deviation of the log-normal network noise (0.02 = about 2%).
    pub noise: f64,
}

impl SyntheticDevice {
    /// A few distinct made-up devices (phone-like to desktop-like).
    pub fn presets() -> Vec<SyntheticDevice> {
        vec![
            SyntheticDevice {
                name: "synthetic-phone-a".into(),
                launch_ms: 0.02,
                macs_per_ms: 2.0e8,
                bytes_per_ms: 1.5e7,
                conv1x1_efficiency: 0.6,
                half_efficiency_channels: 24.0,
                noise: 0.02,
            },
            SyntheticDevice {
                name: "synthetic-phone-b".into(),
                launch_ms: 0.035,
                macs_per_ms: 1.2e8,
                bytes_per_ms: 1.0e7,
                conv1x1_efficiency: 0.8,
                half_efficiency_channels: 40.0,
                noise: 0.02,
            },
            SyntheticDevice {
                name: "synthetic-laptop".into(),
                launch_ms: 0.01,
                macs_per_ms: 1.0e9,
                bytes_per_ms: 5.0e7,
                conv1x1_efficiency: 0.5,
                half_efficiency_channels: 64.0,
                noise: 0.015,
            },
        ]
    }

    /// Noise-free latency of `cell`'s default network, ms.
    pub fn ideal_ms(&self, cell: &Cell) -> f64 {
        let net = CompactNet::new(cell, &NetConfig::default());
        let mut total = 0.0;
        let layer = |kind: LayerKind, size_out: usize, read: f64, write: f64| -> f64 {
            if kind.is_view() {
                return 0.0;
            }
            let spatial = (size_out * size_out) as f64;
            let (macs, weights, eff) = match kind {
                LayerKind::Conv { k, c_in, c_out } => {
                    let w = (k * k * c_in * c_out) as f64;
                    let c = c_out.min(c_in) as f64;
                    let e = c / (c + self.half_efficiency_channels) * if k == 1 { self.conv1x1_efficiency } else { 1.0 };
                    (w * spatial, 4.0 * w, e)
                }
                LayerKind::Dense { c_in, c_out } => ((c_in * c_out) as f64, 4.0 * (c_in * c_out) as f64, 0.2),
                _ => (0.0, 0.0, 1.0),
            };
            let compute = macs / (self.macs_per_ms * eff);
            let memory = (read + write + weights) / self.bytes_per_ms;
            self.launch_ms + compute.max(memory)
        };
        for l in &net.outer {
            let b = |c: usize, s: usize| 4.0 * (c * s * s) as f64;
            total += layer(l.kind, l.size_out, b(l.c_in, l.size_in), b(l.c_out, l.size_out));
        }
        for (inst, _, count) in &net.cells {
            let mut sum = 0.0;
            for l in inst.layers() {
                let read: u64 = l.inputs().iter().map(|&t| inst.bytes(t)).sum();
                sum += layer(inst.kind(l), inst.size, read as f64, inst.bytes(l.output) as f64);
            }
            total += sum * *count as f64;
        }
        total
    }

    /// A noisy measurement of `cell`, ms.
    pub fn measure_ms(&self, cell: &Cell, rng: &mut ChaCha8Rng) -> f64 {
        // Box-Muller normal from two uniforms.
        let u1: f64 = rng.random_range(f64::EPSILON..1.0);
        let u2: f64 = rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        self.ideal_ms(cell) * (self.noise * z).exp()
    }

    /// Measurement records of `cells` on this device, in the shared schema.
    pub fn records(&self, cells: &[Cell], seed: u64) -> Vec<MeasurementRecord> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let ms = self.measure_ms(cell, &mut rng);
                let stats = Stats { median_ms: ms, p10_ms: ms * 0.98, p90_ms: ms * 1.02, mad_ms: ms * 0.01, cov: self.noise, runs: 10 };
                MeasurementRecord {
                    schema_version: SCHEMA_VERSION,
                    id: format!("synthetic-{}-{seed}-{i}", self.name),
                    created_unix_ms: 0,
                    hash: cell.hash(),
                    cell: cell.to_spec(),
                    network: NetConfig::default(),
                    wall: stats,
                    gpu: Some(stats),
                    mode: TimingMode::WholePass,
                    layers: None,
                    layers_mode: None,
                    mode_overheads: Vec::new(),
                    warmup_runs: 0,
                    noisy: false,
                    timestamp_resolution_ns: None,
                    kernels: None,
                    limits: None,
                    adapter: AdapterInfo {
                        vendor: SYNTHETIC_VENDOR.into(),
                        architecture: String::new(),
                        device: self.name.clone(),
                        description: format!("SYNTHETIC test device {}", self.name),
                        backend: "synthetic".into(),
                        driver: String::new(),
                    },
                    client: ClientInfo {
                        user_agent: "synthetic generator (tests only)".into(),
                        device_label: None,
                        engine_version: String::new(),
                        hints: None,
                    },
                    run: None,
                }
            })
            .collect()
    }
}

/// `n` distinct random valid cells (random 2..7-vertex specs, pruned), deterministic for a
/// seed. Cheaper than enumerating the space; not uniform over it.
pub fn random_cells(n: usize, seed: u64) -> Vec<Cell> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let labels = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"];
    let mut seen = FxHashSet::default();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let v = rng.random_range(3..=7usize);
        let p = rng.random_range(0.25..0.6);
        let adj: Vec<Vec<u8>> = (0..v).map(|i| (0..v).map(|j| (j > i && rng.random_bool(p)) as u8).collect()).collect();
        let mut ops = vec!["input".to_string()];
        for _ in 1..v - 1 {
            ops.push(labels[rng.random_range(0..3)].to_string());
        }
        ops.push("output".to_string());
        if let Ok(c) = CellSpec::new(adj, ops).validate() {
            if seen.insert(c.hash()) {
                out.push(c);
            }
        }
    }
    out
}
