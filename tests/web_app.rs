//! The web app's logic in a real browser (wasm-bindgen-test, headless Chromium): the run state
//! arithmetic, the cell plan, the IndexedDB store, the upload queue and the measurement loop.
//! The loop is driven through its `CellMeasurer` seam by a scripted measurer (so pauses,
//! device losses and reloads happen exactly when the test wants); the real engine is exercised
//! by the end-to-end test.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell as StdCell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leti::app::engine_port::{CellMeasurer, MeasureError};
use leti::app::plan::Plan;
use leti::app::run_controller::{Controls, Run, RunError, RunEvent};
use leti::app::run_state::{Budget, RunState, RunStatus, COOL_DOWN_S, MAX_COOL_DOWNS, QUICK_CAP_MS, THERMAL_EVERY};
use leti::app::store::{delete_database, Store, UploadState};
use leti::app::upload::{backoff_ms, classify, Outcome, Response, Transport, UploadQueue, BACKOFF_MAX_MS};
use leti::app::{download, draw_page};
use leti::measure::anchors::{anchor_cells, ANCHOR_CODES};
use leti::measure::{AdapterInfo, ClientInfo, MeasurementRecord, Stats, TimingMode, SCHEMA_VERSION};
use leti::net::{NetConfig, Precision};
use leti::space::{Cell, CellSpec};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn stats(ms: f64) -> Stats {
    Stats { median_ms: ms, p10_ms: ms * 0.9, p90_ms: ms * 1.1, mad_ms: ms * 0.02, cov: 0.03, runs: 10 }
}

fn record_for(cell: &Cell, ms: f64) -> MeasurementRecord {
    MeasurementRecord {
        schema_version: SCHEMA_VERSION,
        id: String::new(),
        created_unix_ms: 0,
        hash: cell.hash(),
        cell: cell.to_spec(),
        network: NetConfig::default(),
        wall: stats(ms),
        gpu: None,
        mode: TimingMode::Plain,
        layers: None,
        layers_mode: None,
        mode_overheads: Vec::new(),
        warmup_runs: 3,
        noisy: false,
        timestamp_resolution_ns: None,
        kernels: None,
        limits: None,
        adapter: AdapterInfo { vendor: "test".into(), backend: "webgpu".into(), ..AdapterInfo::default() },
        client: ClientInfo::default(),
        run: None,
    }
}

/// Measures by script: each call pops the next outcome (default: success); the latency of a
/// cell is its vertex count, times `slowdown`. Advances the shared fake clock by `step_ms`.
struct Scripted {
    script: VecDeque<Option<MeasureError>>,
    clock: Rc<StdCell<f64>>,
    step_ms: f64,
    slowdown: Rc<StdCell<f64>>,
    measured: Vec<Cell>,
    recreated: u32,
    /// Presses Pause while the cell after this many measured ones is on the GPU.
    pause_during: Option<(usize, Rc<Controls>)>,
    /// The precisions it measures at (f32 alone unless a test gives it f16).
    precisions: Vec<Precision>,
    /// The precision of each measurement, in order.
    measured_at: Vec<Precision>,
}

impl Scripted {
    fn new(clock: Rc<StdCell<f64>>) -> Scripted {
        Scripted {
            script: VecDeque::new(),
            clock,
            step_ms: 5_000.0,
            slowdown: Rc::new(StdCell::new(1.0)),
            measured: Vec::new(),
            recreated: 0,
            pause_during: None,
            precisions: vec![Precision::F32],
            measured_at: Vec::new(),
        }
    }
}

impl CellMeasurer for Scripted {
    fn precisions(&self) -> Vec<Precision> {
        self.precisions.clone()
    }

