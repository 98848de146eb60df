//! Shared helpers: database backends (SQLite in a temp dir, or a fresh PostgreSQL database when
//! `LETI_TEST_POSTGRES_URL` is set), the server in-process or as the real binary, and records.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use leti::measure::{AdapterInfo, ClientInfo, LayerTime, MeasurementRecord, RunInfo, Stats, TimingMode, SCHEMA_VERSION};
use leti::net::{build, NetConfig};
use leti::server::{Learning, Limits, Running, ServerConfig, Tls};
use leti::space::CellSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Where a test's records go.
pub struct Backend {
    pub dir: tempfile::TempDir,
    /// `Some` for PostgreSQL: the URL of a database created for this test.
    pub database_url: Option<String>,
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend { dir: tempfile::tempdir().unwrap(), database_url: None }
    }

    /// A fresh PostgreSQL database, or `None` (after saying so) when the env var is unset.
    pub async fn postgres(test: &str) -> Option<Backend> {
        let Ok(admin) = std::env::var("LETI_TEST_POSTGRES_URL") else {
            eprintln!("SKIPPED {test}: LETI_TEST_POSTGRES_URL is not set (no PostgreSQL server to test against)");
            return None;
        };
        let name = format!("leti_test_{}", uuid::Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(&admin).await.expect("connecting to LETI_TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("creating a test database");
        pool.close().await;
        Some(Backend { dir: tempfile::tempdir().unwrap(), database_url: Some(with_database(&admin, &name)) })
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("leti.sqlite")
    }

    /// `--db PATH` or `--database-url URL`.
    pub fn db_args(&self) -> Vec<String> {
        match &self.database_url {
            Some(url) => vec!["--database-url".into(), url.clone()],
            None => vec!["--db".into(), self.db_path().display().to_string()],
        }
    }

    pub fn config(&self) -> ServerConfig {
        let web_root = self.dir.path().join("www");
        std::fs::create_dir_all(&web_root).unwrap();
        ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            db_path: self.db_path(),
            database_url: self.database_url.clone(),
            web_root,
            models_dir: self.dir.path().join("trained"),
            tls: Tls::Off,
            cors_origins: Vec::new(),
            limits: Limits { rate_per_minute: 0, ..test_limits() },
            learning: Learning::default(),
            nasbench: None,
        }
    }
}

/// Limits small enough that the oversized cases stay small.
pub fn test_limits() -> Limits {
    Limits { max_body_bytes: 512 * 1024, max_batch: 50, ..Limits::default() }
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

/// Generates the same test twice: against SQLite and against PostgreSQL (skipped without a server).
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::sqlite()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(b) = $crate::support::Backend::postgres(concat!(stringify!($name), "::postgres")).await {
                    super::$name(b).await;
                }
            }
        }
    };
}

pub async fn start(config: &ServerConfig) -> Running {
    leti::server::start(config).await.expect("starting the server")
}

/// The real `leti serve` binary on an ephemeral port; returns the child and its base URL.
pub fn spawn_binary(backend: &Backend, extra: &[&str]) -> (Child, String) {
    let web_root = backend.dir.path().join("www");
    std::fs::create_dir_all(&web_root).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leti"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--rate-per-minute", "0", "--web-root"])
        .arg(&web_root)
        .args(backend.db_args())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawning leti serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line
        .strip_prefix("listening on ")
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line from leti serve: {line:?}"))
        .to_string();
    (child, url)
}

/// Runs the `leti` binary to completion.
pub fn leti(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_leti")).args(args).output().expect("running leti")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).pool_max_idle_per_host(4).build().unwrap()
}

