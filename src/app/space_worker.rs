//! The page's side of the Explore Web Worker (`www/explore_worker.js`): starts the module
//! worker and turns one request into one awaited reply (the costs of every cell, or one
//! model's predictions). Each worker answers one request at a time; the page keeps two, so
//! costs and predictions are computed in parallel.

use js_sys::{Array, Float32Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

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

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(obj: &Object, key: &str, v: &JsValue) {
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
    /// How long the worker took (ms).
    pub ms: f64,
}

/// One model's predictions for every cell.
pub struct Predicted {
    pub latency_ms: Vec<f32>,
    /// How long the prediction took in the worker (ms).
    pub ms: f64,
}

impl SpaceWorker {
    pub fn start() -> Result<SpaceWorker, String> {
        let opts = Object::new();
        set(&opts, "type", &JsValue::from_str("module"));
        set(&opts, "name", &JsValue::from_str("leti-explore"));
        JsWorker::new(WORKER_URL, &opts).map(|worker| SpaceWorker { worker }).map_err(|e| format!("could not start the worker: {}", super::webgpu_check::js_message(&e)))
    }

    /// Sends `message` and waits for the reply (an `{kind: "error"}` reply or a failing
    /// worker become `Err`).
    async fn call(&self, message: &Object) -> Result<JsValue, String> {
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
        let reply = JsFuture::from(promise).await.map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))?;
        if get(&reply, "kind").as_string().as_deref() == Some("error") {
            return Err(get(&reply, "message").as_string().unwrap_or_default());
        }
        Ok(reply)
    }

    /// MACs and parameters of every cell of the packed space.
    pub async fn costs(&self, space: &[u8]) -> Result<Costs, String> {
        let msg = Object::new();
        set(&msg, "kind", &JsValue::from_str("costs"));
        set(&msg, "space", &Uint8Array::from(space).buffer());
        let r = self.call(&msg).await?;
        let arr = |k: &str| get(&r, k).dyn_into::<Float32Array>().map(|a| a.to_vec()).map_err(|_| format!("the worker's reply has no {k}"));
        Ok(Costs { macs: arr("macs")?, params: arr("params")?, ms: get(&r, "ms").as_f64().unwrap_or(f64::NAN) })
    }

    /// Every cell's predicted latency by the model file `model`.
    pub async fn predict(&self, model: &[u8], space: &[u8]) -> Result<Predicted, String> {
        let msg = Object::new();
        set(&msg, "kind", &JsValue::from_str("predict"));
        set(&msg, "model", &Uint8Array::from(model).buffer());
        set(&msg, "space", &Uint8Array::from(space).buffer());
        let r = self.call(&msg).await?;
        let latency = get(&r, "latency").dyn_into::<Float32Array>().map(|a| a.to_vec()).map_err(|_| "the worker's reply has no predictions".to_string())?;
        Ok(Predicted { latency_ms: latency, ms: get(&r, "ms").as_f64().unwrap_or(f64::NAN) })
    }
}