    async fn measure(&mut self, cell: &Cell, precision: Precision, stop: &dyn Fn() -> bool) -> Result<MeasurementRecord, MeasureError> {
        // One GPU run's time passes; then, like the protocol, ask whether to stop.
        self.clock.set(self.clock.get() + self.step_ms);
        if let Some((n, controls)) = &self.pause_during {
            if self.measured.len() == *n {
                controls.request_pause();
            }
        }
        if stop() {
            return Err(MeasureError::Stopped);
        }
        if let Some(Some(err)) = self.script.pop_front() {
            return Err(err);
        }
        self.measured.push(*cell);
        self.measured_at.push(precision);
        // f16 runs at 0.6x f32's time here.
        let scale = if precision == Precision::F16 { 0.6 } else { 1.0 };
        let mut rec = record_for(cell, cell.num_vertices() as f64 * self.slowdown.get() * scale);
        rec.network.precision = precision;
        Ok(rec)
    }

    async fn recreate(&mut self) -> Result<(), String> {
        self.recreated += 1;
        Ok(())
    }
}

async fn fresh_store(name: &str) -> Store {
    delete_database(name).await.unwrap();
    Store::open(name).await.unwrap()
}

fn extra_cells() -> Vec<Cell> {
    draw_page::PRESETS.iter().skip(1).map(|(_, j)| CellSpec::from_json_str(j).unwrap().validate().unwrap()).collect()
}

/// What a test varies in the loop beyond its pieces: how a second of cool-down passes, the
/// charging state, and what sees the events.
struct Hooks<'a> {
    sleep_1s: &'a dyn Fn() -> Pin<Box<dyn Future<Output = ()>>>,
    charging: Option<bool>,
    on: &'a mut dyn FnMut(RunEvent),
}

/// A cool-down second that passes at once.
fn no_sleep() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {})
}

/// Runs the loop once with the given pieces and hooks (fresh record ids, a fixed Unix time).
async fn go_loop(
    m: &mut Scripted,
    store: &Store,
    plan: &mut Plan,
    state: &mut RunState,
    controls: &Controls,
    clock: Rc<StdCell<f64>>,
    hooks: Hooks<'_>,
) -> Result<RunStatus, RunError> {
    let new_id = || uuid::Uuid::new_v4().to_string();
    let clk = move || clock.get();
    let unix = || 1_700_000_000_000u64;
    let charging = || hooks.charging;
    let mut run = Run {
        measurer: m,
        store,
        plan,
        state,
        controls,
        client: ClientInfo::default(),
        new_id: &new_id,
        clock: &clk,
        unix_ms: &unix,
        sleep_1s: hooks.sleep_1s,
        charging: &charging,
    };
    run.go(hooks.on).await
}

/// Runs the loop once with the given pieces, on the charger; `on_record` sees every stored record.
async fn run_loop(
    m: &mut Scripted,
    store: &Store,
    plan: &mut Plan,
    state: &mut RunState,
    controls: &Controls,
    clock: Rc<StdCell<f64>>,
    on_record: &mut dyn FnMut(&MeasurementRecord, &Controls),
) -> RunStatus {
    let mut on = |ev: RunEvent| {
        if let RunEvent::Recorded(r) = ev {
            on_record(&r, controls);
        }
    };
    go_loop(m, store, plan, state, controls, clock, Hooks { sleep_1s: &no_sleep, charging: Some(true), on: &mut on }).await.unwrap()
}

#[wasm_bindgen_test]
fn anchors_decode_and_are_distinct() {
    let cells = anchor_cells();
    assert_eq!(cells.len(), ANCHOR_CODES.len());
    let mut hashes: Vec<_> = cells.iter().map(Cell::hash).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), cells.len());
}

#[wasm_bindgen_test]
fn budget_progress_eta_and_thermal_ratio() {
    let mut s = RunState::new("r".into(), Budget::Standard, 0);
    assert!(s.probe_due());
    s.record_probe(10.0);
    // 150 s for 1.5 GMAC: 0.1 us per MAC.
    s.macs_ahead = 1e9;
    let info = s.record_cell(150_000.0, 1.5e9, true);
    assert_eq!((info.sequence, info.anchor, info.thermal_ratio), (0, true, None));
    assert_eq!(s.progress(), Some(0.25));
    // Time left comes from the time per MAC and the MACs ahead, not from cells done: 450 s
    // left at 100 s per 1-GMAC cell is 5 cells (the first cell's 150 s would say 3).
    assert!(s.ms_per_cell().is_some_and(|ms| (ms - 100_000.0).abs() < 1e-6));
    assert_eq!(s.cells_left_estimate(), Some(5));
    s.macs_ahead = 0.0;
    assert_eq!(s.cells_left_estimate(), None, "nothing known of the cells ahead: no count");
    for _ in 1..THERMAL_EVERY {
        s.record_cell(1.0, 1.0, false);
    }
    assert!(s.probe_due());
    s.record_probe(12.5);
    assert_eq!(s.record_cell(1.0, 1.0, false).thermal_ratio, Some(1.25));
    s.record_cell(500_000.0, 1.0, false);
    assert!(s.budget_used_up());
    let mut u = RunState::new("u".into(), Budget::UntilStopped, 0);
    u.record_cell(1e9, 1.0, false);
    assert!(!u.budget_used_up() && u.progress().is_none());
}

