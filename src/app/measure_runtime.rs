//! The Measure page's long-lived side: one runtime per page load that owns the IndexedDB
//! store, the plan, the engine and the wake lock, drives runs (start, pause, resume, stop,
//! resume after a reload) and the upload loop, and reports into reactive signals the page
//! renders. It lives for the whole app, so runs and uploads go on while another page is shown.
//!
//! The pages reach it through one Leptos context, [`Measuring`] (a `Copy` handle), and its
//! state is one [`Phase`]: loading, idle between runs (the plan and the engine wait there), or
//! running (the run holds them, and the wake lock is kept for it).

use std::cell::{Cell as StdCell, OnceCell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rustc_hash::FxHashMap;
use wasm_bindgen::prelude::*;

use super::battery;
use super::device_model::{self, DeviceModels};
use super::engine_measurer::EngineMeasurer;
use super::engine_port::{client_info, latency_ms};
use super::plan::Plan;
use super::run_controller::{Controls, Run, RunEvent};
use super::run_state::{Budget, RunState, RunStatus};
use super::store::{Counts, Store, StoredRecord, UploadState, DB_NAME};
use super::upload::{FetchTransport, UploadQueue};
use super::wake_lock::{self, WakeLock};
use super::webgpu_check::{self, WebGpuStatus};
use super::{download, settings, space_file};
use crate::engine::{now_ms, unix_ms as now_unix_ms};
use crate::measure::MeasurementRecord;
use crate::net::{build, Cost, Precision};
use crate::space::ModuleHash;

/// How often the upload loop looks for work when idle.
const UPLOAD_POLL_MS: u32 = 2_000;

/// One measured cell as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub id: String,
    pub hash: String,
    pub macs: u64,
    pub latency_ms: f64,
    pub anchor: bool,
    pub run_id: String,
    pub sequence: u32,
    pub precision: Precision,
}

/// The signals the Measure page renders (all `Copy`).
#[derive(Clone, Copy)]
pub struct MeasureUi {
    /// `None` while checking.
    pub gpu: RwSignal<Option<WebGpuStatus>>,
    pub storage_error: RwSignal<Option<String>>,
    /// Whether the stored records and runs have been loaded.
    pub loaded: RwSignal<bool>,
    pub records: RwSignal<Vec<Summary>>,
    pub counts: RwSignal<Counts>,
    pub run: RwSignal<Option<RunState>>,
    /// The run loop is active (measuring, or finishing the current cell before a pause).
    pub looping: RwSignal<bool>,
    pub pause_requested: RwSignal<bool>,
    pub current: RwSignal<Option<String>>,
    pub notice: RwSignal<Option<String>>,
    pub wake: RwSignal<String>,
    pub upload: RwSignal<String>,
    pub online: RwSignal<bool>,
    pub consent: RwSignal<bool>,
    pub label: RwSignal<String>,
    pub budget: RwSignal<Budget>,
    pub anchors_left: RwSignal<usize>,
    /// Set while a run resumed after a reload is going: how many of its cells were stored before.
    pub resumed_from: RwSignal<Option<u32>>,
    /// Whether the device is on its charger (`None` where the browser does not tell).
    pub charging: RwSignal<Option<bool>>,
    /// Whether a device with f16 measures each cell at f32 too.
    pub also_f32: RwSignal<bool>,
}

/// Where the runtime is: what it holds depends on it, so nothing is held twice.
enum Phase {
    /// Checking WebGPU and opening the store (and for good, when storage cannot be opened).
    Loading,
    /// Between runs: the plan, and the engine once it was made.
    Idle(Box<Between>),
    /// A run holds the plan and the engine; the screen's wake lock is kept for it.
    Running { wake_lock: Option<WakeLock> },
}

/// What waits between runs.
struct Between {
    plan: Plan,
    measurer: Option<EngineMeasurer>,
}

