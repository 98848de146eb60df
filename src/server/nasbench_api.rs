//! `GET /api/v1/nasbench`: the NAS-Bench-101 accuracy file the collector was started with
//! (`leti serve --nasbench nb101.bin`, written by `leti nasbench import`), checked once at
//! start-up and kept in memory; without one, 204 No Content (an empty answer rather than an
//! error, so a page that asks does not log a failed load). Explore and Draw fetch it when the
//! browser has not opened a file of its own.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::space::{Accuracies, NUM_UNIQUE_CELLS};

use super::app::AppState;

/// Reads and checks an accuracy file: its format, and that it covers the whole space.
pub fn load(path: &Path) -> anyhow::Result<Arc<Vec<u8>>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the accuracy file {}", path.display()))?;
    let acc = Accuracies::from_bytes(&bytes).with_context(|| format!("in {}", path.display()))?;
    anyhow::ensure!(
        acc.len() == NUM_UNIQUE_CELLS,
        "{} covers {} cells, not the whole space ({NUM_UNIQUE_CELLS}): write it with `leti nasbench import`",
        path.display(),
        acc.len()
    );
    Ok(Arc::new(bytes))
}

/// The file's bytes, or 204 without one.
pub async fn get_nasbench(State(state): State<AppState>) -> Response {
    let Some(bytes) = state.nasbench.clone() else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let mut resp = Vec::clone(&bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}