#[wasm_bindgen_test]
fn quick_stretches_to_finish_the_anchors_or_says_it_cannot() {
    let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 1e-6 * want);
    // A fast adapter: 10 s for the first anchor of 1 GMAC, 5 GMAC of anchors left (50 s): the
    // 2-minute budget holds.
    let mut fast = RunState::new("f".into(), Budget::Quick, 0);
    fast.record_cell(10_000.0, 1e9, true);
    fast.anchor_macs_left = 5e9;
    assert_eq!(fast.limit_ms(), Some(120_000.0));
    assert_eq!(fast.anchors_beyond_cap_ms(), None);
    // A slow one: 60 s per GMAC, 4 GMAC left: Quick stretches to 300 s, where they are done.
    let mut slow = RunState::new("s".into(), Budget::Quick, 0);
    slow.record_cell(60_000.0, 1e9, true);
    slow.anchor_macs_left = 4e9;
    assert!(near(slow.limit_ms(), 300_000.0));
    assert!(!slow.budget_used_up());
    assert!(near(slow.remaining_ms(), 240_000.0));
    // Once the anchors are done, past 2 minutes, the run is over.
    slow.record_cell(240_000.0, 4e9, true);
    slow.anchor_macs_left = 0.0;
    assert!(slow.budget_used_up());
    // Too slow: 200 s per GMAC, 4 GMAC left need 1,000 s, past the cap: stretched to the cap,
    // and the run says it cannot finish them.
    let mut crawl = RunState::new("c".into(), Budget::Quick, 0);
    crawl.record_cell(200_000.0, 1e9, true);
    crawl.anchor_macs_left = 4e9;
    assert_eq!(crawl.limit_ms(), Some(QUICK_CAP_MS));
    assert!(near(crawl.anchors_beyond_cap_ms(), 1_000_000.0));
    // Standard keeps its 10 minutes whatever the speed.
    let mut std = RunState::new("d".into(), Budget::Standard, 0);
    std.record_cell(200_000.0, 1e9, true);
    std.anchor_macs_left = 4e9;
    assert_eq!((std.limit_ms(), std.anchors_beyond_cap_ms()), (Some(600_000.0), None));
}

#[wasm_bindgen_test]
fn plan_gives_anchors_in_order_then_space_cells_never_twice() {
    let anchors = anchor_cells();
    let extra = extra_cells();
    // The space holds the anchors too: they must not come back as sampled cells.
    let space: Vec<Cell> = anchors.iter().chain(extra.iter()).copied().collect();
    let mut plan = Plan::new(Vec::new(), [anchors[2].hash()], 7);
    let mut seen = Vec::new();
    while let Some(p) = plan.next_cell() {
        seen.push(p);
        plan.mark_done(p.hash);
        if seen.len() == anchors.len() - 1 {
            assert!(plan.next_cell().is_none(), "no space loaded yet: nothing after the anchors");
            plan.set_space(space.clone());
        }
    }
    let expected: Vec<Cell> = anchors.iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, c)| *c).collect();
    assert_eq!(seen.iter().take(expected.len()).map(|p| p.cell).collect::<Vec<_>>(), expected);
    assert!(seen.iter().take(expected.len()).all(|p| p.anchor));
    let sampled: Vec<_> = seen[expected.len()..].iter().map(|p| p.hash).collect();
    assert_eq!(sampled.len(), extra.len(), "each remaining space cell exactly once");
    assert!(seen[expected.len()..].iter().all(|p| !p.anchor));
}

