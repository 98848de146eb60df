//! The upload queue: sends pending records from IndexedDB to the collector in batches
//! (`POST /api/v1/measurements`, body `{"records": [...]}`), marks what the collector
//! acknowledged, keeps what it refused with the reason, and retries everything else with
//! exponential backoff. Records wait on the device while offline or without consent.

use serde::{Deserialize, Serialize};

use super::store::{Store, StoreError, UploadState};
use crate::measure::MeasurementRecord;

/// The collector's upload endpoint, relative to the page's origin.
pub const ENDPOINT: &str = "/api/v1/measurements";
/// Most records sent in one request.
pub const MAX_BATCH: usize = 50;
/// First retry delay and the cap of the exponential backoff.
pub const BACKOFF_BASE_MS: f64 = 1_000.0;
pub const BACKOFF_MAX_MS: f64 = 60_000.0;

/// What came back from one POST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// The `Retry-After` header in seconds, when present.
    pub retry_after_s: Option<u64>,
}

/// Sends one request body; `Err` is a network failure (offline, connection refused, ...).
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn post(&mut self, body: String) -> Result<Response, String>;
}

/// The browser's fetch, to [`ENDPOINT`] on the page's own origin.
pub struct FetchTransport;

impl Transport for FetchTransport {
    async fn post(&mut self, body: String) -> Result<Response, String> {
        let resp = gloo_net::http::Request::post(ENDPOINT)
            .header("content-type", "application/json")
            .body(body)
            .map_err(|e| e.to_string())?
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let retry_after_s = resp.headers().get("retry-after").and_then(|v| v.trim().parse().ok());
        Ok(Response { status: resp.status(), body: resp.text().await.unwrap_or_default(), retry_after_s })
    }
}

/// The collector's error body: `{code, message, errors?}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub errors: Vec<RecordError>,
}

/// Why the collector refused one record of a batch.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RecordError {
    pub index: usize,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// What to do after a response.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every record of the batch is stored.
    Stored,
    /// These records (by position in the batch, with reasons) are refused; the rest were not
    /// stored and go again.
    Rejected(Vec<(usize, String)>),
    /// The batch is too large or a record in it is refused without saying which: send fewer.
    Shrink(String),
    /// The collector or the network failed: wait and send the same again.
    Retry { after_ms: Option<f64>, reason: String },
}

/// Decides what a response means for the batch it answers.
pub fn classify(resp: &Response) -> Outcome {
    let status = resp.status;
    if (200..300).contains(&status) {
        return Outcome::Stored;
    }
    let err: ApiError = serde_json::from_str(&resp.body).unwrap_or_default();
    let reason = if err.message.is_empty() { format!("HTTP {status}") } else { format!("{} ({})", err.message, err.code) };
    match status {
        408 | 429 | 500..=599 => Outcome::Retry { after_ms: resp.retry_after_s.map(|s| s as f64 * 1000.0), reason },
        413 => Outcome::Shrink(reason),
        400..=499 if !err.errors.is_empty() => Outcome::Rejected(err.errors.iter().map(|e| (e.index, format!("{}: {}", e.code, e.message))).collect()),
        _ => Outcome::Shrink(reason),
    }
}

/// Exponential backoff with jitter: `base * 2^(failures-1)`, capped, scaled by `jitter` in
/// `[0.5, 1]` so many phones do not retry in lockstep.
pub fn backoff_ms(failures: u32, jitter: f64) -> f64 {
    let exp = BACKOFF_BASE_MS * 2f64.powi(failures.saturating_sub(1).min(30) as i32);
    exp.min(BACKOFF_MAX_MS) * jitter.clamp(0.5, 1.0)
}

#[derive(Serialize)]
struct Batch<'a> {
    records: &'a [MeasurementRecord],
}

/// What one upload step did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Step {
    pub sent: usize,
    pub stored: usize,
    pub rejected: usize,
    /// Wait this long before the next step (a failure happened).
    pub retry_in_ms: Option<f64>,
    /// Nothing was pending.
    pub idle: bool,
}

pub struct UploadQueue<T: Transport> {
    transport: T,
    batch_size: usize,
    failures: u32,
    /// The latest failure, for the page to show.
    pub last_error: Option<String>,
}

impl<T: Transport> UploadQueue<T> {
    pub fn new(transport: T) -> Self {
        UploadQueue { transport, batch_size: MAX_BATCH, failures: 0, last_error: None }
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Sends one batch of pending records and records the outcome in `store`. `jitter` in
    /// `[0.5, 1]` scales the backoff.
    pub async fn step(&mut self, store: &Store, jitter: f64) -> Result<Step, StoreError> {
        let batch = store.pending(self.batch_size as u32).await?;
        if batch.is_empty() {
            return Ok(Step { idle: true, ..Step::default() });
        }
        let ids: Vec<String> = batch.iter().map(|r| r.id.clone()).collect();
        let body = serde_json::to_string(&Batch { records: &batch })?;
        let mut step = Step { sent: batch.len(), ..Step::default() };
        let outcome = match self.transport.post(body).await {
            Ok(resp) => classify(&resp),
            Err(e) => Outcome::Retry { after_ms: None, reason: format!("network: {e}") },
        };
        match outcome {
            Outcome::Stored => {
                store.set_state(&ids, UploadState::Uploaded, None).await?;
                step.stored = ids.len();
                self.failures = 0;
                self.last_error = None;
                self.batch_size = (self.batch_size * 2).min(MAX_BATCH);
            }
            Outcome::Rejected(list) => {
                for (index, reason) in &list {
                    if let Some(id) = ids.get(*index) {
                        store.set_state(std::slice::from_ref(id), UploadState::Rejected, Some(reason)).await?;
                        step.rejected += 1;
                    }
                }
                self.last_error = list.first().map(|(_, r)| format!("the collector refused a record: {r}"));
                if step.rejected == 0 {
                    // Reasons that name no record of this batch: isolate by sending fewer.
                    self.shrink_or_reject(store, &ids, "refused without a record index", &mut step).await?;
                }
            }
            Outcome::Shrink(reason) => {
                self.last_error = Some(reason.clone());
                self.shrink_or_reject(store, &ids, &reason, &mut step).await?;
            }
            Outcome::Retry { after_ms, reason } => {
                self.failures += 1;
                self.last_error = Some(reason);
                let wait = backoff_ms(self.failures, jitter);
                step.retry_in_ms = Some(after_ms.map_or(wait, |a| a.max(wait)));
            }
        }
        Ok(step)
    }

    async fn shrink_or_reject(&mut self, store: &Store, ids: &[String], reason: &str, step: &mut Step) -> Result<(), StoreError> {
        if ids.len() > 1 {
            self.batch_size = (ids.len() / 2).max(1);
        } else {
            store.set_state(ids, UploadState::Rejected, Some(reason)).await?;
            step.rejected += 1;
        }
        Ok(())
    }
}
