//! `leti measure`: measures networks on a GPU adapter with the timing protocol and appends one
//! JSON record per cell to a JSONL file, flushed per cell (an interrupted run loses nothing;
//! `--resume` skips cells whose hash is already in the file). With `--reference-every N` the
//! reference cell (anchor 0, the thermal probe) is measured before the first cell and after every
//! N cells; each record's `run.thermal_ratio` is then the latest reference latency over the
//! first one, so a host whose speed drifts (a CPU renderer on a shared machine, a phone that
//! heats up) leaves its drift in the data next to the absolute timings.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use super::cell_json::spec_value;
use crate::engine::{seeded_input, ConvStrategy, Gpu, LimitsTier, PlanRules, Program, Weights, MEASURE_SEED};
use crate::measure::{measure, new_record_id, ClientInfo, MeasurementRecord, Protocol, RecordContext, RunInfo};
use crate::net::{build, NetConfig, Precision};
use crate::space::{Cell, CellSpec};

/// `--limits`: the engine's [`LimitsTier`]s on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitsArg {
    WebgpuDefault,
    Downlevel,
    Compatibility,
    Adapter,
}

impl LimitsArg {
    pub fn tier(self) -> LimitsTier {
        match self {
            LimitsArg::WebgpuDefault => LimitsTier::WebgpuDefault,
            LimitsArg::Downlevel => LimitsTier::Downlevel,
            LimitsArg::Compatibility => LimitsTier::Compatibility,
            LimitsArg::Adapter => LimitsTier::Adapter,
        }
    }
}

/// `--conv`: a convolution kernel family by its name.
fn parse_conv(name: &str) -> Result<ConvStrategy, String> {
    ConvStrategy::from_name(name).ok_or_else(|| format!("{name:?} is not a conv family ({})", ConvStrategy::names()))
}

/// `--plan`: the planner's rules by their name.
fn parse_plan(name: &str) -> Result<PlanRules, String> {
    PlanRules::from_name(name).ok_or_else(|| format!("{name:?} is not a plan ({})", PlanRules::names()))
}