struct Runtime {
    ui: MeasureUi,
    /// Set once the store has opened.
    store: OnceCell<Rc<Store>>,
    phase: RefCell<Phase>,
    controls: Controls,
    /// The run was paused because the page was hidden (it resumes when the page is visible).
    hidden_pause: StdCell<bool>,
    /// MACs of each measured cell, by hash (a cache for the summaries).
    macs: RefCell<FxHashMap<ModuleHash, u64>>,
    models: DeviceModels,
}

impl Runtime {
    fn store(&self) -> Option<Rc<Store>> {
        self.store.get().cloned()
    }

    fn running(&self) -> bool {
        matches!(*self.phase.borrow(), Phase::Running { .. })
    }
}

/// The Measure runtime as the pages reach it: a `Copy` handle, provided as context by
/// [`provide_runtime`].
#[derive(Clone, Copy)]
pub struct Measuring(StoredValue<Rc<Runtime>, LocalStorage>);

/// Creates the runtime (once, for the app) and provides [`Measuring`], [`MeasureUi`] and
/// [`DeviceModels`] as context.
pub fn provide_runtime() {
    let ui = MeasureUi {
        gpu: RwSignal::new(None),
        storage_error: RwSignal::new(None),
        loaded: RwSignal::new(false),
        records: RwSignal::new(Vec::new()),
        counts: RwSignal::new(Counts::default()),
        run: RwSignal::new(None),
        looping: RwSignal::new(false),
        pause_requested: RwSignal::new(false),
        current: RwSignal::new(None),
        notice: RwSignal::new(None),
        wake: RwSignal::new(String::new()),
        upload: RwSignal::new(String::new()),
        online: RwSignal::new(navigator_online()),
        consent: RwSignal::new(settings::consent()),
        label: RwSignal::new(settings::device_label()),
        budget: RwSignal::new(settings::budget()),
        anchors_left: RwSignal::new(crate::measure::anchors::ANCHOR_CODES.len()),
        resumed_from: RwSignal::new(None),
        charging: RwSignal::new(None),
        also_f32: RwSignal::new(settings::also_f32()),
    };
    provide_context(ui);
    let models = device_model::provide();
    let rt = Rc::new(Runtime {
        ui,
        store: OnceCell::new(),
        phase: RefCell::new(Phase::Loading),
        controls: Controls::default(),
        hidden_pause: StdCell::new(false),
        macs: RefCell::new(FxHashMap::default()),
        models,
    });
    provide_context(Measuring(StoredValue::new_local(rt.clone())));
    listen_to_page_events(&rt);
    spawn_local(watch_battery(ui.charging));
    spawn_local(init(rt));
}

/// Keeps `charging` up to date where the browser has the Battery Status API.
async fn watch_battery(charging: RwSignal<Option<bool>>) {
    let Some(b) = battery::battery().await else { return };
    charging.set(b.charging());
    let live = b.clone();
    b.on_charging_change(move || charging.set(live.charging()));
}

fn navigator_online() -> bool {
    web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true)
}

fn listen_to_page_events(rt: &Rc<Runtime>) {
    let Some(window) = web_sys::window() else { return };
    for name in ["online", "offline"] {
        let online = rt.ui.online;
        let cb = Closure::<dyn FnMut()>::new(move || online.set(navigator_online()));
        let _ = window.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        cb.forget();
    }
    // A hidden page pauses the run (its timings would be spoiled) and a visible one resumes it;
    // browsers release the wake lock when the page is hidden, so it is taken again on return.
    let rt = rt.clone();
    let cb = Closure::<dyn FnMut()>::new(move || {
        let visible = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
        if visible {
            on_visible(&rt);
        } else {
            on_hidden(&rt);
        }
    });
    if let Some(doc) = window.document() {
        let _ = doc.add_event_listener_with_callback("visibilitychange", cb.as_ref().unchecked_ref());
    }
    cb.forget();
}

