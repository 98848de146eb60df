//! A planned network on a device: the arena, per-layer weight buffers, the parameter block and
//! one (pipeline, bind group, workgroup count) per step — all created once per network — and
//! the runs: encode, submit, wait, optional timestamps, readback.

use std::sync::Arc;

use wgpu::util::DeviceExt;

use super::clock::now_ms;
use super::device::Gpu;
use super::kernels::Kernel;
use super::launch::{launch, Launch};
use super::params::PARAMS_BYTES;
use super::plan::{schedule, PlanError, Schedule, Step, TensorRef};
use super::sync::{map_read, submitted_work_done};
use super::timing_mode::TimingMode;
use super::weights::{LayerWeights, Weights};
use crate::net::{LayerId, Net, Precision, TensorId};

#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{what} needs {bytes} bytes, over this adapter's limit of {limit} bytes")]
    TooLarge { what: String, bytes: u64, limit: u64 },
    #[error("timing mode {0:?} needs timestamp support this adapter lacks")]
    NoTimestamps(TimingMode),
    #[error("reading back from the GPU failed: {0}")]
    Readback(#[from] wgpu::BufferAsyncError),
    #[error("input has {got} values, the network takes {want}")]
    InputSize { got: usize, want: usize },
    #[error("the network is configured for f16, and this adapter has no shader-f16")]
    NoF16,
}

/// One kernel launch with its resources bound.
pub struct Dispatch {
    pub name: String,
    pub kernel: Kernel,
    pub layers: Vec<LayerId>,
    pub macs: u64,
    pub groups: [u32; 3],
    pipeline: Arc<wgpu::ComputePipeline>,
    bind_group: wgpu::BindGroup,
}

/// What one whole inference took.
#[derive(Clone, Debug, PartialEq)]
pub struct RunTiming {
    /// Wall clock from submit to completion, ms.
    pub wall_ms: f64,
    /// GPU time of the whole inference from timestamps, ms (timestamped modes).
    pub gpu_ms: Option<f64>,
    /// GPU time per dispatch, ms (`PerDispatch` and `PerPass`).
    pub per_dispatch_ms: Option<Vec<f64>>,
    /// Raw timestamp values in write order (ticks of `timestamp_period_ns`), for resolution
    /// estimates.
    pub timestamp_ticks: Vec<u64>,
    /// Nanoseconds per timestamp tick.
    pub timestamp_period_ns: f64,
}

struct Queries {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
    count: u32,
}

/// A network ready to run on one device.
pub struct Program {
    pub schedule: Schedule,
    pub dispatches: Vec<Dispatch>,
    arena: wgpu::Buffer,
    arena_bytes: u64,
    precision: Precision,
    input: TensorRef,
    input_elems: usize,
    output: TensorRef,
    output_elems: usize,
    queries: Option<Queries>,
    _weights: Vec<wgpu::Buffer>,
    _params: wgpu::Buffer,
}

fn gpu_weights(lw: &LayerWeights) -> Vec<f32> {
    // [r = ci * k * k + tap][c_out4], then the bias [c_out4].
    let rows = lw.c_in * lw.k * lw.k;
    let c4 = lw.c_out.next_multiple_of(4);
    let mut v = vec![0.0f32; rows * c4 + c4];
    for co in 0..lw.c_out {
        for r in 0..rows {
            v[r * c4 + co] = lw.w[co * rows + r];
        }
        v[rows * c4 + co] = lw.bias[co];
    }
    v
}

fn u(x: usize) -> u32 {
    u32::try_from(x).expect("sizes fit in u32")
}

/// `values` as the GPU stores them in `precision`, padded to whole 4-byte words (buffer
/// writes and sizes are multiples of 4 bytes).
fn gpu_bytes(values: &[f32], precision: Precision) -> Vec<u8> {
    let mut bytes = match precision {
        Precision::F32 => bytemuck::cast_slice(values).to_vec(),
        Precision::F16 => values.iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect(),
    };
    bytes.resize(bytes.len().next_multiple_of(4), 0);
    bytes
}

