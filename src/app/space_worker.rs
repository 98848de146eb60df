//! The page's side of the Explore Web Workers (`www/explore_worker.js`): a pool of module
//! workers, one per logical core (up to 6), each given one slice of the space; a request goes
//! to all of them at once and is awaited as one reply (the costs of every cell, one
//! model's predictions, or every cell's module hash), so the whole space is computed in parallel off the main thread.
//! The Measure page fits its device model in one more worker of the same script
//! ([`super::fit_worker`]).

use js_sys::{Array, Float32Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::space::ModuleHash;

/// Where the worker script is served.
pub const WORKER_URL: &str = "/explore_worker.js";

// A binding of the few `Worker` members used here (web-sys has them behind features this
// crate does not otherwise need).
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = Worker)]
    type JsWorker;
    #[wasm_bindgen(constructor, catch, js_class = "Worker")]
    fn new(url: &str, options: &JsValue) -> Result<JsWorker, JsValue>;
    #[wasm_bindgen(method, catch, js_name = postMessage)]
    fn post_message(this: &JsWorker, message: &JsValue, transfer: &Array) -> Result<(), JsValue>;
    #[wasm_bindgen(method, setter)]
    fn set_onmessage(this: &JsWorker, f: &JsValue);
    #[wasm_bindgen(method, setter)]
    fn set_onerror(this: &JsWorker, f: &JsValue);
    #[wasm_bindgen(method)]
    fn terminate(this: &JsWorker);
}

pub(super) fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(super) fn set(obj: &Object, key: &str, v: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), v);
}

/// One worker.
pub struct SpaceWorker {
    worker: JsWorker,
}

impl Drop for SpaceWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// The costs of every cell.
pub struct Costs {
    pub macs: Vec<f32>,
    pub params: Vec<f32>,
    /// How long the slowest worker took (ms).
    pub ms: f64,
}

/// One model's predictions for every cell.
pub struct Predicted {
    pub latency_ms: Vec<f32>,
    /// How long the slowest worker took to predict its slice (ms).
    pub ms: f64,
}

impl SpaceWorker {
    pub fn start() -> Result<SpaceWorker, String> {
        let opts = Object::new();
        set(&opts, "type", &JsValue::from_str("module"));
        set(&opts, "name", &JsValue::from_str("leti-explore"));
        JsWorker::new(WORKER_URL, &opts)
            .map(|worker| SpaceWorker { worker })
            .map_err(|e| format!("could not start the worker: {}", super::webgpu_check::js_message(&e)))
    }

    /// Sends `message` now and returns the promise of the reply (rejected if the worker
    /// fails to load or crashes).
    pub(super) fn request(&self, message: &Object) -> Result<Promise, String> {
        let worker = &self.worker;
        let promise = Promise::new(&mut |resolve, reject| {
            let on_message = Closure::once_into_js(move |e: web_sys::MessageEvent| {
                let _ = resolve.call1(&JsValue::NULL, &e.data());
            });
            let on_error = Closure::once_into_js(move |e: JsValue| {
                let msg = get(&e, "message").as_string().filter(|m| !m.is_empty()).unwrap_or_else(|| format!("{WORKER_URL} failed to load or crashed"));
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str(&msg));
            });
            worker.set_onmessage(&on_message);
            worker.set_onerror(&on_error);
        });
        worker.post_message(message, &Array::new()).map_err(|e| super::webgpu_check::js_message(&e))?;
        Ok(promise)
    }
}

/// Starts `n` workers.
pub fn start_pool(n: usize) -> Result<Vec<SpaceWorker>, String> {
    (0..n.max(1)).map(|_| SpaceWorker::start()).collect()
}

/// How many workers to use: the browser's logical cores, at least 1, at most 6.
pub fn pool_size() -> usize {
    web_sys::window().map(|w| w.navigator().hardware_concurrency() as usize).unwrap_or(1).clamp(1, 6)
}

/// Sends one request to each worker (`messages[i]` to `workers[i]`) and waits for all
/// replies, in order; an error reply from any worker is the error.
async fn all(workers: &[SpaceWorker], messages: Vec<Object>) -> Result<Vec<JsValue>, String> {
    let promises = Array::new();
    for (w, m) in workers.iter().zip(&messages) {
        promises.push(&w.request(m)?.into());
    }
    let replies = JsFuture::from(Promise::all(&promises)).await.map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))?;
    let replies: Vec<JsValue> = Array::from(&replies).iter().collect();
    for r in &replies {
        if get(r, "kind").as_string().as_deref() == Some("error") {
            return Err(get(r, "message").as_string().unwrap_or_default());
        }
    }
    Ok(replies)
}

fn floats(r: &JsValue, k: &str) -> Result<Vec<f32>, String> {
    get(r, k).dyn_into::<Float32Array>().map(|a| a.to_vec()).map_err(|_| format!("the worker's reply has no {k}"))
}

fn slowest(replies: &[JsValue]) -> f64 {
    replies.iter().map(|r| get(r, "ms").as_f64().unwrap_or(f64::NAN)).fold(0.0, f64::max)
}

/// MACs and parameters of every cell of `chunks` (packed spaces, one per worker, in order).
pub async fn costs(workers: &[SpaceWorker], chunks: &[Vec<u8>]) -> Result<Costs, String> {
    let messages = chunks.iter().map(|c| space_message("costs", c)).collect();
    let replies = all(workers, messages).await?;
    let mut out = Costs { macs: Vec::new(), params: Vec::new(), ms: slowest(&replies) };
    for r in &replies {
        out.macs.extend(floats(r, "macs")?);
        out.params.extend(floats(r, "params")?);
    }
    Ok(out)
}

/// The module hash of every cell of `chunks`, the chunks in parallel, and how long the slowest
/// worker took (ms).
pub async fn hashes(workers: &[SpaceWorker], chunks: &[Vec<u8>]) -> Result<(Vec<ModuleHash>, f64), String> {
    let messages = chunks.iter().map(|c| space_message("hashes", c)).collect();
    let replies = all(workers, messages).await?;
    let mut out = Vec::new();
    for r in &replies {
        let bytes = get(r, "hashes").dyn_into::<Uint8Array>().map(|a| a.to_vec()).map_err(|_| "the worker's reply has no hashes".to_string())?;
        out.extend(bytes.chunks_exact(16).map(|h| ModuleHash(h.try_into().expect("chunks of 16"))));
    }
    Ok((out, slowest(&replies)))
}

/// A request of `kind` about one packed slice of the space.
fn space_message(kind: &str, space: &[u8]) -> Object {
    let msg = Object::new();
    set(&msg, "kind", &JsValue::from_str(kind));
    set(&msg, "space", &Uint8Array::from(space).buffer());
    msg
}

/// Every cell of `chunks` predicted by the model file `model`, the chunks in parallel.
pub async fn predict(workers: &[SpaceWorker], model: &[u8], chunks: &[Vec<u8>]) -> Result<Predicted, String> {
    let messages = chunks
        .iter()
        .map(|c| {
            let msg = space_message("predict", c);
            set(&msg, "model", &Uint8Array::from(model).buffer());
            msg
        })
        .collect();
    let replies = all(workers, messages).await?;
    let mut out = Predicted { latency_ms: Vec::new(), ms: slowest(&replies) };
    for r in &replies {
        out.latency_ms.extend(floats(r, "latency")?);
    }
    Ok(out)
}