/// The page was hidden: a running run pauses at once, the cell on the GPU discarded.
fn on_hidden(rt: &Rc<Runtime>) {
    if rt.running() && !rt.controls.wants_out() {
        rt.hidden_pause.set(true);
        rt.controls.request_pause();
        rt.ui.pause_requested.set(true);
        rt.ui.notice.set(Some(
            "Paused while this page is hidden: a hidden page's timings are spoiled, so the cell in progress was discarded. It goes on when you come back."
                .into(),
        ));
    }
}

/// The page is visible again: a run paused by hiding goes on (or never stops, if the pause had
/// not taken effect yet), and a released wake lock is taken again.
fn on_visible(rt: &Rc<Runtime>) {
    if rt.hidden_pause.replace(false) {
        rt.ui.notice.set(None);
        if rt.running() {
            rt.controls.clear_pause();
            rt.ui.pause_requested.set(false);
        } else {
            resume_run(rt.clone());
        }
    }
    let released = match &*rt.phase.borrow() {
        Phase::Running { wake_lock } => wake_lock.as_ref().is_none_or(|w| w.released()),
        _ => false,
    };
    if released {
        spawn_local(acquire_wake_lock(rt.clone()));
    }
}

/// Resumes the latest open run (paused, or interrupted by a reload).
fn resume_run(rt: Rc<Runtime>) {
    if let Some(run) = rt.ui.run.get_untracked().filter(|r| r.status.is_open()) {
        spawn_local(drive(rt, run));
    }
}

async fn init(rt: Rc<Runtime>) {
    let ui = rt.ui;
    let gpu = webgpu_check::check().await;
    ui.gpu.set(Some(gpu.clone()));
    let store = match Store::open(DB_NAME).await {
        Ok(s) => Rc::new(s),
        Err(e) => {
            ui.storage_error.set(Some(format!("{e}. Measurements could not be kept, so measuring is off (private browsing can block storage).")));
            return;
        }
    };
    let _ = rt.store.set(store.clone());
    let records = match store.all_records().await {
        Ok(r) => r,
        Err(e) => {
            ui.storage_error.set(Some(e.to_string()));
            return;
        }
    };
    // A cell is done once measured at the device's own precision (f16 where it has it).
    let own = own_precision(&gpu);
    let done = records.iter().filter(|r| r.record.network.precision == own).map(|r| r.record.hash);
    let plan = Plan::new(Vec::new(), done, settings::device_seed());
    ui.anchors_left.set(plan.anchors_left());
    *rt.phase.borrow_mut() = Phase::Idle(Box::new(Between { plan, measurer: None }));
    let summaries: Vec<Summary> = records.iter().map(|r| summarize(&rt, &r.record)).collect();
    ui.records.set(summaries);
    device_model::load(rt.models, store.clone(), records.iter().map(|r| r.record.clone()).collect());
    refresh_counts(&rt).await;
    let runs = store.runs().await.unwrap_or_default();
    let last = runs.into_iter().last();
    ui.loaded.set(true);
    spawn_local(upload_loop(rt.clone()));
    if let Some(run) = last {
        let interrupted = run.status == RunStatus::Running;
        ui.run.set(Some(run.clone()));
        if interrupted {
            if matches!(gpu, WebGpuStatus::Ready(_)) {
                ui.resumed_from.set(Some(run.next_sequence));
                spawn_local(drive(rt.clone(), run));
            } else {
                ui.notice.set(Some("A run was interrupted by a reload, but WebGPU is not available now, so it cannot resume.".into()));
            }
        }
    }
}

/// The precision this device measures first and its model describes: f16 where the adapter
/// has `shader-f16` ([`Precision::to_measure`]).
fn own_precision(gpu: &WebGpuStatus) -> Precision {
    let f16 = matches!(gpu, WebGpuStatus::Ready(a) if a.shader_f16);
    Precision::to_measure(f16, false)[0]
}