#[wasm_bindgen_test]
async fn store_keeps_records_and_runs_across_reopen() {
    let name = "leti-test-store";
    let store = fresh_store(name).await;
    let cells = anchor_cells();
    let mut run = RunState::new("run-1".into(), Budget::Quick, 5);
    for (i, c) in cells.iter().take(3).enumerate() {
        let mut r = record_for(c, 10.0 + i as f64);
        r.id = format!("00000000-0000-4000-8000-00000000000{i}");
        r.run = Some(run.record_cell(1000.0, 1e8, true));
        store.add_record(&r, &run).await.unwrap();
    }
    store.set_state(&["00000000-0000-4000-8000-000000000001".to_string()], UploadState::Uploaded, None).await.unwrap();
    store.close();
    // A reload: a new connection sees everything.
    let store = Store::open(name).await.unwrap();
    let all = store.all_records().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all.iter().map(|r| r.record.run.as_ref().unwrap().sequence).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(all[1].state, UploadState::Uploaded);
    assert_eq!(all[0].record, {
        let mut r = record_for(&cells[0], 10.0);
        r.id = "00000000-0000-4000-8000-000000000000".into();
        r.run = all[0].record.run.clone();
        r
    });
    let c = store.counts().await.unwrap();
    assert_eq!((c.pending, c.uploaded, c.rejected), (2, 1, 0));
    assert_eq!(store.pending(10).await.unwrap().len(), 2);
    assert_eq!(store.pending(1).await.unwrap().len(), 1);
    let runs = store.runs().await.unwrap();
    assert_eq!(runs, vec![run]);
    // Downloads carry every record.
    assert_eq!(download::to_jsonl(&all).lines().count(), 3);
    let csv = download::to_csv(&all);
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.lines().nth(2).unwrap().ends_with(",uploaded"));
    store.close();
    delete_database(name).await.unwrap();
}

/// A collector by script: each POST pops the next reply (`Err` = network failure) and records
/// the ids it was sent.
struct FakeCollector {
    replies: VecDeque<Result<Response, String>>,
    sent: Rc<RefCell<Vec<Vec<String>>>>,
}