/// GPU-stored values of `precision` back as f32.
fn cpu_values(bytes: &[u8], precision: Precision) -> Vec<f32> {
    match precision {
        Precision::F32 => bytemuck::cast_slice(bytes).to_vec(),
        Precision::F16 => bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
    }
}

/// The activation arena: one storage buffer for every tensor, within the requested limits.
fn create_arena(gpu: &Gpu, elements: usize, precision: Precision) -> Result<(wgpu::Buffer, u64), ProgramError> {
    let bytes = (precision.bytes() * elements).next_multiple_of(4) as u64;
    let limit = gpu.limits.max_storage_buffer_binding_size.min(gpu.limits.max_buffer_size);
    if bytes > limit {
        return Err(ProgramError::TooLarge { what: "the activation arena".into(), bytes, limit });
    }
    let arena = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("arena"),
        size: bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    Ok((arena, bytes))
}

/// One weight buffer (weights then bias, `gpu_weights` layout) per step that binds weights.
fn upload_weights(gpu: &Gpu, sch: &Schedule, launches: &[Launch], weights: &Weights, precision: Precision) -> Result<Vec<Option<wgpu::Buffer>>, ProgramError> {
    let limit = gpu.limits.max_storage_buffer_binding_size;
    sch.steps
        .iter()
        .zip(launches)
        .map(|(step, l)| {
            let data = match l.weights_of.as_slice() {
                [] => return Ok(None),
                [one] => gpu_bytes(&gpu_weights(weights.layer(*one)), precision),
                many => gpu_bytes(&gpu_weights(&LayerWeights::stacked(&many.iter().map(|&l| weights.layer(l)).collect::<Vec<_>>())), precision),
            };
            let bytes = data.len() as u64;
            if bytes > limit {
                return Err(ProgramError::TooLarge { what: format!("weights of {}", step.name), bytes, limit });
            }
            let usage = wgpu::BufferUsages::STORAGE;
            Ok(Some(gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(&step.name), contents: &data, usage })))
        })
        .collect()
}

/// Every step's parameter block in one uniform buffer, one slot per step at the adapter's
/// uniform offset alignment; returns the buffer and the slot stride.
fn upload_params(gpu: &Gpu, launches: &[Launch]) -> (wgpu::Buffer, u64) {
    let stride = (gpu.limits.min_uniform_buffer_offset_alignment as u64).max(PARAMS_BYTES);
    let mut bytes = vec![0u8; (stride * launches.len().max(1) as u64) as usize];
    for (i, l) in launches.iter().enumerate() {
        let at = i * stride as usize;
        bytes[at..at + l.params.len()].copy_from_slice(&l.params);
    }
    let buffer =
        gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("params"), contents: &bytes, usage: wgpu::BufferUsages::UNIFORM });
    (buffer, stride)
}

/// The buffers one step binds: its parameter slot, the arena, its weights if any.
struct StepResources<'a> {
    params: &'a wgpu::Buffer,
    params_at: u64,
    arena: &'a wgpu::Buffer,
    weights: Option<&'a wgpu::Buffer>,
}

/// The step's pipeline (from the device's cache) and its bind group.
fn bind(gpu: &Gpu, step: &Step, l: Launch, r: StepResources<'_>, precision: Precision) -> Dispatch {
    let pipeline = gpu.kernels.get(&gpu.device, l.kernel, precision);
    let params = wgpu::BufferBinding { buffer: r.params, offset: r.params_at, size: wgpu::BufferSize::new(PARAMS_BYTES) };
    let mut entries = vec![
        wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::Buffer(params) },
        wgpu::BindGroupEntry { binding: 1, resource: r.arena.as_entire_binding() },
    ];
    if let Some(w) = r.weights {
        entries.push(wgpu::BindGroupEntry { binding: 2, resource: w.as_entire_binding() });
    }
    let bind_group =
        gpu.device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(&step.name), layout: &pipeline.get_bind_group_layout(0), entries: &entries });
    Dispatch { name: step.name.clone(), kernel: l.kernel, layers: step.layers.clone(), macs: step.macs, groups: l.groups, pipeline, bind_group }
}

