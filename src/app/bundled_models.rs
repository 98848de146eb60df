//! The latency models the server lists (`GET /api/v1/models`, then each file's `url`): the
//! bundled models of known devices and the models the collector learned from contributed
//! devices, loaded into [`Model`]s, and their order on the page ([`page_order`]): this
//! device's own model first (fitted in this browser, see [`super::device_model`]); without
//! one, a model learned on another device with this browser's GPU; else the model trained on
//! a device like this browser's adapter, then the others in the server's order.

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
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    adapter: Option<AdapterInfo>,
    #[serde(default)]
    n_cells: Option<u64>,
    #[serde(default)]
    within_10: Option<f64>,
    #[serde(default)]
    eval_cells: u64,
}

/// Where a model on the page comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// Bundled with the server (`trained/`): a known device's model.
    Bundled,
    /// Learned by the collector from a contributed device's records.
    Learned,
    /// This device's own model, fitted in this browser.
    Own,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Bundled => "bundled",
            ModelKind::Learned => "learned",
            ModelKind::Own => "own",
        }
    }

    fn parse(s: Option<&str>) -> ModelKind {
        if s == Some("learned") {
            ModelKind::Learned
        } else {
            ModelKind::Bundled
        }
    }
}

/// One listed model file: loaded, or the reason it could not be.
#[derive(Clone)]
pub struct Bundled {
    pub name: String,
    pub url: String,
    pub model: Result<Arc<Model>, String>,
    /// The raw file, for handing to a worker.
    pub bytes: Arc<Vec<u8>>,
    pub kind: ModelKind,
    /// The adapter the model was learned on (learned models; `None` for most bundled ones).
    pub adapter: Option<AdapterInfo>,
    /// Distinct cells trained on, as listed.
    pub n_cells: Option<u64>,
    /// Share of held-out cells within ±10% (learned: that device's held-out cells; own: cells
    /// measured after the fit), and how many cells it is over.
    pub within_10: Option<f64>,
    pub eval_cells: u64,
}

impl Bundled {
    /// The device the model was trained on, or "" if it did not load.
    pub fn device(&self) -> &str {
        self.model.as_ref().map(|m| m.file.training.device.as_str()).unwrap_or("")
    }

    /// The device in plain words: its device key up to the backend (`NVIDIA H200`,
    /// `SwiftShader Device (Subzero)`), else the model's name.
    pub fn device_name(&self) -> String {
        let d = self.device();
        let plain = d.split(" [").next().unwrap_or("").trim();
        if plain.is_empty() {
            self.name.clone()
        } else {
            plain.to_string()
        }
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
        let kind = ModelKind::parse(e.kind.as_deref());
        out.push(Bundled {
            name: e.name,
            url: e.url,
            model,
            bytes: Arc::new(bytes),
            kind,
            adapter: e.adapter,
            n_cells: e.n_cells,
            within_10: e.within_10,
            eval_cells: e.eval_cells,
        });
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

/// Whether two adapters are the same GPU: vendor, architecture, device, description and
/// backend all equal (the driver and the contributor's label may differ).
pub fn same_gpu(a: &AdapterInfo, b: &AdapterInfo) -> bool {
    (&a.vendor, &a.architecture, &a.device, &a.description, &a.backend) == (&b.vendor, &b.architecture, &b.device, &b.description, &b.backend)
}

/// The learned model for this browser's GPU: a loaded `Learned` entry whose adapter is the
/// same GPU; with a device label, one whose device key carries that label is preferred, then
/// the one learned from the most cells.
pub fn learned_for<'a>(models: &'a [Bundled], adapter: &AdapterInfo, label: &str) -> Option<&'a Bundled> {
    let tag = format!("({})", label.trim());
    models
        .iter()
        .filter(|m| m.kind == ModelKind::Learned && m.model.is_ok() && m.adapter.as_ref().is_some_and(|a| same_gpu(a, adapter)))
        .max_by_key(|m| (!label.trim().is_empty() && m.device().ends_with(&tag), m.n_cells.unwrap_or(0)))
}

/// The models in page order, and whether the first is this device's: its own model when
/// there is one; else the learned model of this GPU ([`learned_for`]); then the rest in
/// [`order`] (best name match to the adapter first). Without either, the first is this
/// device's when its device key matches the adapter ([`match_score`] above 0).
pub fn page_order(models: &[Bundled], own: Option<Bundled>, adapter: Option<&AdapterInfo>, label: &str) -> (Vec<Bundled>, bool) {
    let first = own.or_else(|| adapter.and_then(|a| learned_for(models, a, label)).cloned());
    let rest: Vec<&Bundled> = models.iter().filter(|m| first.as_ref().is_none_or(|f| f.name != m.name)).collect();
    let devices: Vec<&str> = rest.iter().map(|m| m.device()).collect();
    let ordered = order(adapter, &devices).into_iter().map(|i| rest[i].clone());
    match first {
        Some(f) => (std::iter::once(f).chain(ordered).collect(), true),
        None => {
            let list: Vec<Bundled> = ordered.collect();
            let here = adapter.is_some_and(|a| list.first().is_some_and(|m| match_score(a, m.device()) > 0));
            (list, here)
        }
    }
}

/// What the page says about a model listed first as this device's: its measured accuracy.
pub fn here_note(m: &Bundled) -> String {
    let pct = |w: f64| format!("{:.0}%", w * 100.0);
    match (m.kind, m.within_10) {
        (ModelKind::Own, Some(w)) => format!(
            "your GPU's own model, learned in this browser from {} cells; {} of the {} cells measured after it was fitted were within ±10%",
            m.n_cells.unwrap_or(0),
            pct(w),
            m.eval_cells
        ),
        (ModelKind::Own, None) => {
            format!("your GPU's own model, learned in this browser from {} cells; its accuracy appears as more cells are measured", m.n_cells.unwrap_or(0))
        }
        (ModelKind::Learned, Some(w)) => format!(
            "learned from {} cells measured on another device with this GPU ({} within ±10% on its {} held-out cells)",
            m.n_cells.unwrap_or(0),
            pct(w),
            m.eval_cells
        ),
        (ModelKind::Learned, None) => format!("learned from {} cells measured on another device with this GPU (no held-out cells yet)", m.n_cells.unwrap_or(0)),
        (ModelKind::Bundled, _) => "trained on a device like this one".to_string(),
    }
}
