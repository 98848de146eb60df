//! API errors: every error response is JSON `{"code", "message"}` (plus `errors`, the
//! per-record reasons, where a batch was rejected). Codes are stable strings clients may
//! match on; 4xx means the request was at fault, 5xx means the server was.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Why one record of a batch (or one line of an import) was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// Position of the record in the batch (0-based) or line in the file (1-based, imports).
    pub index: usize,
    /// The record's id when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A stable code: see [`codes`].
    pub code: &'static str,
    pub message: String,
}

/// The stable error codes of the API.
pub mod codes {
    /// 400: the body is not JSON.
    pub const BAD_JSON: &str = "bad_json";
    /// 400: the body is JSON but not `{"records": [...]}`.
    pub const BAD_BATCH: &str = "bad_batch";
    /// 400: `records` is empty.
    pub const EMPTY_BATCH: &str = "empty_batch";
    /// 413: more records than the batch limit.
    pub const BATCH_TOO_LARGE: &str = "batch_too_large";
    /// 413: the body is larger than the body limit.
    pub const BODY_TOO_LARGE: &str = "body_too_large";
    /// 415: the content type is not `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// 422: one or more records are invalid; `errors` lists each with its own code.
    pub const INVALID_RECORDS: &str = "invalid_records";
    /// 409: a record id is already stored with different content.
    pub const ID_CONFLICT: &str = "id_conflict";
    /// 400: bad query parameters.
    pub const BAD_QUERY: &str = "bad_query";
    /// 404: no such endpoint.
    pub const NOT_FOUND: &str = "not_found";
    /// 405: the endpoint exists but not for this method.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// 429: too many requests from this client; see `Retry-After`.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 503: the request took longer than the server's time limit.
    pub const TIMEOUT: &str = "timeout";
    /// 503: the database could not be reached or failed.
    pub const STORAGE_UNAVAILABLE: &str = "storage_unavailable";
    /// 500: anything else that is the server's fault.
    pub const INTERNAL: &str = "internal";

    // Per-record codes (inside `errors` of an `invalid_records` response).
    /// The record is not a JSON object.
    pub const NOT_AN_OBJECT: &str = "not_an_object";
    /// `schema_version` is missing or not one this server knows.
    pub const SCHEMA_VERSION: &str = "unsupported_schema_version";
    /// A field is missing or has the wrong type.
    pub const BAD_FIELD: &str = "bad_field";
    /// The id is not a lowercase hyphenated UUID.
    pub const BAD_ID: &str = "bad_id";
    /// Two records of the batch share an id.
    pub const DUPLICATE_ID: &str = "duplicate_id";
    /// The cell is not a valid NAS-Bench-101 cell.
    pub const INVALID_CELL: &str = "invalid_cell";
    /// The cell is valid but not in its pruned form.
    pub const CELL_NOT_PRUNED: &str = "cell_not_pruned";
    /// The hash sent is not the module hash of the cell.
    pub const HASH_MISMATCH: &str = "hash_mismatch";
    /// The network configuration is outside the supported bounds.
    pub const BAD_NETWORK: &str = "bad_network";
    /// Timing statistics are not finite, positive, ordered or within bounds.
    pub const BAD_STATS: &str = "bad_stats";
    /// Per-layer times do not match the cell's network.
    pub const BAD_LAYERS: &str = "bad_layers";
    /// A string is too long or contains control characters.
    pub const BAD_STRING: &str = "bad_string";
    /// A count, time or ratio is outside its bounds.
    pub const OUT_OF_RANGE: &str = "out_of_range";
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub errors: Vec<RecordError>,
    pub retry_after_s: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[RecordError]>::is_empty")]
    errors: &'a [RecordError],
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), errors: Vec::new(), retry_after_s: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn invalid_records(errors: Vec<RecordError>, batch_len: usize) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_RECORDS,
            format!("{} of {} records are invalid; nothing was stored (fix or drop them and send the batch again)", errors.len(), batch_len),
        );
        e.errors = errors;
        e
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, message)
    }

    pub fn storage(err: impl std::fmt::Display) -> ApiError {
        tracing::error!("storage error: {err}");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, codes::STORAGE_UNAVAILABLE, "the database failed; nothing was stored, try again later")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { code: self.code, message: &self.message, errors: &self.errors };
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}
