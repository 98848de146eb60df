//! The versioned JSON API (`/api/v1/...`) and `/healthz`. Handlers only read and append:
//! there is no endpoint that edits or deletes data.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use super::app::AppState;
use super::error::{codes, ApiError};
use super::export::{export_stream, Format};
use super::learned_store::LearningState;
use super::storage::{Inserted, Row, StoreError};
use super::validate::check_records;

pub use crate::engine::unix_ms as now_unix_ms;

/// The reply to an accepted batch, sent only after the transaction committed.
#[derive(Serialize)]
pub struct Accepted {
    /// Records in the batch (all of them are now stored).
    pub accepted: usize,
    #[serde(flatten)]
    pub inserted: Inserted,
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// `POST /api/v1/measurements` with `{"records": [MeasurementRecord, ...]}`.
///
/// Policy: a batch is stored whole or not at all. If any record is invalid the response is
/// 422 `invalid_records` listing every invalid record (index, id, code, message) and nothing is
/// written; the client drops or fixes those and resends. Records whose id is stored already
/// with the same content are counted as duplicates (a retry is harmless); an id stored with
/// different content makes the whole batch fail with 409 `id_conflict`.
pub async fn post_measurements(State(state): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Json<Accepted>, ApiError> {
    if !is_json(&headers) {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, codes::UNSUPPORTED_MEDIA_TYPE, "send the batch with Content-Type: application/json"));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::BODY_TOO_LARGE,
                format!("the body is larger than {} bytes; send fewer records per batch", state.limits.max_body_bytes),
            )
        } else {
            ApiError::bad_request(codes::BAD_BATCH, format!("could not read the body: {e}"))
        }
    })?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(codes::BAD_JSON, format!("the body is not valid JSON: {e}")))?;
    let records = value
        .as_object()
        .and_then(|o| o.get("records"))
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request(codes::BAD_BATCH, "the body must be an object {\"records\": [...]}"))?;
    if records.is_empty() {
        return Err(ApiError::bad_request(codes::EMPTY_BATCH, "records is empty; send at least one record"));
    }
    if records.len() > state.limits.max_batch {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::BATCH_TOO_LARGE,
            format!("the batch has {} records; at most {} are accepted at once", records.len(), state.limits.max_batch),
        ));
    }
    let now = now_unix_ms();
    let good = check_records(records, now).map_err(|errors| ApiError::invalid_records(errors, records.len()))?;
    let rows: Vec<Row> = good.iter().map(|r| Row::new(r, now)).collect();
    match state.store.insert(&rows).await {
        Ok(inserted) => Ok(Json(Accepted { accepted: rows.len(), inserted })),
        Err(StoreError::Conflict(ids)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            codes::ID_CONFLICT,
            format!("these ids are already stored with different content (ids must be unique per measurement); nothing was stored: {}", ids.join(", ")),
        )),
        Err(e) => Err(ApiError::storage(e)),
    }
}

/// `GET /api/v1/devices`, each with its latest learning outcome (learned, refused and why, waiting).
pub async fn get_devices(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut devices = state.store.devices().await.map_err(ApiError::storage)?;
    let outcomes: HashMap<String, LearningState> =
        state.store.outcomes().await.map_err(ApiError::storage)?.into_iter().map(|o| (o.device_key.clone(), o.state())).collect();
    for d in &mut devices {
        d.learning = outcomes.get(&d.key).cloned();
    }
    Ok(Json(serde_json::json!({ "devices": devices })).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    device: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/measurements?device=KEY&format=jsonl|csv`: a streamed export.
pub async fn get_measurements(State(state): State<AppState>, query: Result<Query<ExportQuery>, QueryRejection>) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::BAD_QUERY, format!("{e}; accepted parameters: device, format")))?;
    let format = match q.format.as_deref() {
        None => Format::Jsonl,
        Some(f) => Format::parse(f).ok_or_else(|| ApiError::bad_request(codes::BAD_QUERY, format!("format {f:?} is not one of jsonl, csv")))?,
    };
    if let Some(d) = &q.device {
        if d.len() != 16 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::bad_request(codes::BAD_QUERY, "device must be a key from /api/v1/devices (16 hex digits)"));
        }
    }
    // Fail before the 200 is sent if the database is down.
    state.store.ping().await.map_err(ApiError::storage)?;
    let stream = export_stream(state.store.clone(), q.device, format);
    let mut resp = Body::from_stream(stream).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let disposition = format!("attachment; filename=\"leti-measurements.{}\"", format.extension());
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ASCII header"));
    Ok(resp)
}

/// `GET /healthz`: 200 when the database answers.
pub async fn healthz(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.store.ping().await.map_err(ApiError::storage)?;
    Ok(Json(serde_json::json!({ "status": "ok", "database": state.store.kind() })).into_response())
}

/// Unknown API paths.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        "no such endpoint; see /api/v1/measurements, /api/v1/devices, /api/v1/models, /api/v1/models/learned/NAME, /api/v1/nasbench, /healthz",
    )
}

/// Known paths with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, codes::METHOD_NOT_ALLOWED, "this endpoint does not accept that method")
}
