//! Round trips through the API and the CLI, idempotent retries, devices, models, static files,
//! security headers, CORS, rate limiting and TLS.

use std::collections::HashSet;

use leti::measure::MeasurementRecord;
use leti::server::{Limits, ServerConfig, Tls};
use leti::space::{Accuracies, TrainingRun, NUM_UNIQUE_CELLS};

use crate::both_backends;
use crate::support::*;

async fn valid_batch_round_trips_to_export(b: Backend) {
    let server = start(&b.config()).await;
    let base = server.url();
    let c = client();
    let sent = records(30, 3, 1);
    let (status, reply) = post(&c, &base, batch_json(&sent)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 30);
    assert_eq!(reply["new"], 30);

    let mut got = export(&c, &base).await;
    got.sort_by(|a, b| a.id.cmp(&b.id));
    let mut want = sent.clone();
    want.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(serde_json::to_string(g).unwrap(), serde_json::to_string(w).unwrap(), "the JSONL export gives back exactly the records sent");
    }

    // Devices: grouped by adapter info and label, with counts.
    let devices: serde_json::Value = c.get(format!("{base}/api/v1/devices")).send().await.unwrap().json().await.unwrap();
    let devices = devices["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 3);
    assert_eq!(devices.iter().map(|d| d["records"].as_i64().unwrap()).sum::<i64>(), 30);
    let d0 = devices.iter().find(|d| d["adapter"]["vendor"] == "vendor-0").unwrap();
    assert_eq!(d0["device_label"], "phone 0");
    assert_eq!(d0["records"], 10);

    // One device's export holds only its records.
    let key = d0["key"].as_str().unwrap();
    let text = c.get(format!("{base}/api/v1/measurements?device={key}")).send().await.unwrap().text().await.unwrap();
    let mine: Vec<MeasurementRecord> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(mine.len(), 10);
    assert!(mine.iter().all(|r| r.adapter.vendor == "vendor-0"));

    // CSV: a header and one row per record, with quoting of contributor strings.
    let resp = c.get(format!("{base}/api/v1/measurements?format=csv")).send().await.unwrap();
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    assert_eq!(&header[0], "id");
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 30);
    let col = header.iter().position(|h| h == "adapter_device").unwrap();
    assert!(rows.iter().any(|r| &r[col] == "GPU \"1\", model <b>"));

    // CLI: export from this database, import into a fresh one, export again: same lines.
    server.shutdown().await.unwrap();
    let out = b.dir.path().join("export.jsonl");
    let mut args = vec!["export".to_string(), "--out".into(), out.display().to_string()];
    args.extend(b.db_args());
    let o = leti(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let exported = std::fs::read_to_string(&out).unwrap();
    assert_eq!(exported.lines().count(), 30);
    let fresh = b.dir.path().join("fresh.sqlite");
    let import = |file: &std::path::Path| leti(&["import".into(), file.display().to_string(), "--db".into(), fresh.display().to_string()]);
    let o = import(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("30 new"));
    let o = import(&out);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("0 new, 30 already present"), "import is idempotent");
    let again = b.dir.path().join("again.jsonl");
    let o = leti(&["export".into(), "--out".into(), again.display().to_string(), "--db".into(), fresh.display().to_string()]);
    assert!(o.status.success());
    let sorted = |s: &str| s.lines().map(str::to_string).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(sorted(&std::fs::read_to_string(&again).unwrap()), sorted(&exported));

    // A file with a bad line imports nothing and names the line.
    let bad = b.dir.path().join("bad.jsonl");
    let mut lines: Vec<String> = records(3, 1, 9).iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    lines.insert(1, lines[0].replace("\"median_ms\":", "\"median_ms\":-"));
    write(&bad, &(lines.join("\n") + "\n"));
    let o = import(&bad);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2") && err.contains("nothing was imported"), "{err}");
    let o = leti(&["export".into(), "--out".into(), "-".into(), "--db".into(), fresh.display().to_string()]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 30);
}
both_backends!(valid_batch_round_trips_to_export);