#[derive(clap::Args, Debug)]
pub struct MeasureArgs {
    /// JSONL file of cell specs: one JSON object with `module_adjacency` and
    /// `module_operations` per line (blank lines ignored), as `leti inspect` reads; lines of
    /// `leti anchors` (the spec under `cell`) are accepted too.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["sample", "layers"], conflicts_with_all = ["sample", "layers"])]
    pub cells: Option<PathBuf>,
    /// Measure N cells sampled uniformly (without replacement) from the whole space.
    #[arg(long, value_name = "N", conflicts_with = "layers")]
    pub sample: Option<usize>,
    /// Instead of networks, time every distinct layer configuration of the space in isolation
    /// (the lookup-table baseline) and write the table (JSONL of `{config, median_ms, ...}`) to
    /// --out. Uses --repeats and --warmup-max; needs timestamp queries.
    #[arg(long)]
    pub layers: bool,
    /// Seed of --sample.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed runs per timing mode per cell (more when the spread is too high).
    #[arg(long, default_value_t = 20)]
    pub repeats: u32,
    /// Runs of the per-layer profiling mode per cell (0: no per-layer breakdown).
    #[arg(long, default_value_t = 5)]
    pub profile_runs: u32,
    /// Coefficient of variation above which a cell is measured again with more runs, and
    /// flagged `noisy` if it stays above.
    #[arg(long, default_value_t = 0.1)]
    pub cov_threshold: f64,
    /// Most warm-up runs per cell (warm-up stops earlier once timings settle).
    #[arg(long, default_value_t = 30)]
    pub warmup_max: u32,
    /// How many times a cell whose spread stays above --cov-threshold is measured again, each
    /// time with twice the runs.
    #[arg(long, default_value_t = 2)]
    pub max_remeasure: u32,
    /// Time only the whole-pass runs, without plain runs in between to record the
    /// timestamps' overhead: half the cost where that overhead is nil (software adapters).
    #[arg(long)]
    pub no_plain: bool,
    /// Use the first adapter whose name contains this (case-insensitive); see `leti adapters`.
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Device limits to request (the kernels size their tiles to them; records keep them):
    /// the WebGPU defaults every browser guarantees, the smaller tiers a phone may give, or
    /// everything the adapter offers.
    #[arg(long, value_enum, default_value_t = LimitsArg::WebgpuDefault)]
    pub limits: LimitsArg,
    /// Number format of the networks: f32, or f16 as phones deploy them (needs an adapter with
    /// shader-f16, see `leti adapters`; records carry it in `network.precision`, and f16 records
    /// key a device of their own, so f32 and f16 timings never meet in one model).
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    pub precision: Precision,
    /// Convolution kernel family instead of the one the engine's probe picks for the adapter:
    /// workgroup, register or register-wide (records name it in `kernels`, and a device's model
    /// trains on one kernel configuration only, its newest records').
    #[arg(long, value_name = "FAMILY", value_parser = parse_conv)]
    pub conv: Option<ConvStrategy>,
    /// The planner's rules: fused-adds (plan 3: each cell's projections in one launch and
    /// three-input adds in their conv's epilogue), merged-projections (plan 2: the projections
    /// only) or layerwise (one launch per layer, as engines before plan 2 measured; records then
    /// name no plan in `kernels`).
    #[arg(long, value_name = "RULES", value_parser = parse_plan, default_value = "fused-adds")]
    pub plan: PlanRules,
    /// JSONL file the records (or with --layers, the layer timings) are appended to.
    #[arg(long, value_name = "FILE", default_value = "measurements.jsonl")]
    pub out: PathBuf,
    /// Skip cells whose module hash (with --layers: configurations that) already has a record
    /// in --out.
    #[arg(long)]
    pub resume: bool,
    /// Input image height and width.
    #[arg(long, default_value_t = 32)]
    pub input_size: usize,
    /// Output channels of the stem (doubled at each later stack).
    #[arg(long, default_value_t = 128)]
    pub stem_channels: usize,
    #[arg(long, default_value_t = 3)]
    pub num_stacks: usize,
    #[arg(long, default_value_t = 3)]
    pub cells_per_stack: usize,
    /// Images per inference.
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Optional device label stored in every record (e.g. "ci-runner").
    #[arg(long)]
    pub device_label: Option<String>,
    /// Measure the reference cell (anchor 0) first and again after every N cells, and store
    /// the drift (latest reference latency / first) in each record's `run.thermal_ratio`.
    /// The reference measurements are written as records too (`run.anchor` true). 0: off.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub reference_every: usize,
}

/// The reference cell's first latency and its latest one, for `--reference-every`.
struct Drift {
    first_ms: Option<f64>,
    last_ms: f64,
}

impl Drift {
    fn ratio(&self) -> Option<f64> {
        self.first_ms.map(|f| self.last_ms / f)
    }
}

/// What every record of one `leti measure` run shares.
struct Session<'a> {
    gpu: &'a Gpu,
    config: NetConfig,
    protocol: Protocol,
    client: ClientInfo,
    run_id: String,
}

impl Session<'_> {
    /// Measures one cell with the protocol and assembles its record.
    fn record(&self, cell: &Cell, sequence: u32, anchor: bool, thermal_ratio: Option<f64>) -> anyhow::Result<MeasurementRecord> {
        let net = build(cell, &self.config);
        let weights = Weights::seeded(&net, MEASURE_SEED);
        let input = seeded_input(net.tensors[net.input].shape, MEASURE_SEED);
        let program = Program::new(self.gpu, &net, &weights, &input, true).with_context(|| format!("planning cell {}", cell.hash()))?;
        let m = pollster::block_on(measure(self.gpu, &program, &self.protocol)).with_context(|| format!("measuring cell {}", cell.hash()))?;
        let run = RunInfo { run_id: self.run_id.clone(), sequence, anchor, thermal_ratio, ..RunInfo::default() };
        let ctx = RecordContext { adapter: self.gpu.adapter_info(), client: self.client.clone(), run: Some(run) };
        Ok(m.into_record(&net, ctx))
    }
}

