//! Device-model learning over real HTTP: a device crossing the cell threshold gets a learned
//! model listed by `/api/v1/models` whose file loads and predicts; inconsistent, implausible
//! and synthetic devices are refused (visible in `/api/v1/devices`) and get none; uploads go
//! on while a fit runs; `leti train --from-db` learns the same way from a script; rows keyed by
//! an older build are re-keyed when the database is opened.
//!
//! Latencies come from the synthetic roofline generator (`predict::synthetic`) but the records
//! carry an ordinary adapter, as a phone's would: records marked synthetic are refused by design.

use std::time::{Duration, Instant};

use leti::measure::{MeasurementRecord, Stats};
use leti::net::Precision;
use leti::predict::synthetic::{random_cells, SyntheticDevice};
use leti::predict::Model;
use leti::server::{Learning, Row, ServerConfig, Store};
use leti::space::Cell;
use serde_json::Value;

use crate::both_backends;
use crate::support::{batch_json, client, leti, now_ms, post, start, Backend};

/// The bundled models of the repository (the sources of device models).
fn trained_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("trained")
}

/// A config that learns every 300 ms from the bundled models.
fn learning_config(b: &Backend) -> ServerConfig {
    ServerConfig { models_dir: trained_dir(), learning: Learning { interval: Duration::from_millis(300), min_cells: 20 }, ..b.config() }
}

fn scaled(s: Stats, f: f64) -> Stats {
    Stats { median_ms: s.median_ms * f, p10_ms: s.p10_ms * f, p90_ms: s.p90_ms * f, mad_ms: s.mad_ms * f, ..s }
}

/// Records of `cells` timed by the synthetic phone, as uploaded by an ordinary device called
/// `name`, every latency times `factor`.
fn device_records(name: &str, cells: &[Cell], factor: f64, seed: u64) -> Vec<MeasurementRecord> {
    let phone = &SyntheticDevice::presets()[0];
    let now = now_ms();
    phone
        .records(cells, seed)
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.id = uuid::Uuid::new_v4().to_string();
            r.created_unix_ms = now - 10_000 + i as u64;
            r.wall = scaled(r.wall, factor);
            r.gpu = r.gpu.map(|g| scaled(g, factor));
            r.adapter.vendor = "TestVendor".into();
            r.adapter.device = format!("Test GPU {name}");
            r.adapter.description = format!("Test GPU {name}");
            r.adapter.backend = "webgpu".into();
            r.adapter.driver = "1.0".into();
            r.client.user_agent = "Mozilla/5.0 (test)".into();
            r.client.engine_version = "0.1.0".into();
            r
        })
        .collect()
}

async fn upload(c: &reqwest::Client, base: &str, records: &[MeasurementRecord]) {
    for chunk in records.chunks(50) {
        let (status, reply) = post(c, base, batch_json(chunk)).await;
        assert_eq!(status, 200, "{reply}");
    }
}

async fn get_json(c: &reqwest::Client, url: String) -> Value {
    let resp = c.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{url}");
    resp.json().await.unwrap()
}

/// The `learning` object of the device with readable key `device` in `/api/v1/devices`.
async fn learning_of(c: &reqwest::Client, base: &str, device: &str) -> Value {
    let devices = get_json(c, format!("{base}/api/v1/devices")).await;
    devices["devices"].as_array().unwrap().iter().find(|d| d["device"] == device).map(|d| d["learning"].clone()).unwrap_or(Value::Null)
}