async fn retried_batch_is_stored_once(b: Backend) {
    let server = start(&b.config()).await;
    let base = server.url();
    let c = client();
    let sent = records(10, 2, 2);
    let body = batch_json(&sent);
    let (s1, r1) = post(&c, &base, body.clone()).await;
    let (s2, r2) = post(&c, &base, body).await;
    assert_eq!((s1, s2), (200, 200), "{r1} {r2}");
    assert_eq!((r1["new"].as_u64(), r1["duplicates"].as_u64()), (Some(10), Some(0)));
    assert_eq!((r2["new"].as_u64(), r2["duplicates"].as_u64()), (Some(0), Some(10)));
    // A batch overlapping a stored one stores only the new records.
    let mut more = sent[5..].to_vec();
    more.extend(records(4, 2, 3));
    let (s3, r3) = post(&c, &base, batch_json(&more)).await;
    assert_eq!(s3, 200);
    assert_eq!((r3["new"].as_u64(), r3["duplicates"].as_u64()), (Some(4), Some(5)));
    let got = export(&c, &base).await;
    assert_eq!(got.len(), 14);
    assert_eq!(got.iter().map(|r| &r.id).collect::<HashSet<_>>().len(), 14);
    assert_eq!(server.store.count(None).await.unwrap(), 14);
    server.shutdown().await.unwrap();
}
both_backends!(retried_batch_is_stored_once);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_app_models_and_headers() {
    let b = Backend::sqlite();
    let mut config = b.config();
    let www = &config.web_root;
    write(&www.join("index.html"), "<!doctype html><title>LETI</title>");
    std::fs::write(www.join("leti_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    write(&www.join("app-0123abcd4567ef89.js"), &"console.log('LETI');\n".repeat(200));
    std::fs::create_dir_all(&config.models_dir).unwrap();
    write(&config.models_dir.join("ridge.json"), "{\"kind\":\"ridge\"}");
    write(&config.models_dir.join("gbdt.json"), "{\"kind\":\"gbdt\"}");
    write(&config.models_dir.join("notes.txt"), "not a model");
    config.cors_origins = vec!["https://allowed.example".into()];
    let server = start(&config).await;
    let base = server.url();
    let c = client();

    let index = c.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    let h = index.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(h["cache-control"], "no-cache");
    assert!(h.contains_key("last-modified"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin");
    // Revalidation: unchanged file, 304.
    let again = c.get(format!("{base}/")).header("if-modified-since", h["last-modified"].clone()).send().await.unwrap();
    assert_eq!(again.status(), 304);

    let wasm = c.get(format!("{base}/leti_bg.wasm")).send().await.unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");

    let js = c.get(format!("{base}/app-0123abcd4567ef89.js")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(js.headers()["content-encoding"], "gzip", "text assets are compressed");
    assert_eq!(js.headers()["cache-control"], "public, max-age=31536000, immutable");

    let missing = c.get(format!("{base}/nope.html")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    // An unknown page gets the app shell with 404, so the app shows its own not-found page.
    let page = c.get(format!("{base}/no/such/page")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.text().await.unwrap(), "<!doctype html><title>LETI</title>");

    let models: serde_json::Value = c.get(format!("{base}/api/v1/models")).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = models["models"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gbdt", "ridge"]);
    let url = models["models"][1]["url"].as_str().unwrap();
    let model = c.get(format!("{base}{url}")).send().await.unwrap().text().await.unwrap();
    assert_eq!(model, "{\"kind\":\"ridge\"}");

    let health: serde_json::Value = c.get(format!("{base}/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");

    // CORS: only the configured origin is allowed.
    let ok = c.get(format!("{base}/api/v1/devices")).header("origin", "https://allowed.example").send().await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://allowed.example");
    let other = c.get(format!("{base}/api/v1/devices")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    server.shutdown().await.unwrap();

    // Without a models directory the list is empty; without extra origins no CORS header at all.
    let b2 = Backend::sqlite();
    let server = start(&b2.config()).await;
    let base = server.url();
    let models: serde_json::Value = c.get(format!("{base}/api/v1/models")).send().await.unwrap().json().await.unwrap();
    assert_eq!(models["models"], serde_json::json!([]));
    let r = c.get(format!("{base}/api/v1/devices")).header("origin", "https://allowed.example").send().await.unwrap();
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accuracy_file_is_served_when_given_and_checked_at_start() {
    // A whole-space table (codes only need to increase for the format) with one result.
    let mut acc = Accuracies::new((0..NUM_UNIQUE_CELLS as u32).collect(), vec![108]);
    acc.push_run(7, 0, TrainingRun { test_accuracy: 0.93, validation_accuracy: 0.94, training_seconds: 1200.0 });
    let b = Backend::sqlite();
    let file = b.dir.path().join("nb101.bin");
    std::fs::write(&file, acc.to_bytes()).unwrap();
    let server = start(&ServerConfig { nasbench: Some(file.clone()), ..b.config() }).await;
    let c = client();
    let got = c.get(format!("{}/api/v1/nasbench", server.url())).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/octet-stream");
    let back = Accuracies::from_bytes(&got.bytes().await.unwrap()).unwrap();
    assert_eq!(back.mean(7, 0).unwrap().repeats, 1);
    server.shutdown().await.unwrap();
    // Without one: an empty answer (204), which a page reads as "none here".
    let b2 = Backend::sqlite();
    let server = start(&b2.config()).await;
    let none = c.get(format!("{}/api/v1/nasbench", server.url())).send().await.unwrap();
    assert_eq!(none.status(), 204);
    assert!(none.bytes().await.unwrap().is_empty());
    server.shutdown().await.unwrap();
    // A truncated file, or one that is not the whole space, stops the server from starting.
    let bytes = acc.to_bytes();
    std::fs::write(&file, &bytes[..bytes.len() - 1]).unwrap();
    let err = leti::server::start(&ServerConfig { nasbench: Some(file.clone()), ..b.config() }).await.err().expect("a truncated file is refused");
    assert!(format!("{err:#}").contains("truncated"), "{err:#}");
    std::fs::write(&file, Accuracies::new(vec![1, 2], vec![108]).to_bytes()).unwrap();
    let err = leti::server::start(&ServerConfig { nasbench: Some(file), ..b.config() }).await.err().expect("a partial table is refused");
    assert!(format!("{err:#}").contains("not the whole space"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_over_the_rate_are_refused_with_429() {
    let b = Backend::sqlite();
    let mut config = b.config();
    config.limits = Limits { rate_per_minute: 6, rate_burst: 3, ..test_limits() };
    let server = start(&config).await;
    let base = server.url();
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(c.get(format!("{base}/api/v1/devices")).send().await.unwrap());
    }
    assert_eq!(statuses.iter().map(|r| r.status().as_u16()).collect::<Vec<_>>(), [200, 200, 200, 429]);
    let last = statuses.pop().unwrap();
    assert!(last.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let body: serde_json::Value = last.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Static files and health checks are not limited.
    assert_eq!(c.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_https_with_a_reused_self_signed_certificate() {
    let b = Backend::sqlite();
    let mut config = b.config();
    let dir = b.dir.path().join("tls");
    config.tls = Tls::SelfSigned { dir: dir.clone() };
    let server = start(&config).await;
    assert_eq!(server.scheme, "https");
    let c = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    let url = format!("https://localhost:{}/healthz", server.addr.port());
    let resp = c.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let cert = std::fs::read(dir.join("cert.pem")).unwrap();
    server.shutdown().await.unwrap();
    // A restart reuses the certificate (a phone that accepted it once keeps working).
    let server = start(&config).await;
    assert_eq!(std::fs::read(dir.join("cert.pem")).unwrap(), cert);
    let sent = records(2, 1, 5);
    let resp = c
        .post(format!("https://localhost:{}/api/v1/measurements", server.addr.port()))
        .header("content-type", "application/json")
        .body(batch_json(&sent))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Plain HTTP to the TLS port gets no answer.
    assert!(client().get(format!("http://127.0.0.1:{}/healthz", server.addr.port())).send().await.map(|r| r.status() != 200).unwrap_or(true));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_upload_is_cut_off_with_503_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let b = Backend::sqlite();
    let mut config = b.config();
    config.limits.request_timeout = std::time::Duration::from_secs(1);
    let server = start(&config).await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // Headers promise 1000 bytes of body; only a few ever come.
    s.write_all(b"POST /api/v1/measurements HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"records\": [")
        .await
        .unwrap();
    let t0 = std::time::Instant::now();
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&reply).contains("\"code\":\"timeout\"") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf)).await.expect("the server answers").unwrap();
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(reply.contains("\"code\":\"timeout\""), "{reply}");
    assert!(t0.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(server.store.count(None).await.unwrap(), 0);
    server.shutdown().await.unwrap();
}
