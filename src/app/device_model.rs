//! This device's own latency model, learned in the page while it measures: fitted once the
//! anchor cells are measured and again after each new cell (in a Web Worker, [`super::fit_worker`],
//! so refits never run on the main thread while the engine times a cell), with the bundled
//! models as sources. Its honest accuracy is prospective: each newly measured cell is first
//! predicted by the model fitted before it was measured, and counted within ±10% or not
//! ([`Tally`]); only then does the next refit learn from it. The model and the tally are kept
//! in IndexedDB per device key, so a reload keeps them. The state lives in [`DeviceModels`], a
//! Leptos context the Measure, Draw and Explore pages read.

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};

use super::bundled_models::{self, Bundled, ModelKind};
use super::fit_worker::{fit_in_worker, FitReply, FitRequest};
use super::space_worker::SpaceWorker;
use super::store::Store;
use crate::measure::anchors::ANCHOR_CODES;
use crate::measure::{device_cells, model_device, model_follows, MeasurementRecord};
use crate::predict::Model;
use crate::space::Cell;

/// Distinct cells a device needs before its first fit: the anchor cells every run measures first.
pub const MIN_CELLS: usize = ANCHOR_CODES.len();

/// Prospective accuracy: cells predicted by a model fitted before they were measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub checked: u32,
    /// Of those, the ones with |measured / predicted - 1| <= 0.1.
    pub within: u32,
}

impl Tally {
    pub fn add(&mut self, predicted_ms: f64, measured_ms: f64) {
        self.checked += 1;
        if (measured_ms / predicted_ms - 1.0).abs() <= 0.1 {
            self.within += 1;
        }
    }

    /// The share within ±10%, once a cell has been checked.
    pub fn share(&self) -> Option<f64> {
        (self.checked > 0).then(|| self.within as f64 / self.checked as f64)
    }
}

/// A device's model as kept in IndexedDB (one row per device key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    pub device: String,
    pub fit: FitReply,
    pub tally: Tally,
    /// The device's distinct cells accounted for (in measuring order): fitted on, or checked
    /// against a model fitted without them.
    pub seen: usize,
    pub fitted_unix_ms: u64,
}

/// A device's model, loaded.
#[derive(Clone)]
pub struct OwnModel {
    pub saved: SavedModel,
    pub model: Arc<Model>,
}

impl OwnModel {
    pub fn from_saved(saved: SavedModel) -> Result<OwnModel, String> {
        let model = Model::from_json_bytes(saved.fit.model_json.as_bytes()).map_err(|e| format!("the stored device model does not load: {e}"))?;
        Ok(OwnModel { saved, model: Arc::new(model) })
    }

    /// A new fit of `device`, keeping the tally of the model it replaces.
    pub fn adopt(prev: Option<&OwnModel>, device: &str, fit: FitReply, now_unix_ms: u64) -> Result<OwnModel, String> {
        let prev = prev.filter(|p| p.saved.device == device);
        let seen = prev.map_or(0, |p| p.saved.seen).max(fit.n_cells);
        let tally = prev.map_or_else(Tally::default, |p| p.saved.tally);
        OwnModel::from_saved(SavedModel { device: device.to_string(), fit, tally, seen, fitted_unix_ms: now_unix_ms })
    }

    /// Checks the device's cells measured since this model's fit and not yet counted
    /// (`pairs` in measuring order) against it; returns how many were checked.
    pub fn check_new(&mut self, pairs: &[(Cell, f64)]) -> usize {
        let from = self.saved.seen;
        for (cell, ms) in pairs.iter().skip(from) {
            if let Ok(p) = self.model.predict(cell) {
                self.saved.tally.add(p.ms, *ms);
            }
        }
        self.saved.seen = self.saved.seen.max(pairs.len());
        self.saved.seen - from
    }