/// A query set of `count` timestamps with its resolve and readback buffers.
fn timestamp_queries(device: &wgpu::Device, count: u32) -> Queries {
    let buffer = |label, usage| device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: 8 * count as u64, usage, mapped_at_creation: false });
    Queries {
        set: device.create_query_set(&wgpu::QuerySetDescriptor { label: Some("timestamps"), ty: wgpu::QueryType::Timestamp, count }),
        resolve: buffer("timestamps resolve", wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC),
        readback: buffer("timestamps readback", wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST),
        count,
    }
}

impl Program {
    /// Plans `net` on `gpu` with `weights` and uploads `input`. `reuse = false` keeps every
    /// tensor in its own region so that [`Program::read_tensors`] can return all of them.
    ///
    /// Steps: schedule the IR over one arena; work out each step's launch (kernel, parameter
    /// block, grid); upload weights and parameters; bind one pipeline and bind group per step;
    /// create the timestamp queries the adapter allows; upload the input.
    pub fn new(gpu: &Gpu, net: &Net, weights: &Weights, input: &[f32], reuse: bool) -> Result<Program, ProgramError> {
        let precision = net.config.precision;
        if precision == Precision::F16 && !gpu.shader_f16 {
            return Err(ProgramError::NoF16);
        }
        let sch = schedule(net, reuse, gpu.plan_rules())?;
        let (arena, arena_bytes) = create_arena(gpu, sch.arena_elements, precision)?;
        let max_groups = gpu.limits.max_compute_workgroups_per_dimension;
        let launches: Vec<Launch> = sch.steps.iter().map(|s| launch(&s.kind, sch.batch, gpu.kernels.tiling, max_groups)).collect();
        let weight_bufs = upload_weights(gpu, &sch, &launches, weights, precision)?;
        let (params, stride) = upload_params(gpu, &launches);
        let dispatches = sch
            .steps
            .iter()
            .zip(launches)
            .enumerate()
            .map(|(i, (step, l))| {
                let resources = StepResources { params: &params, params_at: i as u64 * stride, arena: &arena, weights: weight_bufs[i].as_ref() };
                bind(gpu, step, l, resources, precision)
            })
            .collect::<Vec<_>>();
        let queries = gpu.timestamps.then(|| timestamp_queries(&gpu.device, u(2 * dispatches.len() + 2)));
        let program = Program {
            input: sch.refs[net.input].expect("input placed"),
            input_elems: net.tensors[net.input].shape.elements(),
            output: sch.refs[net.output].expect("output placed"),
            output_elems: net.tensors[net.output].shape.elements(),
            schedule: sch,
            dispatches,
            arena,
            arena_bytes,
            precision,
            queries,
            _weights: weight_bufs.into_iter().flatten().collect(),
            _params: params,
        };
        program.set_input(gpu, input)?;
        Ok(program)
    }

    /// Uploads a new input image batch (NCHW, the network input's shape).
    pub fn set_input(&self, gpu: &Gpu, input: &[f32]) -> Result<(), ProgramError> {
        if input.len() != self.input_elems {
            return Err(ProgramError::InputSize { got: input.len(), want: self.input_elems });
        }
        gpu.queue.write_buffer(&self.arena, (self.precision.bytes() * self.input.offset) as u64, &gpu_bytes(input, self.precision));
        Ok(())
    }

    /// Total multiply-accumulates of one inference.
    pub fn macs(&self) -> u64 {
        self.dispatches.iter().map(|d| d.macs).sum()
    }

