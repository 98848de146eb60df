//! The learning pass over a database, and the collector's background job that runs it every
//! `--learn-interval-s`. A pass visits every device with records newer than its stored outcome
//! (every device when forced, as `leti train --from-db` does), learns it with
//! [`super::learn::learn_device`] in `spawn_blocking` (one device at a time, so one CPU at
//! most and uploads never wait on a fit), stores the outcome, and logs refusals.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::time::MissedTickBehavior;

use crate::predict::Model;

use super::api::now_unix_ms;
use super::config::Learning;
use super::learn::{learn_device, load_sources, LearnOptions, Outcome};
use super::learned_store::Status;
use super::storage::{DeviceSummary, Store};

/// What the background job is doing (for logs and tests).
#[derive(Debug, Default)]
pub struct LearnerStatus {
    busy: AtomicBool,
    fits_started: AtomicU64,
    passes: AtomicU64,
}

impl LearnerStatus {
    /// Whether a device is being learned right now.
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    /// Devices whose learning has started since the server started.
    pub fn fits_started(&self) -> u64 {
        self.fits_started.load(Ordering::SeqCst)
    }

    /// Completed passes.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::SeqCst)
    }
}

/// How a pass runs.
#[derive(Clone, Copy, Debug)]
pub struct PassMode {
    /// Visit every device, not only those with records newer than their stored outcome.
    pub force: bool,
    /// Store each outcome in the database.
    pub write: bool,
}

impl PassMode {
    /// The background job's passes.
    pub const JOB: PassMode = PassMode { force: false, write: true };
}

/// Devices a pass must visit: those with records newer than their stored outcome, or all.
async fn todo(store: &Store, force: bool) -> anyhow::Result<Vec<DeviceSummary>> {
    let known: HashMap<String, i64> = store.outcomes().await?.into_iter().map(|o| (o.device_key, o.records)).collect();
    let devices = store.devices().await?;
    Ok(devices.into_iter().filter(|d| force || known.get(&d.key).is_none_or(|&r| d.records > r)).collect())
}

/// The bundled models of `dir`, read off the async threads; an error when there is none.
async fn sources(dir: PathBuf) -> anyhow::Result<Arc<Vec<Model>>> {
    let shown = dir.display().to_string();
    let (models, skipped) = tokio::task::spawn_blocking(move || load_sources(&dir)).await??;
    for s in skipped {
        tracing::warn!("not a source model: {s}");
    }
    anyhow::ensure!(!models.is_empty(), "no usable *.model.json in {shown}: a device model borrows from known devices' models");
    Ok(Arc::new(models))
}

/// One pass: learns every device that needs it and (when `mode.write`) stores each outcome
/// as it is reached. Returns the outcomes (in device key order).
pub async fn learn_pass(store: &Store, models_dir: PathBuf, opts: &LearnOptions, mode: PassMode, status: &LearnerStatus) -> anyhow::Result<Vec<Outcome>> {
    let devices = todo(store, mode.force).await?;
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    let sources = sources(models_dir).await?;
    let mut out = Vec::with_capacity(devices.len());
    for d in devices {
        let records = store.device_records(&d.key).await?;
        if records.is_empty() {
            continue;
        }
        let (src, o) = (sources.clone(), opts.clone());
        status.busy.store(true, Ordering::SeqCst);
        status.fits_started.fetch_add(1, Ordering::SeqCst);
        let outcome = tokio::task::spawn_blocking(move || learn_device(&records, &src, &o, now_unix_ms() as i64)).await;
        status.busy.store(false, Ordering::SeqCst);
        let outcome = outcome?;
        if mode.write {
            store.put_outcome(&outcome.row, outcome.model_json.as_deref()).await?;
        }
        log(&outcome);
        out.push(outcome);
    }
    Ok(out)
}

fn log(o: &Outcome) {
    let r = &o.row;
    match r.status {
        Status::Learned => tracing::info!(
            "learned {} for {:?}: {} cells, {} of {} held-out cells within ±10%, {}",
            r.name,
            r.device,
            r.n_cells,
            r.within_10.map_or("n/a".to_string(), |w| format!("{:.0}%", 100.0 * w)),
            r.eval_cells,
            r.method
        ),
        Status::Refused => tracing::warn!("refused device {:?} ({} records): {}", r.device, r.records, r.reason),
        Status::Waiting => tracing::debug!("device {:?} waits: {}", r.device, r.reason),
    }
}

/// Starts the background job (none when the interval is zero). The first pass runs at once.
pub fn spawn(store: Store, learning: Learning, models_dir: PathBuf, status: Arc<LearnerStatus>) -> Option<tokio::task::JoinHandle<()>> {
    if learning.interval.is_zero() {
        return None;
    }
    let opts = LearnOptions { min_cells: learning.min_cells };
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(learning.interval);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = learn_pass(&store, models_dir.clone(), &opts, PassMode::JOB, &status).await {
                tracing::warn!("learning pass failed: {e:#}");
            }
            status.passes.fetch_add(1, Ordering::SeqCst);
        }
    }))
}