/// A random valid pruned cell.
pub fn random_cell(rng: &mut ChaCha8Rng) -> CellSpec {
    const OPS: [&str; 3] = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"];
    loop {
        let n = rng.random_range(2..=7);
        let mut adj = vec![vec![0u8; n]; n];
        for (i, row) in adj.iter_mut().enumerate() {
            for (j, e) in row.iter_mut().enumerate() {
                if j > i && rng.random_bool(0.4) {
                    *e = 1;
                }
            }
        }
        let mut ops = vec!["input".to_string()];
        ops.extend((1..n - 1).map(|_| OPS[rng.random_range(0..3)].to_string()));
        ops.push("output".into());
        if let Ok(cell) = CellSpec::new(adj, ops).validate() {
            return cell.to_spec();
        }
    }
}

pub fn now_ms() -> u64 {
    leti::server::now_unix_ms()
}

/// A valid record of `cell` from device number `device` (0..); `with_layers` adds per-layer times.
pub fn record(cell: &CellSpec, device: usize, seed: u64, with_layers: bool) -> MeasurementRecord {
    let valid = cell.validate().unwrap();
    let network = NetConfig::default();
    let median = 5.0 + (seed % 100) as f64 / 10.0;
    let layers = with_layers
        .then(|| build(&valid, &network).compute_layers().take(5).map(|l| LayerTime { name: l.name.clone(), median_ms: 0.25, unresolved: false }).collect());
    MeasurementRecord {
        schema_version: SCHEMA_VERSION,
        id: uuid::Uuid::new_v4().to_string(),
        created_unix_ms: now_ms() - 1000 - seed,
        hash: valid.hash(),
        cell: cell.clone(),
        network,
        wall: Stats { median_ms: median, p10_ms: median * 0.9, p90_ms: median * 1.2, mad_ms: 0.1, cov: 0.05, runs: 30 },
        gpu: Some(Stats { median_ms: median * 0.8, p10_ms: median * 0.7, p90_ms: median * 0.9, mad_ms: 0.05, cov: 0.03, runs: 30 }),
        mode: TimingMode::PerPass,
        layers,
        layers_mode: with_layers.then_some(TimingMode::PerPass),
        mode_overheads: Vec::new(),
        warmup_runs: 5,
        noisy: false,
        timestamp_resolution_ns: Some(1000.0),
        kernels: Some("conv workgroup-tiled 64x64 per 16x16; 1-D 256".into()),
        limits: None,
        adapter: AdapterInfo {
            vendor: format!("vendor-{device}"),
            architecture: "arch".into(),
            device: format!("GPU \"{device}\", model <b>"),
            description: "test adapter".into(),
            backend: "webgpu".into(),
            driver: "1.0".into(),
        },
        client: ClientInfo {
            user_agent: "Mozilla/5.0 (test)".into(),
            device_label: (device % 2 == 0).then(|| format!("phone {device}")),
            engine_version: "0.1.0".into(),
            hints: None,
        },
        run: Some(RunInfo { run_id: "run-1".into(), sequence: seed as u32, anchor: false, thermal_ratio: Some(1.02), device_lost_events: 0, charging: None }),
    }
}

/// `n` valid records over random cells, spread over `devices` devices.
pub fn records(n: usize, devices: usize, seed: u64) -> Vec<MeasurementRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|i| record(&random_cell(&mut rng), i % devices.max(1), i as u64, i % 3 == 0)).collect()
}

pub fn batch_json(records: &[MeasurementRecord]) -> String {
    serde_json::json!({ "records": records }).to_string()
}

/// POSTs a batch; returns the status and the JSON reply.
pub async fn post(client: &reqwest::Client, base: &str, body: String) -> (u16, serde_json::Value) {
    let resp = client.post(format!("{base}/api/v1/measurements")).header("content-type", "application/json").body(body).send().await.expect("sending a batch");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// Every record of the JSONL export.
pub async fn export(client: &reqwest::Client, base: &str) -> Vec<MeasurementRecord> {
    let text = client.get(format!("{base}/api/v1/measurements?format=jsonl")).send().await.unwrap().text().await.unwrap();
    text.lines().map(|l| serde_json::from_str(l).expect("export lines are MeasurementRecords")).collect()
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}
