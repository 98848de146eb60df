//! Load and crash: 100 concurrent clients posting many batches; every acknowledged record is
//! stored exactly once, also when the server process is killed with SIGKILL mid-load and restarted.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::both_backends;
use crate::support::*;

const CLIENTS: usize = 100;
const RECORDS_PER_BATCH: usize = 10;

/// One client: posts `batches` batches (each sent twice when `retry`), recording acknowledged ids.
/// Stops at the first transport error (the server died) and returns how many batches were acknowledged.
async fn client_run(base: String, client_no: usize, batches: usize, retry: bool, acked: Arc<Mutex<HashSet<String>>>, count: Arc<AtomicUsize>) -> usize {
    let c = client();
    let mut ok = 0;
    for b in 0..batches {
        let recs = records(RECORDS_PER_BATCH, 4, (client_no * 10_000 + b) as u64);
        let body = batch_json(&recs);
        let sends = if retry && b == 0 { 2 } else { 1 };
        for _ in 0..sends {
            let resp = c.post(format!("{base}/api/v1/measurements")).header("content-type", "application/json").body(body.clone()).send().await;
            let Ok(resp) = resp else { return ok };
            let status = resp.status().as_u16();
            let Ok(reply) = resp.json::<serde_json::Value>().await else { return ok };
            assert_eq!(status, 200, "client {client_no} batch {b}: {reply}");
            assert_eq!(reply["accepted"], RECORDS_PER_BATCH);
            acked.lock().unwrap().extend(recs.iter().map(|r| r.id.clone()));
            count.fetch_add(RECORDS_PER_BATCH, Ordering::Relaxed);
        }
        ok += 1;
    }
    ok
}

fn assert_exactly_once(exported: &[leti::measure::MeasurementRecord], acked: &HashSet<String>) {
    let ids: Vec<&String> = exported.iter().map(|r| &r.id).collect();
    let unique: HashSet<&String> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no record is stored twice");
    let missing: Vec<&String> = acked.iter().filter(|id| !unique.contains(id)).collect();
    assert!(missing.is_empty(), "{} acknowledged records are missing, e.g. {:?}", missing.len(), &missing[..missing.len().min(3)]);
}

async fn hundred_clients_store_every_acknowledged_record_once(b: Backend) {
    let server = start(&b.config()).await;
    let base = server.url();
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS).map(|i| tokio::spawn(client_run(base.clone(), i, 4, true, acked.clone(), count.clone()))).collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 4, "every batch of every client is acknowledged");
    }
    let elapsed = t0.elapsed();
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), CLIENTS * 4 * RECORDS_PER_BATCH);
    let exported = export(&client(), &base).await;
    assert_eq!(exported.len(), acked.len(), "retries added nothing");
    assert_exactly_once(&exported, &acked);
    eprintln!(
        "load ({}): {} records from {CLIENTS} clients in {:.2} s (debug build, retries included)",
        server.store.kind(),
        acked.len(),
        elapsed.as_secs_f64()
    );
    server.shutdown().await.unwrap();
}
both_backends!(hundred_clients_store_every_acknowledged_record_once);

async fn sigkill_under_load_loses_no_acknowledged_record(b: Backend) {
    let (mut child, base) = spawn_binary(&b, &[]);
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CLIENTS).map(|i| tokio::spawn(client_run(base.clone(), i, 1000, false, acked.clone(), count.clone()))).collect();
    // Kill once a good number of batches went through (or after a bounded wait).
    let t0 = Instant::now();
    while count.load(Ordering::Relaxed) < 3000 && t0.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL"); // std's Child::kill sends SIGKILL on Unix
    child.wait().unwrap();
    for t in tasks {
        let done = tokio::time::timeout(Duration::from_secs(60), t).await.expect("clients stop once the server is gone").unwrap();
        assert!(done < 1000, "the server was killed before a client finished");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 1000, "load was running when the server was killed ({} records acknowledged)", acked.len());

    let (mut child, base) = spawn_binary(&b, &[]);
    let exported = export(&client(), &base).await;
    assert_exactly_once(&exported, &acked);
    eprintln!("crash: {} acknowledged before SIGKILL, {} stored after restart", acked.len(), exported.len());
    child.kill().unwrap();
    child.wait().unwrap();
}
both_backends!(sigkill_under_load_loses_no_acknowledged_record);