/// Polls until `device`'s learning status is `status` and based on `records` records (2 min at most).
async fn wait_for(c: &reqwest::Client, base: &str, device: &str, status: &str, records: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let l = learning_of(c, base, device).await;
        if l["status"] == status && l["records"] == records {
            return l;
        }
        assert!(Instant::now() < deadline, "{device} never reached {status} on {records} records; last: {l}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn learned_entries(listing: &Value) -> Vec<Value> {
    listing["models"].as_array().unwrap().iter().filter(|m| m["kind"] == "learned").cloned().collect()
}

fn key_of(records: &[MeasurementRecord]) -> String {
    records[0].device_key()
}

async fn device_crossing_the_threshold_gets_a_model(b: Backend) {
    let started = now_ms() as i64;
    let server = start(&learning_config(&b)).await;
    let (base, c) = (server.url(), client());
    let cells = random_cells(45, 1);
    // 15 cells: the device waits.
    let first = device_records("alpha", &cells[..15], 1.0, 1);
    let device = key_of(&first);
    upload(&c, &base, &first).await;
    let l = wait_for(&c, &base, &device, "waiting", 15).await;
    assert!(l["reason"].as_str().unwrap().contains("15 distinct cells of the 20 needed"), "{l}");
    assert!(learned_entries(&get_json(&c, format!("{base}/api/v1/models")).await).is_empty());
    // 30 cells, 5 of them measured again (agreeing within the generator's 2% noise): learned.
    let mut more = device_records("alpha", &cells[15..30], 1.0, 2);
    more.extend(device_records("alpha", &cells[..5], 1.0, 3));
    upload(&c, &base, &more).await;
    let l = wait_for(&c, &base, &device, "learned", 35).await;
    let listing = get_json(&c, format!("{base}/api/v1/models")).await;
    let kinds: Vec<&str> = listing["models"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert!(kinds.len() >= 2 && kinds[..kinds.len() - 1].iter().all(|k| *k == "bundled"), "bundled first, then learned: {listing}");
    assert_eq!(kinds.last(), Some(&"learned"));
    assert!(listing["models"][0]["device"].is_string() && listing["models"][0]["url"].as_str().unwrap().starts_with("/models/"));
    let m = &learned_entries(&listing)[0];
    assert_eq!(m["name"], leti::server::model_name(&device));
    assert_eq!(l["model"], m["name"]);
    assert_eq!(m["name"].as_str().unwrap().len(), "learned-".len() + 12);
    assert_eq!(m["device"], device.as_str());
    assert_eq!(m["adapter"]["description"], "Test GPU alpha");
    assert_eq!((m["n_cells"].as_i64(), m["eval_cells"].as_i64(), m["records"].as_i64()), (Some(30), Some(6), Some(35)));
    let w = m["within_10"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&w) && (w * 6.0 - (w * 6.0).round()).abs() < 1e-9, "a share of 6 cells: {w}");
    let t = m["trained_unix_ms"].as_i64().unwrap();
    assert!(t >= started && t <= now_ms() as i64, "{t}");
    assert_eq!(m["engine_version"], "0.1.0");
    // The file loads, names the device, and predicts an unseen cell near the generator's latency.
    let url = format!("{base}{}", m["url"].as_str().unwrap());
    let resp = c.get(&url).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let model = Model::from_json_bytes(&resp.bytes().await.unwrap()).expect("the learned model loads");
    assert_eq!(model.file.training.device, device);
    assert_eq!(model.file.training.n_cells, 30);
    assert!(!model.file.training.synthetic);
    let unseen = cells[40];
    let (got, want) = (model.predict(&unseen).unwrap().ms, SyntheticDevice::presets()[0].ideal_ms(&unseen));
    assert!(got.is_finite() && got > want / 3.0 && got < want * 3.0, "predicted {got} ms, generator {want} ms");
    // Unknown names are 404 with the API's error shape.
    let r = c.get(format!("{base}/api/v1/models/learned/learned-000000000000")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
    server.shutdown().await.unwrap();
}
both_backends!(device_crossing_the_threshold_gets_a_model);

/// One phone's f16 and f32 timings: two devices at the collector, each learned from its own
/// records, and the f16 model says so.
async fn f16_timings_are_a_device_of_their_own(b: Backend) {
    let server = start(&learning_config(&b)).await;
    let (base, c) = (server.url(), client());
    let cells = random_cells(25, 7);
    let at32 = device_records("gamma", &cells, 1.0, 8);
    let mut at16 = device_records("gamma", &cells, 0.6, 9);
    for r in &mut at16 {
        r.network.precision = Precision::F16;
    }
    let (d32, d16) = (key_of(&at32), key_of(&at16));
    assert_eq!(d16, format!("{d32} f16"));
    upload(&c, &base, &at32).await;
    upload(&c, &base, &at16).await;
    wait_for(&c, &base, &d32, "learned", 25).await;
    wait_for(&c, &base, &d16, "learned", 25).await;
    let listing = get_json(&c, format!("{base}/api/v1/models")).await;
    let mut precisions = Vec::new();
    for m in learned_entries(&listing) {
        let model = Model::from_json_bytes(&c.get(format!("{base}{}", m["url"].as_str().unwrap())).send().await.unwrap().bytes().await.unwrap()).unwrap();
        assert_eq!(model.file.training.n_cells, 25, "each model learned from its own 25 cells: {m}");
        precisions.push((model.file.training.device.clone(), model.file.network.precision));
    }
    precisions.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(precisions, [(d32, Precision::F32), (d16, Precision::F16)]);
    server.shutdown().await.unwrap();
}
both_backends!(f16_timings_are_a_device_of_their_own);

/// Every cell measured twice, the second time 1.5x or 0.6x the first.
fn inconsistent_records(cells: &[Cell]) -> Vec<MeasurementRecord> {
    let mut recs = device_records("wobbly", cells, 1.0, 4);
    for (i, r) in device_records("wobbly", cells, 1.0, 5).into_iter().enumerate() {
        recs.push(MeasurementRecord { wall: scaled(r.wall, if i % 2 == 0 { 1.5 } else { 0.6 }), ..r });
    }
    recs
}

/// Records straight from the synthetic generator (vendor `synthetic`), made uploadable.
fn synthetic_records(cells: &[Cell]) -> Vec<MeasurementRecord> {
    let now = now_ms();
    let mut recs = SyntheticDevice::presets()[1].records(cells, 6);
    for (i, r) in recs.iter_mut().enumerate() {
        r.id = uuid::Uuid::new_v4().to_string();
        r.created_unix_ms = now - 10_000 + i as u64;
    }
    recs
}

async fn inconsistent_and_implausible_devices_are_refused(b: Backend) {
    let server = start(&learning_config(&b)).await;
    let (base, c) = (server.url(), client());
    let cells = random_cells(25, 2);
    let wobbly = inconsistent_records(&cells);
    // 100 000 times faster than the synthetic phone: far beyond the fastest known device.
    let rocket = device_records("rocket", &cells, 1e-5, 7);
    let synthetic = synthetic_records(&cells);
    for recs in [&wobbly, &rocket, &synthetic] {
        upload(&c, &base, recs).await;
    }
    let cases =
        [(&wobbly, "inconsistent: repeated measurements disagree: 0 of 25 cells"), (&rocket, "implausible: median time per MAC"), (&synthetic, "synthetic: ")];
    for (recs, reason) in cases {
        let l = wait_for(&c, &base, &key_of(recs), "refused", recs.len()).await;
        eprintln!("refused: {}", l["reason"]);
        assert!(l["reason"].as_str().unwrap().starts_with(reason), "{l}");
        assert!(l["model"].is_null(), "{l}");
    }
    let listing = get_json(&c, format!("{base}/api/v1/models")).await;
    assert!(learned_entries(&listing).is_empty(), "refused devices get no model: {listing}");
    server.shutdown().await.unwrap();
}
both_backends!(inconsistent_and_implausible_devices_are_refused);

/// Cells of the "big" device: a prefix of one seeded sequence, so more can be added.
fn big_cells(n: usize) -> Vec<Cell> {
    random_cells(n, 3)
}

async fn uploads_proceed_while_a_fit_runs(b: Backend) {
    let server = start(&learning_config(&b)).await;
    let (base, c) = (server.url(), client());
    let mut total = 600;
    upload(&c, &base, &device_records("big", &big_cells(total), 1.0, 8)).await;
    // Catch a fit in progress; if the last one ended unseen, new records start another.
    for round in 0.. {
        let until = Instant::now() + Duration::from_secs(2);
        while !server.learner.busy() && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if server.learner.busy() {
            break;
        }
        assert!(round < 30, "never saw a fit running");
        upload(&c, &base, &device_records("big", &big_cells(total + 10)[total..], 1.0, 100 + round)).await;
        total += 10;
    }
    // A fit is running: a batch of another device is stored promptly all the same.
    let t = Instant::now();
    let (status, reply) = post(&c, &base, batch_json(&device_records("small", &random_cells(20, 4), 1.0, 9))).await;
    let took = t.elapsed();
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["new"], 20);
    assert!(took < Duration::from_secs(10), "the upload took {took:?} during a fit");
    eprintln!("upload during a fit: {took:?}; the fit still running after it: {}", server.learner.busy());
    let big = device_records("big", &big_cells(1), 1.0, 0);
    wait_for(&c, &base, &key_of(&big), "learned", total).await;
    server.shutdown().await.unwrap();
}
both_backends!(uploads_proceed_while_a_fit_runs);

/// Stores records straight into the backend's database.
async fn store_records(b: &Backend, records: &[MeasurementRecord]) {
    let store = Store::open(&b.db_path(), b.database_url.as_deref()).await.unwrap();
    let rows: Vec<Row> = records.iter().map(|r| Row::new(r, now_ms())).collect();
    store.insert(&rows).await.unwrap();
    store.close().await;
}

fn train_from_db(b: &Backend, extra: &[&str]) -> (String, String) {
    let mut args: Vec<String> = ["train", "--from-db", "--models-dir"].iter().map(|s| s.to_string()).collect();
    args.push(trained_dir().display().to_string());
    args.extend(b.db_args());
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = leti(&args);
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert!(o.status.success(), "{out}\n{err}");
    (out, err)
}

async fn train_from_db_learns_every_device(b: Backend) {
    let cells = random_cells(30, 5);
    let good = device_records("gamma", &cells, 1.0, 10);
    let wobbly = inconsistent_records(&cells[..20]);
    let few = device_records("delta", &cells[..5], 1.0, 11);
    for recs in [&good, &wobbly, &few] {
        store_records(&b, recs).await;
    }
    let out_dir = b.dir.path().join("learned");
    // --no-store: files only, the database keeps no outcome.
    let (out, _) = train_from_db(&b, &["--no-store", "--out-dir", out_dir.to_str().unwrap()]);
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines[0], ["device", "status", "cells", "within_10", "held_out", "detail"]);
    let line = |device: &str| lines.iter().find(|l| l[0] == device).unwrap_or_else(|| panic!("no line for {device}:\n{out}")).clone();
    let g = line(&key_of(&good));
    assert_eq!((g[1], g[2], g[4]), ("learned", "30", "6"), "{out}");
    let w: f64 = g[3].parse().unwrap();
    assert!((0.0..=1.0).contains(&w));
    let name = leti::server::model_name(&key_of(&good));
    let file = out_dir.join(format!("{name}.model.json"));
    assert!(g[5].contains(&name) && g[5].contains(file.to_str().unwrap()), "{out}");
    let model = Model::from_json_bytes(&std::fs::read(&file).unwrap()).unwrap();
    assert!(model.predict(&cells[0]).unwrap().ms > 0.0);
    let wl = line(&key_of(&wobbly));
    assert!(wl[1] == "refused" && wl[5].starts_with("inconsistent:"), "{out}");
    let fl = line(&key_of(&few));
    assert!(fl[1] == "waiting" && fl[5].contains("5 distinct cells of the 20 needed"), "{out}");
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 1, "only learned models are written");
    let store = Store::open(&b.db_path(), b.database_url.as_deref()).await.unwrap();
    assert!(store.outcomes().await.unwrap().is_empty(), "--no-store leaves the database unchanged");
    store.close().await;
    // Stored: a server (learning off) serves the model learned by the script.
    train_from_db(&b, &[]);
    let server = start(&ServerConfig { learning: Learning { interval: Duration::ZERO, ..Learning::default() }, ..b.config() }).await;
    let (base, c) = (server.url(), client());
    let learned = learned_entries(&get_json(&c, format!("{base}/api/v1/models")).await);
    assert_eq!(learned.len(), 1);
    assert_eq!(learned[0]["name"], name.as_str());
    let served = c.get(format!("{base}{}", learned[0]["url"].as_str().unwrap())).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(Model::from_json_bytes(&served).unwrap().file, model.file, "the same records give the same model");
    assert_eq!(learning_of(&c, &base, &key_of(&wobbly)).await["status"], "refused");
    server.shutdown().await.unwrap();
}
both_backends!(train_from_db_learns_every_device);

/// Sets every stored record's device key to `key`, as an older build's hashing would have left it.
async fn overwrite_device_keys(b: &Backend, key: &str) {
    let sql = "UPDATE measurements SET device_key = $1";
    match &b.database_url {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sql).bind(key).execute(&pool).await.unwrap();
            pool.close().await;
        }
        None => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", b.db_path().display())).await.unwrap();
            sqlx::query(sql).bind(key).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

async fn old_device_keys_are_rekeyed_on_open(b: Backend) {
    let recs = device_records("old", &random_cells(3, 6), 1.0, 12);
    store_records(&b, &recs).await;
    overwrite_device_keys(&b, "00112233445566778899aabbccddeeff").await;
    let store = Store::open(&b.db_path(), b.database_url.as_deref()).await.unwrap();
    let devices = store.devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].key, leti::server::hex_key(&key_of(&recs)), "the key follows measure::device_key again");
    assert_eq!(devices[0].device, key_of(&recs));
    assert_eq!(devices[0].records, 3);
    assert_eq!(store.device_records(&devices[0].key).await.unwrap().len(), 3);
    store.close().await;
}
both_backends!(old_device_keys_are_rekeyed_on_open);