    /// The model as the Draw and Explore pages list it.
    pub fn listed(&self) -> Bundled {
        Bundled {
            name: "this device".into(),
            url: String::new(),
            model: Ok(self.model.clone()),
            bytes: Arc::new(self.saved.fit.model_json.clone().into_bytes()),
            kind: ModelKind::Own,
            adapter: None,
            n_cells: Some(self.saved.fit.n_cells as u64),
            within_10: self.saved.tally.share(),
            eval_cells: self.saved.tally.checked as u64,
        }
    }
}

/// Whether `pairs` cells call for a (re)fit: enough of them, and more than the model has seen.
pub fn needs_fit(own: Option<&OwnModel>, pairs: usize) -> bool {
    pairs >= MIN_CELLS && own.is_none_or(|o| o.saved.fit.n_cells < pairs)
}

/// The fitting machinery behind the signals (main thread only).
#[derive(Default)]
struct Inner {
    store: Option<Rc<Store>>,
    records: Vec<MeasurementRecord>,
    device: Option<String>,
    sources: Option<Vec<Arc<Vec<u8>>>>,
    worker: Option<Rc<SpaceWorker>>,
    fitting: bool,
    again: bool,
}

/// The device-model context.
#[derive(Clone, Copy)]
pub struct DeviceModels {
    /// This device's model, once fitted (or loaded).
    pub own: RwSignal<Option<OwnModel>>,
    /// Distinct cells this device has measured (for "n of 20 anchor cells").
    pub cells: RwSignal<usize>,
    /// What fitting is doing, or why it failed (empty when idle).
    pub status: RwSignal<String>,
    inner: StoredValue<Inner, LocalStorage>,
}

/// Creates and provides the context.
pub fn provide() -> DeviceModels {
    let ctx = DeviceModels {
        own: RwSignal::new(None),
        cells: RwSignal::new(0),
        status: RwSignal::new(String::new()),
        inner: StoredValue::new_local(Inner::default()),
    };
    provide_context(ctx);
    ctx
}

/// Starts from the stored records (the latest record's device is this device, at f16 where it
/// measured at f16: [`model_device`]) and its saved model; checks and refits what the last
/// page load left.
pub fn load(ctx: DeviceModels, store: Rc<Store>, records: Vec<MeasurementRecord>) {
    let device = model_device(&records);
    ctx.inner.update_value(|i| {
        i.store = Some(store.clone());
        i.records = records;
    });
    if let Some(device) = device {
        spawn_local(switch_device(ctx, device));
    }
}

/// A newly stored record of this browser.
pub fn on_record(ctx: DeviceModels, rec: &MeasurementRecord) {
    let device = rec.device_key();
    let (same, follows) = ctx.inner.with_value(|i| (i.device.as_deref() == Some(device.as_str()), model_follows(i.device.as_deref(), rec)));
    ctx.inner.update_value(|i| i.records.push(rec.clone()));
    if !follows {
        return;
    }
    if same {
        step(ctx);
    } else {
        spawn_local(switch_device(ctx, device));
    }
}

async fn switch_device(ctx: DeviceModels, device: String) {
    ctx.inner.update_value(|i| i.device = Some(device.clone()));
    ctx.own.set(None);
    let store = ctx.inner.with_value(|i| i.store.clone());
    if let Some(store) = store {
        match store.device_model(&device).await {
            Ok(Some(json)) => match serde_json::from_str::<SavedModel>(&json).map_err(|e| e.to_string()).and_then(OwnModel::from_saved) {
                Ok(m) => ctx.own.set(Some(m)),
                Err(e) => ctx.status.set(format!("The saved model of this device could not be read ({e}); it is fitted again.")),
            },
            Ok(None) => {}
            Err(e) => ctx.status.set(e.to_string()),
        }
    }
    step(ctx);
}

