//! Collector load benchmark: throughput (records/s) and latency percentiles of
//! `POST /api/v1/measurements` under concurrent clients over loopback HTTP, against SQLite (and
//! PostgreSQL when `LETI_BENCH_POSTGRES_URL` or `LETI_TEST_POSTGRES_URL` is set), with baselines
//! measured in the same run: a `/healthz` round trip (no database write) and single-record batches.
//!
//! Run: `cargo bench --bench collector_load` (release build).

use std::time::{Duration, Instant};

use leti::measure::{AdapterInfo, ClientInfo, MeasurementRecord, Stats, TimingMode, SCHEMA_VERSION};
use leti::net::NetConfig;
use leti::server::{Limits, ServerConfig, Tls};
use leti::space::CellSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CLIENTS: usize = 50;

fn random_cell(rng: &mut ChaCha8Rng) -> CellSpec {
    const OPS: [&str; 3] = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"];
    loop {
        let n = rng.random_range(2..=7);
        let adj: Vec<Vec<u8>> = (0..n).map(|i| (0..n).map(|j| (j > i && rng.random_bool(0.4)) as u8).collect()).collect();
        let mut ops = vec!["input".to_string()];
        ops.extend((1..n - 1).map(|_| OPS[rng.random_range(0..3)].to_string()));
        ops.push("output".into());
        if let Ok(cell) = CellSpec::new(adj, ops).validate() {
            return cell.to_spec();
        }
    }
}

fn record(rng: &mut ChaCha8Rng) -> MeasurementRecord {
    let cell = random_cell(rng);
    let median = rng.random_range(2.0..40.0);
    MeasurementRecord {
        schema_version: SCHEMA_VERSION,
        id: uuid::Uuid::new_v4().to_string(),
        created_unix_ms: leti::server::now_unix_ms() - 1000,
        hash: cell.validate().unwrap().hash(),
        cell,
        network: NetConfig::default(),
        wall: Stats { median_ms: median, p10_ms: median * 0.9, p90_ms: median * 1.2, mad_ms: 0.1, cov: 0.05, runs: 30 },
        gpu: None,
        mode: TimingMode::Plain,
        layers: None,
        layers_mode: None,
        mode_overheads: Vec::new(),
        kernels: None,
        limits: None,
        warmup_runs: 5,
        noisy: false,
        timestamp_resolution_ns: None,
        adapter: AdapterInfo { vendor: "bench".into(), backend: "webgpu".into(), ..Default::default() },
        client: ClientInfo { user_agent: "bench".into(), device_label: None, engine_version: "0.1.0".into(), hints: None },
        run: None,
    }
}

struct Outcome {
    requests: usize,
    records: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn pct(&self, p: f64) -> f64 {
        let mut l = self.latencies.clone();
        l.sort();
        l[((l.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
    }
    fn per_s(&self, n: usize) -> f64 {
        n as f64 / self.elapsed.as_secs_f64()
    }
}

/// `CLIENTS` concurrent clients; each sends its share of `bodies` (None: GET /healthz).
async fn run(base: &str, bodies: Vec<Option<String>>, records_per_request: usize) -> Outcome {
    let per_client = bodies.len() / CLIENTS;
    let mut chunks: Vec<Vec<Option<String>>> = Vec::new();
    let mut it = bodies.into_iter();
    for _ in 0..CLIENTS {
        chunks.push(it.by_ref().take(per_client).collect());
    }
    let t0 = Instant::now();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let base = base.to_string();
            tokio::spawn(async move {
                let c = reqwest::Client::new();
                let mut lat = Vec::with_capacity(chunk.len());
                for body in chunk {
                    let t = Instant::now();
                    let resp = match body {
                        Some(b) => c.post(format!("{base}/api/v1/measurements")).header("content-type", "application/json").body(b).send().await,
                        None => c.get(format!("{base}/healthz")).send().await,
                    }
                    .expect("request");
                    assert_eq!(resp.status(), 200);
                    resp.bytes().await.unwrap();
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = t0.elapsed();
    let requests = latencies.len();
    Outcome { requests, records: requests * records_per_request, elapsed, latencies }
}

fn bodies(n_requests: usize, per_batch: usize, rng: &mut ChaCha8Rng) -> Vec<Option<String>> {
    (0..n_requests)
        .map(|_| {
            let recs: Vec<MeasurementRecord> = (0..per_batch).map(|_| record(rng)).collect();
            Some(serde_json::json!({ "records": recs }).to_string())
        })
        .collect()
}

async fn bench_backend(name: &str, database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        db_path: dir.path().join("bench.sqlite"),
        database_url,
        web_root: dir.path().to_path_buf(),
        models_dir: dir.path().join("trained"),
        tls: Tls::Off,
        cors_origins: Vec::new(),
        limits: Limits { rate_per_minute: 0, ..Limits::default() },
        // Uploads only: no learning passes during the measurement.
        learning: leti::server::Learning { interval: std::time::Duration::ZERO, ..Default::default() },
        nasbench: None,
    };
    let server = leti::server::start(&config).await.expect("starting the server");
    let base = server.url();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let health = run(&base, vec![None; CLIENTS * 100], 0).await;
    let single = run(&base, bodies(CLIENTS * 40, 1, &mut rng), 1).await;
    let fifty = run(&base, bodies(CLIENTS * 10, 50, &mut rng), 50).await;
    assert_eq!(server.store.count(None).await.unwrap() as usize, single.records + fifty.records);
    println!("== {name}: {CLIENTS} concurrent clients over loopback HTTP/1.1");
    println!(
        "baseline GET /healthz         : {:>8.0} req/s                     p50 {:>6.2} ms  p99 {:>6.2} ms",
        health.per_s(health.requests),
        health.pct(0.5),
        health.pct(0.99)
    );
    for (label, o) in [("POST, 1 record per batch  ", &single), ("POST, 50 records per batch", &fifty)] {
        println!(
            "{label}    : {:>8.0} records/s ({:>6.0} req/s)  p50 {:>6.2} ms  p99 {:>6.2} ms",
            o.per_s(o.records),
            o.per_s(o.requests),
            o.pct(0.5),
            o.pct(0.99)
        );
    }
    println!(
        "ratios: 50-record vs 1-record throughput {:.1}x; p99 of 1-record POST vs /healthz {:.1}x",
        fifty.per_s(fifty.records) / single.per_s(single.records),
        single.pct(0.99) / health.pct(0.99)
    );
    server.shutdown().await.unwrap();
}

async fn fresh_postgres(admin: &str) -> String {
    let name = format!("leti_bench_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::PgPool::connect(admin).await.expect("connecting to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.unwrap();
    pool.close().await;
    let (base, query) = admin.split_once('?').map(|(b, q)| (b, Some(q))).unwrap_or((admin, None));
    let start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host = base[start..].find('/').map(|i| &base[..start + i]).unwrap_or(base);
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        bench_backend("SQLite (WAL, synchronous=FULL)", None).await;
        match std::env::var("LETI_BENCH_POSTGRES_URL").or_else(|_| std::env::var("LETI_TEST_POSTGRES_URL")) {
            Ok(admin) => bench_backend("PostgreSQL", Some(fresh_postgres(&admin).await)).await,
            Err(_) => println!("PostgreSQL skipped: set LETI_BENCH_POSTGRES_URL (or LETI_TEST_POSTGRES_URL)"),
        }
    });
}
