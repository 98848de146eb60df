//! The latency models the server bundles (`GET /api/v1/models`, then each file's `url`),
//! loaded into [`Model`]s, and their order on the page: the model trained on a device like
//! this browser's adapter first, then the others in the server's order.

use std::sync::Arc;

use serde::Deserialize;

use crate::measure::AdapterInfo;
use crate::predict::{Model, Predictor};

/// The server's list of model files.
pub const MODELS_URL: &str = "/api/v1/models";

#[derive(Clone, Debug, Deserialize)]
struct Listing {
    models: Vec<Entry>,
}

#[derive(Clone, Debug, Deserialize)]
struct Entry {
    name: String,
    url: String,
}

/// One bundled model file: loaded, or the reason it could not be.
#[derive(Clone)]
pub struct Bundled {
    pub name: String,
    pub url: String,
    pub model: Result<Arc<Model>, String>,
    /// The raw file, for handing to a worker.
    pub bytes: Arc<Vec<u8>>,
}

impl Bundled {
    /// The device the model was trained on, or "" if it did not load.
    pub fn device(&self) -> &str {
        self.model.as_ref().map(|m| m.file.training.device.as_str()).unwrap_or("")
    }

    /// Whether the model is the FLOPs baseline (a line in MACs).
    pub fn is_flops(&self) -> bool {
        self.model.as_ref().is_ok_and(|m| matches!(m.file.predictor, Predictor::Flops { .. }))
    }
}

async fn get_bytes(url: &str) -> Result<Vec<u8>, String> {
    let resp = gloo_net::http::Request::get(url).send().await.map_err(|e| format!("could not fetch {url}: {e}"))?;
    if !resp.ok() {
        return Err(format!("could not fetch {url}: HTTP {}", resp.status()));
    }
    resp.binary().await.map_err(|e| format!("could not read {url}: {e}"))
}

/// Fetches the list and every model in it. A model that fails to load is kept with its
/// error (the page shows it); the list itself failing is an error.
pub async fn load_all() -> Result<Vec<Bundled>, String> {
    let bytes = get_bytes(MODELS_URL).await?;
    let listing: Listing = serde_json::from_slice(&bytes).map_err(|e| format!("{MODELS_URL} is not a model list: {e}"))?;
    let mut out = Vec::with_capacity(listing.models.len());
    for e in listing.models {
        let (model, bytes) = match get_bytes(&e.url).await {
            Ok(b) => (Model::from_json_bytes(&b).map(Arc::new).map_err(|err| format!("{}: {err}", e.name)), b),
            Err(err) => (Err(err), Vec::new()),
        };
        out.push(Bundled { name: e.name, url: e.url, model, bytes: Arc::new(bytes) });
    }
    Ok(out)
}

/// Words that say nothing about which device it is.
const GENERIC: [&str; 10] = ["device", "gpu", "graphics", "corporation", "inc", "the", "adapter", "vulkan", "webgpu", "driver"];

/// The distinctive words of the adapter's vendor, architecture, device and description
/// (lower case, at least three characters).
fn adapter_words(a: &AdapterInfo) -> Vec<String> {
    let mut words: Vec<String> = [&a.vendor, &a.architecture, &a.device, &a.description]
        .iter()
        .flat_map(|s| s.split(|c: char| !c.is_ascii_alphanumeric()))
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| w.len() >= 3 && !GENERIC.contains(&w.as_str()) && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    words.sort();
    words.dedup();
    words
}

/// How well a model's training device matches the adapter: the number of the adapter's
/// distinctive words found in the model's device key.
pub fn match_score(adapter: &AdapterInfo, model_device: &str) -> usize {
    let device = model_device.to_ascii_lowercase();
    let device_words: Vec<&str> = device.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    adapter_words(adapter).iter().filter(|w| device_words.contains(&w.as_str())).count()
}

/// The order to show models in: best match to `adapter` first (ties and no adapter keep the
/// given order). Returns indices into `devices`.
pub fn order(adapter: Option<&AdapterInfo>, devices: &[&str]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..devices.len()).collect();
    if let Some(a) = adapter {
        idx.sort_by_key(|&i| std::cmp::Reverse(match_score(a, devices[i])));
    }
    idx
}