/// The MACs of a record's network (cached by hash).
fn summarize(rt: &Runtime, rec: &MeasurementRecord) -> Summary {
    let macs = *rt.macs.borrow_mut().entry(rec.hash).or_insert_with(|| rec.cell.validate().map(|cell| Cost::of(&build(&cell, &rec.network)).macs).unwrap_or(0));
    let run = rec.run.clone().unwrap_or_default();
    Summary {
        id: rec.id.clone(),
        hash: rec.hash.to_hex(),
        macs,
        latency_ms: latency_ms(rec),
        anchor: run.anchor,
        run_id: run.run_id,
        sequence: run.sequence,
        precision: rec.network.precision,
    }
}

async fn refresh_counts(rt: &Runtime) {
    if let Some(store) = rt.store() {
        if let Ok(c) = store.counts().await {
            rt.ui.counts.set(c);
        }
    }
}

async fn acquire_wake_lock(rt: Rc<Runtime>) {
    if !wake_lock::supported() {
        rt.ui.wake.set("This browser cannot keep the screen on by itself: keep it awake, since a sleeping screen pauses the measuring.".into());
        return;
    }
    match WakeLock::request().await {
        Ok(lock) => match &mut *rt.phase.borrow_mut() {
            Phase::Running { wake_lock } => {
                *wake_lock = Some(lock);
                rt.ui.wake.set("The screen stays on while measuring.".into());
            }
            // The run ended while the browser was granting the lock.
            _ => lock.release(),
        },
        Err(e) => rt.ui.wake.set(format!("Could not keep the screen on ({e}); keep it awake yourself.")),
    }
}

impl Measuring {
    fn runtime(self) -> Option<Rc<Runtime>> {
        self.0.try_get_value()
    }

    /// Starts a new run with the chosen budget.
    pub fn start(self, budget: Budget) {
        let Some(rt) = self.runtime() else { return };
        if !matches!(*rt.phase.borrow(), Phase::Idle(_)) {
            return;
        }
        settings::set_budget(budget);
        let run = RunState::new(uuid::Uuid::new_v4().to_string(), budget, now_unix_ms());
        rt.ui.notice.set(None);
        spawn_local(drive(rt, run));
    }

    /// Resumes the latest paused (or interrupted) run.
    pub fn resume(self) {
        if let Some(rt) = self.runtime() {
            rt.hidden_pause.set(false);
            resume_run(rt);
        }
    }

    /// Pauses after the current cell.
    pub fn pause(self) {
        if let Some(rt) = self.runtime() {
            rt.controls.request_pause();
            rt.ui.pause_requested.set(true);
        }
    }

    /// Stops after the current cell (at once when paused).
    pub fn stop(self) {
        let Some(rt) = self.runtime() else { return };
        if rt.running() {
            rt.controls.request_stop();
            rt.ui.pause_requested.set(true);
            return;
        }
        if let Some(mut run) = rt.ui.run.get_untracked().filter(|r| r.status.is_open()) {
            run.status = RunStatus::Stopped;
            rt.ui.run.set(Some(run.clone()));
            if let Some(store) = rt.store() {
                spawn_local(async move {
                    let _ = store.put_run(&run).await;
                });
            }
        }
    }

    /// Offers every stored record as a JSONL or CSV download.
    pub fn download(self, csv: bool) {
        let Some(rt) = self.runtime() else { return };
        let Some(store) = rt.store() else { return };
        spawn_local(async move {
            let records: Vec<StoredRecord> = match store.all_records().await {
                Ok(r) => r,
                Err(e) => {
                    rt.ui.notice.set(Some(e.to_string()));
                    return;
                }
            };
            let result = if csv {
                download::save_text("leti-measurements.csv", "text/csv", &download::to_csv(&records))
            } else {
                download::save_text("leti-measurements.jsonl", "application/x-ndjson", &download::to_jsonl(&records))
            };
            if let Err(e) = result {
                rt.ui.notice.set(Some(format!("The download failed: {e}")));
            }
        });
    }