/// Counts the cells not yet checked against the current model, then refits if needed (one
/// fit at a time; cells that arrive meanwhile are fitted next).
fn step(ctx: DeviceModels) {
    let Some((device, pairs)) = ctx.inner.with_value(|i| {
        i.device.clone().map(|d| {
            let p = device_cells(&i.records, &d);
            (d, p)
        })
    }) else {
        return;
    };
    ctx.cells.set(pairs.len());
    let mut own = ctx.own.get_untracked();
    if let Some(m) = own.as_mut() {
        if m.check_new(&pairs) > 0 {
            ctx.own.set(own.clone());
            save(ctx, own.as_ref());
        }
    }
    if !needs_fit(own.as_ref(), pairs.len()) {
        return;
    }
    let busy = ctx.inner.with_value(|i| i.fitting);
    ctx.inner.update_value(|i| if busy { i.again = true } else { i.fitting = true });
    if !busy {
        // The precision the device's records ran at (one per device key), for the model file.
        let precision = ctx.inner.with_value(|i| i.records.iter().rev().find(|r| r.device_key() == device).map(|r| r.network.precision)).unwrap_or_default();
        spawn_local(fit_job(ctx, FitRequest::new(&device, precision, &pairs)));
    }
}

fn save(ctx: DeviceModels, own: Option<&OwnModel>) {
    let (Some(own), Some(store)) = (own, ctx.inner.with_value(|i| i.store.clone())) else { return };
    let json = serde_json::to_string(&own.saved).unwrap_or_default();
    let device = own.saved.device.clone();
    spawn_local(async move {
        if let Err(e) = store.put_device_model(&device, &json).await {
            ctx.status.set(format!("The model could not be saved: {e}"));
        }
    });
}

async fn fit_job(ctx: DeviceModels, request: FitRequest) {
    ctx.status.set(format!("Fitting your GPU's model on {} cells…", request.pairs.len()));
    let result = fit_once(ctx, &request).await;
    let current = ctx.inner.with_value(|i| i.device.clone());
    match result {
        Ok(reply) if current.as_deref() == Some(request.device.as_str()) => {
            match OwnModel::adopt(ctx.own.get_untracked().as_ref(), &request.device, reply, crate::engine::unix_ms()) {
                Ok(m) => {
                    save(ctx, Some(&m));
                    ctx.own.set(Some(m));
                    ctx.status.set(String::new());
                }
                Err(e) => ctx.status.set(e),
            }
        }
        Ok(_) => ctx.status.set(String::new()),
        Err(e) => ctx.status.set(format!("Fitting your GPU's model failed: {e}")),
    }
    let again = ctx.inner.with_value(|i| i.again);
    ctx.inner.update_value(|i| {
        i.fitting = false;
        i.again = false;
    });
    if again {
        step(ctx);
    }
}

/// The bundled models (loaded once) and the worker (started once), then the fit.
async fn fit_once(ctx: DeviceModels, request: &FitRequest) -> Result<FitReply, String> {
    if ctx.inner.with_value(|i| i.sources.is_none()) {
        let all = bundled_models::load_all().await?;
        let sources: Vec<Arc<Vec<u8>>> = all.into_iter().filter(|m| m.kind == ModelKind::Bundled && m.model.is_ok()).map(|m| m.bytes).collect();
        if sources.is_empty() {
            return Err("the server bundles no model to start from".into());
        }
        ctx.inner.update_value(|i| i.sources = Some(sources));
    }
    if ctx.inner.with_value(|i| i.worker.is_none()) {
        let w = Rc::new(SpaceWorker::start()?);
        ctx.inner.update_value(|i| i.worker = Some(w));
    }
    let (worker, sources) = ctx.inner.with_value(|i| (i.worker.clone(), i.sources.clone()));
    fit_in_worker(&worker.expect("started"), request, &sources.unwrap_or_default()).await
}

/// The model file's download name, from the device key.
pub fn file_name(device: &str) -> String {
    let slug: String = device.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let slug: Vec<&str> = slug.split('-').filter(|s| !s.is_empty()).collect();
    format!("leti-{}.model.json", slug.join("-").chars().take(60).collect::<String>().trim_end_matches('-'))
}