fn write_record(out: &mut File, path: &Path, record: &MeasurementRecord) -> anyhow::Result<()> {
    let mut line = serde_json::to_string(record)?;
    line.push('\n');
    out.write_all(line.as_bytes()).and_then(|_| out.flush()).with_context(|| format!("writing {}", path.display()))
}

fn read_cells(path: &PathBuf) -> anyhow::Result<Vec<Cell>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut cells = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}: cannot read line {}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let spec = spec_of_line(&line).with_context(|| format!("{}:{}: not a cell spec", path.display(), i + 1))?;
        cells.push(spec.validate().with_context(|| format!("{}:{}: invalid cell", path.display(), i + 1))?);
    }
    if cells.is_empty() {
        bail!("{} holds no cell specs", path.display());
    }
    Ok(cells)
}

/// A cell spec line, bare or (as `leti anchors` writes) under a `cell` key.
fn spec_of_line(line: &str) -> Result<CellSpec, crate::space::SpecError> {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(v) => spec_value(&v).map_or_else(|| CellSpec::from_json_value(&v), CellSpec::from_json_value),
        Err(_) => CellSpec::from_json_str(line),
    }
}

fn done_hashes(path: &PathBuf) -> anyhow::Result<HashSet<String>> {
    let Ok(file) = File::open(path) else { return Ok(HashSet::new()) };
    let mut done = HashSet::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<MeasurementRecord>(&line) {
            Ok(r) => {
                done.insert(r.hash.to_string());
            }
            // A run killed mid-write can leave a partial last line: it is re-measured.
            Err(e) => eprintln!("warning: {}:{}: not a record ({e}); ignored", path.display(), i + 1),
        }
    }
    Ok(done)
}

fn os_description() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| format!(" {}", s.trim())).unwrap_or_default();
    format!("leti-cli/{} ({}{}; {})", env!("CARGO_PKG_VERSION"), std::env::consts::OS, release, std::env::consts::ARCH)
}

pub fn run(args: MeasureArgs) -> anyhow::Result<ExitCode> {
    let config = net_config(&args)?;
    if args.layers {
        return super::measure_layers::run(&args, config);
    }
    let cells: Vec<Cell> = match (&args.cells, args.sample) {
        (Some(path), _) => read_cells(path)?,
        (None, Some(n)) => {
            let space = crate::space::enumerate();
            crate::space::sample(&space, n, args.seed).into_iter().map(|e| e.cell).collect()
        }
        (None, None) => bail!("give --cells FILE or --sample N"),
    };
    let done = if args.resume { done_hashes(&args.out)? } else { HashSet::new() };
    let todo: Vec<Cell> = cells.iter().copied().filter(|c| !done.contains(&c.hash().to_string())).collect();
    let skipped = cells.len() - todo.len();
    let mut gpu = pollster::block_on(Gpu::open_with(args.adapter.as_deref(), args.limits.tier())).context("opening the GPU")?;
    if let Some(conv) = args.conv {
        gpu.set_conv_strategy(conv);
    }
    gpu.set_plan_rules(args.plan);
    let timestamps = if gpu.timestamps_inside_passes {
        "per dispatch"
    } else if gpu.timestamps {
        "pass boundaries"
    } else {
        "none"
    };
    let resumed = if args.resume { format!(" ({skipped} already in {})", args.out.display()) } else { String::new() };
    eprintln!(
        "adapter: {} ({}, {:?}); limits: {}; kernels: {}; timestamps: {timestamps}; {} cells to measure{resumed}",
        gpu.info.name,
        gpu.info.backend,
        gpu.info.device_type,
        gpu.limits_tier.as_str(),
        gpu.kernel_config(),
        todo.len()
    );
    let client =
        ClientInfo { user_agent: os_description(), device_label: args.device_label.clone(), engine_version: env!("CARGO_PKG_VERSION").into(), hints: None };
    let session = Session { gpu: &gpu, config, protocol: protocol(&args), client, run_id: new_record_id() };
    let (written, noisy) = measure_all(&session, &todo, &args)?;
    eprintln!(
        "wrote {written} records to {} ({noisy} of {} cells noisy); {} pipelines compiled in all",
        args.out.display(),
        todo.len(),
        gpu.pipelines_compiled()
    );
    Ok(ExitCode::SUCCESS)
}

