//! Fitting this device's model off the page's main thread, so a refit after each measured
//! cell never runs while the engine times the next one: the request (the device's `(cell, ms)`
//! pairs) and the reply (the model file) as JSON, [`fit_device_model`] (what the worker,
//! `www/explore_worker.js`, calls: `predict::fit_device` on the wall-clock target) and
//! [`fit_in_worker`] (the page's side).

use std::sync::Arc;

use js_sys::{Array, Object, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::space_worker::{get, set, SpaceWorker};
use crate::net::Precision;
use crate::predict::{fit_device, Model, Target};
use crate::space::{Cell, CellSpec};

/// What to fit: the device key and its distinct cells with one latency each (wall ms).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FitRequest {
    pub device: String,
    /// The precision the device's records ran at, which the model file states.
    #[serde(default)]
    pub precision: Precision,
    pub pairs: Vec<(CellSpec, f64)>,
}

impl FitRequest {
    pub fn new(device: &str, precision: Precision, pairs: &[(Cell, f64)]) -> FitRequest {
        FitRequest { device: device.to_string(), precision, pairs: pairs.iter().map(|(c, ms)| (c.to_spec(), *ms)).collect() }
    }
}

/// The fitted model file and how it was chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReply {
    /// `Model::to_json`: what `leti predict --model` reads.
    pub model_json: String,
    /// Distinct cells fitted on.
    pub n_cells: usize,
    pub method: String,
    /// Cross-validated on the training cells: an in-sample estimate, not the prospective
    /// accuracy.
    pub cv_within_10: Option<f64>,
}

/// Fits the request's pairs with `sources` (known devices' models).
pub fn fit_request(request: &FitRequest, sources: &[Model]) -> Result<FitReply, String> {
    let pairs =
        request.pairs.iter().map(|(spec, ms)| spec.validate().map(|c| (c, *ms)).map_err(|e| format!("invalid cell: {e}"))).collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&Model> = sources.iter().collect();
    let mut fit = fit_device(&pairs, &refs, &request.device, Target::WallMedianMs).map_err(|e| e.to_string())?;
    fit.model.set_precision(request.precision);
    Ok(FitReply { model_json: fit.model.to_json(), n_cells: pairs.len(), method: fit.method, cv_within_10: fit.cv_within_10 })
}

/// The worker's entry point: `request` is a [`FitRequest`] as JSON, `sources` an array of
/// model files (`Uint8Array`s); returns the [`FitReply`] as JSON.
#[wasm_bindgen]
pub fn fit_device_model(request: &str, sources: Array) -> Result<String, JsError> {
    let request: FitRequest = serde_json::from_str(request).map_err(|e| JsError::new(&format!("fit request: {e}")))?;
    let models = sources
        .iter()
        .map(|b| Model::from_json_bytes(&Uint8Array::new(&b).to_vec()).map_err(|e| JsError::new(&format!("source model: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let reply = fit_request(&request, &models).map_err(|e| JsError::new(&e))?;
    serde_json::to_string(&reply).map_err(|e| JsError::new(&e.to_string()))
}

/// Sends one fit to `worker` and waits for its reply.
pub async fn fit_in_worker(worker: &SpaceWorker, request: &FitRequest, sources: &[Arc<Vec<u8>>]) -> Result<FitReply, String> {
    let msg = Object::new();
    set(&msg, "kind", &JsValue::from_str("fit"));
    set(&msg, "request", &JsValue::from_str(&serde_json::to_string(request).map_err(|e| e.to_string())?));
    let files = Array::new();
    for s in sources {
        files.push(&Uint8Array::from(s.as_slice()).buffer());
    }
    set(&msg, "sources", &files);
    let reply = JsFuture::from(worker.request(&msg)?).await.map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))?;
    if get(&reply, "kind").as_string().as_deref() == Some("error") {
        return Err(get(&reply, "message").as_string().unwrap_or_default());
    }
    let json = get(&reply, "json").as_string().ok_or("the worker's reply has no model")?;
    serde_json::from_str(&json).map_err(|e| format!("the worker's reply is not a fit: {e}"))
}