    /// Records counted as rejected, with their reasons (for the page).
    pub fn rejected_reasons(self) {
        let Some(rt) = self.runtime() else { return };
        let Some(store) = rt.store() else { return };
        spawn_local(async move {
            if let Ok(all) = store.all_records().await {
                let reasons: Vec<String> = all
                    .into_iter()
                    .filter(|r| r.state == UploadState::Rejected)
                    .map(|r| format!("{}: {}", r.record.hash, r.reason.unwrap_or_default()))
                    .collect();
                if !reasons.is_empty() {
                    rt.ui.notice.set(Some(format!("Refused by the collector: {}", reasons.join("; "))));
                }
            }
        });
    }
}

/// Moves an idle runtime to running: the plan and the engine (if made) come out of the idle
/// phase for the run. `None` while loading or already running.
fn begin_run(rt: &Runtime) -> Option<(Plan, Option<EngineMeasurer>)> {
    let mut phase = rt.phase.borrow_mut();
    if !matches!(*phase, Phase::Idle(_)) {
        return None;
    }
    match std::mem::replace(&mut *phase, Phase::Running { wake_lock: None }) {
        Phase::Idle(b) => Some((b.plan, b.measurer)),
        _ => unreachable!("checked idle above"),
    }
}

/// The engine a run measures with: the one kept from the last run, or a new one.
async fn engine(ui: MeasureUi, kept: Option<EngineMeasurer>) -> Result<EngineMeasurer, String> {
    if let Some(mut m) = kept {
        m.set_also_f32(ui.also_f32.get_untracked());
        return Ok(m);
    }
    ui.current.set(Some("Preparing the GPU engine…".into()));
    let (browser_adapter, software) = match ui.gpu.get_untracked() {
        Some(WebGpuStatus::Ready(a)) => (Some(a.info), a.is_fallback),
        _ => (None, false),
    };
    let mut m = EngineMeasurer::new(browser_adapter, software, false).await.map_err(|e| format!("the GPU engine could not start: {e}"))?;
    m.set_also_f32(ui.also_f32.get_untracked());
    Ok(m)
}

async fn drive(rt: Rc<Runtime>, mut run: RunState) {
    let ui = rt.ui;
    let Some(store) = rt.store() else { return };
    let Some((mut plan, kept)) = begin_run(&rt) else { return };
    ui.looping.set(true);
    ui.pause_requested.set(false);
    rt.controls.clear();
    ui.run.set(Some(run.clone()));
    acquire_wake_lock(rt.clone()).await;
    let mut measurer = match engine(ui, kept).await {
        Ok(m) => m,
        Err(e) => {
            run.status = RunStatus::Failed;
            run.error = Some(e);
            let _ = store.put_run(&run).await;
            ui.run.set(Some(run));
            finish(&rt, plan, None);
            return;
        }
    };
    if !plan.has_space() {
        ui.current.set(Some("Loading the cell space…".into()));
        match space_file::load().await {
            Ok(cells) => plan.set_space(cells),
            Err(e) => ui.notice.set(Some(format!("{e}. Only the anchor cells can be measured."))),
        }
    }
    let client = client_info(Some(ui.label.get_untracked()), super::client_hints::client_hints().await);
    let new_id = || uuid::Uuid::new_v4().to_string();
    let unix = now_unix_ms;
    let rt2 = rt.clone();
    let mut on = move |ev: RunEvent| on_event(&rt2, ev);
    let result = Run {
        measurer: &mut measurer,
        store: &store,
        plan: &mut plan,
        state: &mut run,
        controls: &rt.controls,
        client,
        new_id: &new_id,
        clock: &now_ms,
        unix_ms: &unix,
        sleep_1s: &|| Box::pin(gloo_timers::future::TimeoutFuture::new(1_000)),
        charging: &move || ui.charging.get_untracked(),
    }
    .go(&mut on)
    .await;
    if let Err(e) = result {
        ui.notice.set(Some(format!("The run stopped: {e}")));
    }
    ui.anchors_left.set(plan.anchors_left());
    finish(&rt, plan, Some(measurer));
    // The pause was withdrawn (the page came back) while it was taking effect: go on.
    if run.status == RunStatus::Paused && !rt.controls.wants_out() {
        resume_run(rt);
    }
}

