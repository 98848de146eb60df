//! `GET /api/v1/models` (bundled model files, then learned device models, with metadata) and
//! `GET /api/v1/models/learned/{name}` (a learned model's file). Bundled files are served
//! by the static `/models/` route.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::measure::AdapterInfo;
use crate::predict::TrainingInfo;

use super::app::AppState;
use super::error::{codes, ApiError};
use super::learned_store::{OutcomeRow, Status};

/// One model offered to the app (the contract in docs/collector.md).
#[derive(Serialize)]
pub struct Entry {
    /// Unique id: the file name without `.json` (bundled), or `learned-<12 hex>`.
    pub name: String,
    /// Where the app fetches the model file.
    pub url: String,
    /// `bundled` or `learned`.
    pub kind: &'static str,
    /// The model's device key (`training.device`); null for a bundled file that is not a model.
    pub device: Option<String>,
    pub adapter: Option<AdapterInfo>,
    pub n_cells: Option<i64>,
    pub within_10: Option<f64>,
    pub eval_cells: i64,
    pub trained_unix_ms: Option<i64>,
    pub engine_version: Option<String>,
    /// Bundled only: the file name and size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Learned only: records trained on and how the model was chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

#[derive(Serialize)]
pub struct Listing {
    pub models: Vec<Entry>,
}

/// The part of a model file the listing needs.
#[derive(Deserialize)]
struct Head {
    training: TrainingInfo,
}

/// Whether `name` is a safe file or model name ([A-Za-z0-9._-], not empty).
fn safe_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn bundled_entry(file: String, bytes: &[u8], len: u64) -> Option<Entry> {
    let name = file.strip_suffix(".json")?.to_string();
    if name.is_empty() || !safe_name(&file) {
        return None;
    }
    let training = serde_json::from_slice::<Head>(bytes).ok().map(|h| h.training);
    Some(Entry {
        url: format!("/models/{file}"),
        name,
        kind: "bundled",
        device: training.as_ref().map(|t| t.device.clone()),
        adapter: None,
        n_cells: training.as_ref().map(|t| t.n_cells as i64),
        within_10: None,
        eval_cells: 0,
        trained_unix_ms: None,
        engine_version: None,
        file: Some(file),
        bytes: Some(len),
        records: None,
        method: None,
    })
}

/// The `*.json` files of the models directory, by name (none when it does not exist).
async fn bundled(dir: &std::path::Path) -> Result<Vec<Entry>, ApiError> {
    let mut out = Vec::new();
    let mut rd = match tokio::fs::read_dir(dir).await {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(ApiError::internal(format!("reading the models directory: {e}"))),
    };
    while let Some(entry) = rd.next_entry().await.map_err(|e| ApiError::internal(format!("reading the models directory: {e}")))? {
        let file = entry.file_name().to_string_lossy().into_owned();
        let meta = entry.metadata().await.map_err(|e| ApiError::internal(format!("reading {file}: {e}")))?;
        if !meta.is_file() || !file.ends_with(".json") {
            continue;
        }
        let bytes = tokio::fs::read(entry.path()).await.map_err(|e| ApiError::internal(format!("reading {file}: {e}")))?;
        out.extend(bundled_entry(file, &bytes, meta.len()));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn learned_entry(r: OutcomeRow) -> Entry {
    Entry {
        url: format!("/api/v1/models/learned/{}", r.name),
        name: r.name,
        kind: "learned",
        device: Some(r.device),
        adapter: Some(r.adapter),
        n_cells: Some(r.n_cells),
        within_10: r.within_10,
        eval_cells: r.eval_cells,
        trained_unix_ms: Some(r.trained_unix_ms),
        engine_version: (!r.engine_version.is_empty()).then_some(r.engine_version),
        file: None,
        bytes: None,
        records: Some(r.records),
        method: Some(r.method),
    }
}

/// `GET /api/v1/models`: bundled models (name order), then learned ones (name order).
pub async fn get_models(State(state): State<AppState>) -> Result<Json<Listing>, ApiError> {
    let mut models = bundled(state.models_dir.as_path()).await?;
    let outcomes = state.store.outcomes().await.map_err(ApiError::storage)?;
    models.extend(outcomes.into_iter().filter(|o| o.status == Status::Learned).map(learned_entry));
    Ok(Json(Listing { models }))
}

/// `GET /api/v1/models/learned/{name}`: the learned model's file.
pub async fn get_learned(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, ApiError> {
    let missing = || ApiError::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, format!("no learned model {name:?}; see /api/v1/models"));
    if !safe_name(&name) {
        return Err(missing());
    }
    let json = state.store.learned_model(&name).await.map_err(ApiError::storage)?.ok_or_else(missing)?;
    let mut resp = json.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}