impl Transport for FakeCollector {
    async fn post(&mut self, body: String) -> Result<Response, String> {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let ids = v["records"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
        self.sent.borrow_mut().push(ids);
        self.replies.pop_front().unwrap_or(Ok(Response { status: 200, body: "{}".into(), retry_after_s: None }))
    }
}

fn reply(status: u16, body: &str) -> Result<Response, String> {
    Ok(Response { status, body: body.into(), retry_after_s: None })
}

async fn store_with_pending(name: &str, n: usize) -> (Store, Vec<String>) {
    let store = fresh_store(name).await;
    let mut run = RunState::new("run".into(), Budget::Quick, 0);
    let mut ids = Vec::new();
    for (i, c) in anchor_cells().iter().take(n).enumerate() {
        let mut r = record_for(c, 5.0);
        r.id = format!("00000000-0000-4000-8000-{i:012}");
        r.run = Some(run.record_cell(1.0, 1e8, true));
        store.add_record(&r, &run).await.unwrap();
        ids.push(r.id);
    }
    (store, ids)
}

#[wasm_bindgen_test]
async fn upload_retries_with_backoff_until_the_collector_answers() {
    let (store, ids) = store_with_pending("leti-test-upload-retry", 5).await;
    let sent = Rc::new(RefCell::new(Vec::new()));
    let mut q = UploadQueue::new(FakeCollector {
        replies: VecDeque::from([Err("connection refused".into()), reply(503, r#"{"code":"storage_unavailable","message":"down"}"#)]),
        sent: sent.clone(),
    });
    let s1 = q.step(&store, 1.0).await.unwrap();
    assert_eq!(s1.retry_in_ms, Some(1000.0));
    let s2 = q.step(&store, 1.0).await.unwrap();
    assert_eq!(s2.retry_in_ms, Some(2000.0), "backoff doubles");
    assert_eq!(store.counts().await.unwrap().pending, 5, "nothing is lost while the collector is away");
    let s3 = q.step(&store, 1.0).await.unwrap();
    assert_eq!((s3.sent, s3.stored, s3.retry_in_ms), (5, 5, None));
    assert!(q.step(&store, 1.0).await.unwrap().idle);
    let c = store.counts().await.unwrap();
    assert_eq!((c.pending, c.uploaded), (0, 5));
    assert_eq!(sent.borrow().len(), 3, "no batch is sent again once acknowledged");
    assert!(sent.borrow().iter().all(|b| *b == ids));
    store.close();
}

#[wasm_bindgen_test]
async fn upload_keeps_refused_records_apart_and_sends_the_rest() {
    let (store, ids) = store_with_pending("leti-test-upload-reject", 4).await;
    let sent = Rc::new(RefCell::new(Vec::new()));
    let body = format!(
        r#"{{"code":"invalid_records","message":"1 of 4 records are invalid","errors":[{{"index":2,"id":"{}","code":"hash_mismatch","message":"hash differs"}}]}}"#,
        ids[2]
    );
    let mut q = UploadQueue::new(FakeCollector { replies: VecDeque::from([reply(422, &body)]), sent: sent.clone() });
    let s1 = q.step(&store, 1.0).await.unwrap();
    assert_eq!(s1.rejected, 1);
    let s2 = q.step(&store, 1.0).await.unwrap();
    assert_eq!(s2.stored, 3);
    assert_eq!(sent.borrow()[1], vec![ids[0].clone(), ids[1].clone(), ids[3].clone()]);
    let all = store.all_records().await.unwrap();
    let refused: Vec<_> = all.iter().filter(|r| r.state == UploadState::Rejected).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].record.id, ids[2]);
    assert!(refused[0].reason.as_deref().unwrap().contains("hash_mismatch"));
    store.close();
}

#[wasm_bindgen_test]
async fn upload_halves_batches_that_are_too_large() {
    let (store, _) = store_with_pending("leti-test-upload-shrink", 4).await;
    let sent = Rc::new(RefCell::new(Vec::new()));
    let mut q =
        UploadQueue::new(FakeCollector { replies: VecDeque::from([reply(413, r#"{"code":"batch_too_large","message":"too many"}"#)]), sent: sent.clone() });
    q.step(&store, 1.0).await.unwrap();
    assert_eq!(q.batch_size(), 2);
    assert_eq!(q.step(&store, 1.0).await.unwrap().stored, 2);
    assert_eq!(q.step(&store, 1.0).await.unwrap().stored, 2);
    assert_eq!(store.counts().await.unwrap().uploaded, 4);
    store.close();
}

#[wasm_bindgen_test]
fn responses_are_classified_and_backoff_is_capped() {
    assert_eq!(classify(&Response { status: 201, body: String::new(), retry_after_s: None }), Outcome::Stored);
    match classify(&Response { status: 429, body: r#"{"code":"rate_limited","message":"slow down"}"#.into(), retry_after_s: Some(7) }) {
        Outcome::Retry { after_ms, .. } => assert_eq!(after_ms, Some(7000.0)),
        o => panic!("{o:?}"),
    }
    assert!(matches!(classify(&Response { status: 400, body: "{}".into(), retry_after_s: None }), Outcome::Shrink(_)));
    assert_eq!(backoff_ms(1, 1.0), 1000.0);
    assert_eq!(backoff_ms(40, 1.0), BACKOFF_MAX_MS);
    assert_eq!(backoff_ms(3, 0.5), 2000.0);
}

#[wasm_bindgen_test]
async fn run_measures_anchors_first_stores_each_record_and_resumes_after_reload() {
    let name = "leti-test-run";
    let store = fresh_store(name).await;
    let clock = Rc::new(StdCell::new(0.0));
    let mut m = Scripted::new(clock.clone());
    // The second cell hits a lost device once.
    m.script = VecDeque::from([None, Some(MeasureError::DeviceLost("reset".into()))]);
    let space: Vec<Cell> = anchor_cells().into_iter().chain(extra_cells()).collect();
    let mut plan = Plan::new(space.clone(), [], 1);
    let mut state = RunState::new("run-a".into(), Budget::Quick, 1);
    let controls = Controls::default();
    // Pause after the 5th record, as the page's Pause button would.
    let status = run_loop(&mut m, &store, &mut plan, &mut state, &controls, clock.clone(), &mut |r, c| {
        if r.run.as_ref().unwrap().sequence == 4 {
            c.request_pause();
        }
    })
    .await;
    assert_eq!(status, RunStatus::Paused);
    assert_eq!(m.recreated, 1);
    let stored = store.all_records().await.unwrap();
    assert_eq!(stored.len(), 5);
    let anchors = anchor_cells();
    for (i, s) in stored.iter().enumerate() {
        let run = s.record.run.as_ref().unwrap();
        assert_eq!((run.sequence, run.anchor), (i as u32, true));
        assert_eq!(s.record.hash, anchors[i].hash());
        assert_eq!(run.device_lost_events, if i == 0 { 0 } else { 1 });
        assert_eq!(run.charging, Some(true), "each record says whether the device was charging");
    }
    // Anchor 0 set the thermal baseline; no extra probe was needed yet.
    assert_eq!(state.thermal_base_ms, Some(7.0));

    // "Reload": everything is rebuilt from IndexedDB only.
    store.close();
    let store = Store::open(name).await.unwrap();
    let mut state = store.runs().await.unwrap().pop().unwrap();
    assert_eq!((state.status, state.next_sequence, state.device_lost_events), (RunStatus::Paused, 5, 1));
    let done: Vec<_> = store.all_records().await.unwrap().iter().map(|r| r.record.hash).collect();
    let mut plan = Plan::new(space.clone(), done, 2);
    let mut m2 = Scripted::new(clock.clone());
    m2.slowdown.set(1.25); // the GPU got warm (not past the cool-down ratio)
    m2.step_ms = 10_000.0;
    let controls = Controls::default();
    let status = run_loop(&mut m2, &store, &mut plan, &mut state, &controls, clock.clone(), &mut |_, _| {}).await;
    // 30 s were used before the reload; Quick then stretches past its 2 minutes until the
    // anchors are done: 15 more anchors and 2 probes, 10 s each, and not one space cell.
    assert_eq!(status, RunStatus::Finished);
    assert_eq!(state.active_ms, 200_000.0);
    assert_eq!(state.anchor_macs_left, 0.0);
    let stored = store.all_records().await.unwrap();
    let mut hashes: Vec<_> = stored.iter().map(|r| r.record.hash).collect();
    let n = hashes.len();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), n, "no cell measured twice");
    let seqs: Vec<u32> = stored.iter().map(|r| r.record.run.as_ref().unwrap().sequence).collect();
    assert_eq!(seqs, (0..n as u32).collect::<Vec<_>>(), "sequence continues after the reload");
    assert_eq!(n, anchors.len());
    assert!(stored.iter().all(|r| r.record.run.as_ref().unwrap().anchor));
    // The probe (anchor 0, 7 vertices) ran again at 1.25x: the ratio is stored with later records.
    assert_eq!(state.thermal_ratio, Some(1.25));
    assert!(stored.iter().any(|r| r.record.run.as_ref().unwrap().thermal_ratio == Some(1.25)));
    assert!(m2.measured.iter().filter(|c| **c == anchors[0]).count() >= 1, "probe re-measured");
    assert!(stored.iter().all(|r| r.state == UploadState::Pending));
    store.close();
    delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_device_with_f16_measures_each_cell_at_f16_then_f32_and_probes_at_f16() {
    let store = fresh_store("leti-test-f16").await;
    let clock = Rc::new(StdCell::new(0.0));
    let mut m = Scripted::new(clock.clone());
    m.precisions = Precision::to_measure(true, true);
    let mut plan = Plan::new(anchor_cells(), [], 1);
    let mut state = RunState::new("run-f16".into(), Budget::Quick, 1);
    let controls = Controls::default();
    // Pause once the 7th record (the 4th cell's f16 record) is stored.
    let status = run_loop(&mut m, &store, &mut plan, &mut state, &controls, clock.clone(), &mut |r, c| {
        if r.run.as_ref().unwrap().sequence == 6 {
            c.request_pause();
        }
    })
    .await;
    assert_eq!(status, RunStatus::Paused);
    let stored: Vec<MeasurementRecord> = store.all_records().await.unwrap().into_iter().map(|r| r.record).collect();
    let at: Vec<Precision> = stored.iter().map(|r| r.network.precision).collect();
    use Precision::{F16, F32};
    assert_eq!(at, [F16, F32, F16, F32, F16, F32, F16], "each cell at f16 first, then f32");
    let anchors = anchor_cells();
    for (i, r) in stored.iter().enumerate() {
        assert_eq!(r.hash, anchors[i / 2].hash());
    }
    // Two devices, one per precision; the f16 record is the device's own.
    assert_eq!(stored[0].device_key(), format!("{} f16", stored[1].device_key()));
    // The thermal baseline is the first anchor at f16 (7 vertices x 0.6).
    assert_eq!(state.thermal_base_ms, Some(7.0 * 0.6));
    // The 4th cell, paused before its f32 record, is done: a resumed run goes to the 5th.
    assert_eq!(plan.next_cell().unwrap().hash, anchors[4].hash());
    store.close();
    delete_database("leti-test-f16").await.unwrap();
}

#[wasm_bindgen_test]
async fn stop_ends_the_run_and_a_failed_measurement_is_reported() {
    let store = fresh_store("leti-test-stop").await;
    let clock = Rc::new(StdCell::new(0.0));
    let mut m = Scripted::new(clock.clone());
    let mut plan = Plan::new(Vec::new(), [], 1);
    let mut state = RunState::new("run-s".into(), Budget::UntilStopped, 1);
    let controls = Controls::default();
    let status = run_loop(&mut m, &store, &mut plan, &mut state, &controls, clock.clone(), &mut |r, c| {
        if r.run.as_ref().unwrap().sequence == 1 {
            c.request_stop();
        }
    })
    .await;
    assert_eq!(status, RunStatus::Stopped);
    assert_eq!(store.all_records().await.unwrap().len(), 2);
    assert_eq!(store.runs().await.unwrap()[0].status, RunStatus::Stopped);

    let mut m = Scripted::new(clock.clone());
    m.script = VecDeque::from([Some(MeasureError::Failed("shader compile error".into()))]);
    let mut state = RunState::new("run-f".into(), Budget::Quick, 2);
    let controls = Controls::default();
    let err =
        go_loop(&mut m, &store, &mut plan, &mut state, &controls, clock, Hooks { sleep_1s: &no_sleep, charging: None, on: &mut |_| {} }).await.unwrap_err();
    assert!(err.to_string().contains("shader compile error"));
    assert_eq!(state.status, RunStatus::Failed);
    store.close();
}

/// A probe 1.5x slower than at the start pauses the run for a cool-down, a second at a time,
/// then measures the probe again; the GPU has cooled meanwhile, so the run goes on. After the
/// last allowed cool-down a hot GPU gets none.
#[wasm_bindgen_test]
async fn a_hot_gpu_gets_a_cool_down_then_the_probe_again() {
    let store = fresh_store("leti-test-cool").await;
    let clock = Rc::new(StdCell::new(0.0));
    let mut m = Scripted::new(clock.clone());
    let heat = m.slowdown.clone();
    let mut plan = Plan::new(Vec::new(), [], 1);
    let mut state = RunState::new("run-c".into(), Budget::UntilStopped, 1);
    let controls = Controls::default();
    let (slept, cooling_events) = (Rc::new(StdCell::new(0u32)), Rc::new(StdCell::new(0u32)));
    let sleep = {
        let (slept, heat) = (slept.clone(), heat.clone());
        move || -> Pin<Box<dyn Future<Output = ()>>> {
            slept.set(slept.get() + 1);
            heat.set(1.0);
            Box::pin(async {})
        }
    };
    let mut on = |ev: RunEvent| match ev {
        // The GPU heats up after the fourth cell; the run stops after the twelfth.
        RunEvent::Recorded(r) if r.run.as_ref().unwrap().sequence == 3 => heat.set(1.5),
        RunEvent::Recorded(r) if r.run.as_ref().unwrap().sequence == 11 => controls.request_stop(),
        RunEvent::Cooling { ratio, .. } => {
            assert!((ratio - 1.5).abs() < 1e-9, "ratio {ratio}");
            cooling_events.set(cooling_events.get() + 1);
        }
        _ => {}
    };
    let hooks = Hooks { sleep_1s: &sleep, charging: Some(false), on: &mut on };
    assert_eq!(go_loop(&mut m, &store, &mut plan, &mut state, &controls, clock, hooks).await.unwrap(), RunStatus::Stopped);
    assert_eq!((slept.get(), cooling_events.get(), state.cool_downs), (COOL_DOWN_S, COOL_DOWN_S, 1));
    // Probe (hot) after 8 cells, cool-down, probe again (cooled): the later records say 1.0.
    let stored = store.all_records().await.unwrap();
    assert_eq!(stored.len(), 12);
    assert_eq!(stored.last().unwrap().record.run.as_ref().unwrap().thermal_ratio, Some(1.0));
    assert!(stored.iter().all(|r| r.record.run.as_ref().unwrap().charging == Some(false)));
    assert!(!state.needs_cool_down());

    state.thermal_ratio = Some(1.6);
    assert!(state.needs_cool_down());
    state.cool_downs = MAX_COOL_DOWNS;
    assert!(!state.needs_cool_down(), "past the last cool-down the run goes on hot");
    store.close();
}

#[wasm_bindgen_test]
async fn pause_on_the_gpu_discards_that_cell_and_resume_measures_it_again() {
    let store = fresh_store("leti-test-midcell").await;
    let clock = Rc::new(StdCell::new(0.0));
    let controls = Rc::new(Controls::default());
    let mut m = Scripted::new(clock.clone());
    // Pause is pressed while the fourth cell runs on the GPU.
    m.pause_during = Some((3, controls.clone()));
    let mut plan = Plan::new(Vec::new(), [], 1);
    let mut state = RunState::new("run-m".into(), Budget::UntilStopped, 1);
    let status = run_loop(&mut m, &store, &mut plan, &mut state, &controls, clock.clone(), &mut |_, _| {}).await;
    assert_eq!(status, RunStatus::Paused);
    // Three cells stored; the interrupted one left nothing, and its time is not counted.
    assert_eq!(store.all_records().await.unwrap().len(), 3);
    assert_eq!((state.next_sequence, state.active_ms), (3, 15_000.0));
    // Resumed, the interrupted anchor is the next measured.
    controls.clear();
    m.pause_during = None;
    let status = run_loop(&mut m, &store, &mut plan, &mut state, &controls, clock.clone(), &mut |r, c| {
        if r.run.as_ref().unwrap().sequence == 4 {
            c.request_stop();
        }
    })
    .await;
    assert_eq!(status, RunStatus::Stopped);
    let stored = store.all_records().await.unwrap();
    assert_eq!(stored.len(), 5);
    assert_eq!(stored[3].record.hash, anchor_cells()[3].hash(), "the interrupted cell is measured after the resume");
    store.close();
}

#[wasm_bindgen_test]
fn draw_analysis_matches_the_readme_cell_and_reports_errors() {
    let a = draw_page::analyse(draw_page::PRESETS[0].1).unwrap();
    assert_eq!(a.hash, "28cfc7874f6d200472e1a9dcd8650aa0");
    assert_eq!(a.cost.trainable_parameters, 2_694_282);
    assert!(a.removed.is_empty());
    let dangling = r#"{"module_adjacency":[[0,1,1,0],[0,0,0,1],[0,0,0,0],[0,0,0,0]],"module_operations":["input","conv3x3-bn-relu","maxpool3x3","output"]}"#;
    assert_eq!(draw_page::analyse(dangling).unwrap().removed, vec![2]);
    let err = draw_page::analyse(r#"{"module_adjacency":[[0,1],[0,0]],"module_operations":["input","conv3x3-bn-relu"]}"#).unwrap_err();
    assert!(err.to_string().contains("the last vertex must be \"output\""), "{err}");
}