/// Back to idle with the plan and the engine, releasing the wake lock.
fn finish(rt: &Runtime, plan: Plan, measurer: Option<EngineMeasurer>) {
    if let Phase::Running { wake_lock: Some(lock) } = std::mem::replace(&mut *rt.phase.borrow_mut(), Phase::Idle(Box::new(Between { plan, measurer }))) {
        lock.release();
    }
    rt.ui.wake.set(String::new());
    rt.ui.looping.set(false);
    rt.ui.pause_requested.set(false);
    rt.ui.current.set(None);
    rt.ui.resumed_from.set(None);
}

fn on_event(rt: &Runtime, ev: RunEvent) {
    let ui = rt.ui;
    match ev {
        RunEvent::Measuring { planned: p, precision } => {
            let kind = if p.anchor { "anchor cell" } else { "sampled cell" };
            ui.current.set(Some(format!("Measuring {kind} {} ({} vertices, {} edges) at {}", p.hash, p.cell.num_vertices(), p.cell.num_edges(), precision.as_str())));
        }
        RunEvent::Probing => ui.current.set(Some("Measuring the thermal probe (the first anchor cell again)".into())),
        RunEvent::Recorded(rec) => {
            let s = summarize(rt, &rec);
            ui.records.update(|v| v.push(s));
            ui.counts.update(|c| c.pending += 1);
            if rec.run.as_ref().is_some_and(|r| r.anchor) {
                ui.anchors_left.update(|n| *n = n.saturating_sub(1));
            }
            device_model::on_record(rt.models, &rec);
        }
        RunEvent::Probed { .. } => {}
        RunEvent::DeviceLost { message } => ui.notice.set(Some(format!("The GPU device was lost ({message}); it was recreated and the run goes on."))),
        RunEvent::State(s) => ui.run.set(Some(s)),
        RunEvent::NeedSpace => ui.notice.set(Some("Every anchor cell is done, but the cell space file could not be loaded.".into())),
        RunEvent::Cooling { ratio, seconds_left } => ui.current.set(Some(format!(
            "Cooling down: the GPU ran {ratio:.2}× slower than at the start (it has heated up). Measuring again in {seconds_left} s; Pause and Stop work meanwhile."
        ))),
    }
}

async fn upload_loop(rt: Rc<Runtime>) {
    let mut queue = UploadQueue::new(FetchTransport);
    let ui = rt.ui;
    let Some(store) = rt.store() else { return };
    loop {
        let mut wait = UPLOAD_POLL_MS;
        if !ui.consent.get_untracked() {
            refresh_counts(&rt).await;
            let p = ui.counts.get_untracked().pending;
            ui.upload.set(if p == 0 { String::new() } else { format!("Uploading is off: {p} records stay on this device until you agree to send them.") });
        } else if !ui.online.get_untracked() {
            let p = ui.counts.get_untracked().pending;
            ui.upload.set(format!("Offline: {p} records wait on this device and go as soon as the network is back."));
        } else {
            let jitter = 0.5 + 0.5 * js_sys::Math::random();
            match queue.step(&store, jitter).await {
                Ok(step) => {
                    if step.sent > 0 || step.idle {
                        refresh_counts(&rt).await;
                    }
                    let p = ui.counts.get_untracked().pending;
                    if let Some(ms) = step.retry_in_ms {
                        wait = ms as u32;
                        let why = queue.last_error.clone().unwrap_or_default();
                        ui.upload.set(format!("Upload failed ({why}); {p} records wait, next try in {:.0} s.", ms / 1000.0));
                    } else if step.idle {
                        ui.upload.set(String::new());
                    } else {
                        wait = 0;
                        ui.upload.set(format!("Uploading… {p} records to go."));
                    }
                }
                Err(e) => {
                    ui.upload.set(format!("Could not read the upload queue: {e}"));
                    wait = 10_000;
                }
            }
        }
        gloo_timers::future::TimeoutFuture::new(wait).await;
    }
}