    fn encode(&self, gpu: &Gpu, mode: TimingMode) -> wgpu::CommandBuffer {
        let mut enc = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("inference") });
        let q = self.queries.as_ref();
        let dispatch = |pass: &mut wgpu::ComputePass<'_>, d: &Dispatch| {
            pass.set_pipeline(&d.pipeline);
            pass.set_bind_group(0, &d.bind_group, &[]);
            pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
        };
        let used = match mode {
            TimingMode::Plain | TimingMode::WholePass => {
                let timestamp_writes = (mode == TimingMode::WholePass).then(|| wgpu::ComputePassTimestampWrites {
                    query_set: &q.expect("timestamps").set,
                    beginning_of_pass_write_index: Some(0),
                    end_of_pass_write_index: Some(1),
                });
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("inference"), timestamp_writes });
                for d in &self.dispatches {
                    dispatch(&mut pass, d);
                }
                if mode == TimingMode::Plain {
                    0
                } else {
                    2
                }
            }
            TimingMode::PerDispatch => {
                let set = &q.expect("timestamps").set;
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("inference"), timestamp_writes: None });
                pass.write_timestamp(set, 0);
                for (i, d) in self.dispatches.iter().enumerate() {
                    dispatch(&mut pass, d);
                    pass.write_timestamp(set, u(i + 1));
                }
                u(self.dispatches.len() + 1)
            }
            TimingMode::PerPass => {
                let set = &q.expect("timestamps").set;
                for (i, d) in self.dispatches.iter().enumerate() {
                    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some(&d.name),
                        timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                            query_set: set,
                            beginning_of_pass_write_index: Some(u(2 * i)),
                            end_of_pass_write_index: Some(u(2 * i + 1)),
                        }),
                    });
                    dispatch(&mut pass, d);
                }
                u(2 * self.dispatches.len())
            }
        };
        if let (Some(q), true) = (q, used > 0) {
            debug_assert!(used <= q.count);
            enc.resolve_query_set(&q.set, 0..used, &q.resolve, 0);
            enc.copy_buffer_to_buffer(&q.resolve, 0, &q.readback, 0, 8 * used as u64);
        }
        enc.finish()
    }

    /// Whether `mode` can run on `gpu`.
    pub fn supports(gpu: &Gpu, mode: TimingMode) -> bool {
        match mode {
            TimingMode::Plain => true,
            TimingMode::WholePass | TimingMode::PerPass => gpu.timestamps,
            TimingMode::PerDispatch => gpu.timestamps_inside_passes,
        }
    }

    /// Runs one whole inference in `mode` and times it: wall clock from submit to completion,
    /// and GPU timestamps in the timestamped modes.
    pub async fn run(&self, gpu: &Gpu, mode: TimingMode) -> Result<RunTiming, ProgramError> {
        if !Self::supports(gpu, mode) {
            return Err(ProgramError::NoTimestamps(mode));
        }
        let cmd = self.encode(gpu, mode);
        let t0 = now_ms();
        gpu.queue.submit([cmd]);
        submitted_work_done(&gpu.device, &gpu.queue).await;
        let wall_ms = now_ms() - t0;
        let mut timing = RunTiming { wall_ms, gpu_ms: None, per_dispatch_ms: None, timestamp_ticks: Vec::new(), timestamp_period_ns: 1.0 };
        if mode == TimingMode::Plain {
            return Ok(timing);
        }
        let q = self.queries.as_ref().expect("timestamps");
        map_read(&gpu.device, &q.readback).await?;
        let ticks: Vec<u64> = {
            let view = q.readback.slice(..).get_mapped_range().expect("mapped");
            let grid = gpu.timestamp_grid_ticks.unwrap_or(1);
            bytemuck::cast_slice::<u8, u64>(&view).iter().map(|t| t - t % grid).collect()
        };
        q.readback.unmap();
        let period = gpu.queue.get_timestamp_period() as f64;
        let ns = |a: u64, b: u64| b.saturating_sub(a) as f64 * period;
        let n = self.dispatches.len();
        timing.timestamp_period_ns = period;
        match mode {
            TimingMode::WholePass => {
                timing.timestamp_ticks = ticks[..2].to_vec();
                timing.gpu_ms = Some(ns(ticks[0], ticks[1]) / 1e6);
            }
            TimingMode::PerDispatch => {
                timing.timestamp_ticks = ticks[..n + 1].to_vec();
                let per: Vec<f64> = (0..n).map(|i| ns(ticks[i], ticks[i + 1]) / 1e6).collect();
                timing.gpu_ms = Some(ns(ticks[0], ticks[n]) / 1e6);
                timing.per_dispatch_ms = Some(per);
            }
            TimingMode::PerPass => {
                timing.timestamp_ticks = ticks[..2 * n].to_vec();
                let per: Vec<f64> = (0..n).map(|i| ns(ticks[2 * i], ticks[2 * i + 1]) / 1e6).collect();
                timing.gpu_ms = Some(ns(ticks[0], ticks[2 * n - 1]) / 1e6);
                timing.per_dispatch_ms = Some(per);
            }
            TimingMode::Plain => unreachable!(),
        }
        Ok(timing)
    }

    /// Copies `elements` values of the arena from element `from` back to the CPU, as f32.
    /// The copy covers whole 4-byte words (two f16 values), so it may start one value early.
    async fn read_arena_range(&self, gpu: &Gpu, from: usize, elements: usize) -> Result<Vec<f32>, ProgramError> {
        let size = self.precision.bytes() as u64;
        let start = (size * from as u64) & !3;
        let end = (size * (from + elements) as u64).next_multiple_of(4);
        let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("arena readback"),
            size: end - start,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        enc.copy_buffer_to_buffer(&self.arena, start, &staging, 0, end - start);
        gpu.queue.submit([enc.finish()]);
        map_read(&gpu.device, &staging).await?;
        let data = cpu_values(&staging.slice(..).get_mapped_range().expect("mapped"), self.precision);
        staging.unmap();
        let skip = from - (start / size) as usize;
        Ok(data[skip..skip + elements].to_vec())
    }

    async fn read_arena(&self, gpu: &Gpu) -> Result<Vec<f32>, ProgramError> {
        self.read_arena_range(gpu, 0, (self.arena_bytes / self.precision.bytes() as u64) as usize).await
    }

    fn extract(&self, arena: &[f32], r: TensorRef, per_image: usize, batch: usize) -> Vec<f32> {
        (0..batch).flat_map(|n| arena[r.offset + n * r.bstride..][..per_image].iter().copied()).collect()
    }

    /// The network output (logits), after a run. Copies back only the span of the arena that
    /// holds the output (a few hundred bytes, not the whole arena), as an application would.
    pub async fn read_output(&self, gpu: &Gpu) -> Result<Vec<f32>, ProgramError> {
        let b = self.schedule.batch;
        let per_image = self.output_elems / b;
        let span = (b - 1) * self.output.bstride + per_image;
        let data = self.read_arena_range(gpu, self.output.offset, span).await?;
        Ok(self.extract(&data, TensorRef { offset: 0, ..self.output }, per_image, b))
    }

    /// Every tensor that has its own place (all of them but fused conv outputs), NCHW, after a
    /// run. Only meaningful for a program built with `reuse = false`.
    pub async fn read_tensors(&self, gpu: &Gpu, net: &Net) -> Result<Vec<Option<Vec<f32>>>, ProgramError> {
        let arena = self.read_arena(gpu).await?;
        let b = self.schedule.batch;
        Ok((0..net.tensors.len()).map(|t: TensorId| self.schedule.refs[t].map(|r| self.extract(&arena, r, net.tensors[t].shape.elements() / b, b))).collect())
    }
}