/// The network configuration the arguments ask for (every size positive).
fn net_config(args: &MeasureArgs) -> anyhow::Result<NetConfig> {
    let config = NetConfig {
        batch: args.batch,
        input_size: args.input_size,
        stem_channels: args.stem_channels,
        num_stacks: args.num_stacks,
        cells_per_stack: args.cells_per_stack,
        precision: args.precision,
        ..NetConfig::default()
    };
    if config.batch == 0 || config.input_size == 0 || config.stem_channels == 0 || config.num_stacks == 0 || config.cells_per_stack == 0 {
        bail!("network sizes must be positive: {config:?}");
    }
    Ok(config)
}

/// The measuring protocol with the arguments' overrides.
fn protocol(args: &MeasureArgs) -> Protocol {
    Protocol {
        runs: args.repeats.max(1),
        profile_runs: args.profile_runs,
        cov_threshold: args.cov_threshold,
        warmup_max: args.warmup_max.max(1),
        max_remeasure: args.max_remeasure,
        interleave_plain: !args.no_plain,
        ..Protocol::default()
    }
}

/// Measures every cell of `todo` in order, with the reference cell every
/// `--reference-every` cells, appending each record to `--out` as it is made. Returns the
/// records written and the cells flagged noisy.
fn measure_all(session: &Session, todo: &[Cell], args: &MeasureArgs) -> anyhow::Result<(u32, usize)> {
    let mut out = OpenOptions::new().create(true).append(true).open(&args.out).with_context(|| format!("cannot open {}", args.out.display()))?;
    let reference = crate::measure::anchors::anchor_cells()[0];
    let mut drift = Drift { first_ms: None, last_ms: 0.0 };
    let bar = ProgressBar::new(todo.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} cells  elapsed {elapsed_precise}  ETA {eta_precise}  {msg}").unwrap());
    let mut noisy = 0;
    let mut sequence = 0u32;
    for (i, cell) in todo.iter().enumerate() {
        if args.reference_every > 0 && i % args.reference_every == 0 {
            let r = session.record(&reference, sequence, true, drift.ratio())?;
            drift.last_ms = r.wall.median_ms;
            drift.first_ms.get_or_insert(r.wall.median_ms);
            let r = MeasurementRecord { run: r.run.map(|run| RunInfo { thermal_ratio: drift.ratio(), ..run }), ..r };
            write_record(&mut out, &args.out, &r)?;
            sequence += 1;
        }
        let record = session.record(cell, sequence, false, drift.ratio())?;
        sequence += 1;
        noisy += record.noisy as usize;
        write_record(&mut out, &args.out, &record)?;
        let drift_msg = drift.ratio().map(|d| format!("; reference x{d:.3}")).unwrap_or_default();
        bar.set_message(format!("last {} {:.2} ms{}{drift_msg}", record.hash, record.wall.median_ms, if record.noisy { " (noisy)" } else { "" }));
        bar.inc(1);
    }
    bar.finish();
    Ok((sequence, noisy))
}

#[cfg(test)]
mod tests {
    use super::spec_of_line;
    use crate::space::SpecError;

    #[test]
    fn a_cells_line_is_a_spec_bare_or_under_cell() {
        let spec = r#"{"module_adjacency": [[0, 1], [0, 0]], "module_operations": ["input", "output"]}"#;
        let bare = spec_of_line(spec).unwrap();
        assert_eq!(spec_of_line(&format!(r#"{{"rank": 1, "cell": {spec}}}"#)).unwrap(), bare);
        assert!(matches!(spec_of_line("{not json"), Err(SpecError::Json(_))));
        assert!(matches!(spec_of_line(r#"{"rank": 1}"#), Err(SpecError::Shape(m)) if m == "missing field module_adjacency"));
    }
}
