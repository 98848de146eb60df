//! Finds out whether this browser can measure: a secure context, the WebGPU API, an adapter;
//! and, when it can, what the adapter is (vendor, architecture, device, description), the
//! limits that matter for our networks and whether it has timestamp queries and `shader-f16`. Reads the
//! browser's own `GPUAdapter` so it works before (and without) the engine. Where the browser
//! offers no core adapter, it asks for a compatibility-mode one (phones whose driver has
//! OpenGL ES only) and says whether its limits would fit the kernels.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::measure::AdapterInfo;

/// The limits the engine's networks depend on.
pub const LIMITS: [(&str, &str); 6] = [
    ("maxBufferSize", "largest buffer"),
    ("maxStorageBufferBindingSize", "largest storage binding"),
    ("maxComputeWorkgroupStorageSize", "workgroup memory"),
    ("maxComputeInvocationsPerWorkgroup", "threads per workgroup"),
    ("maxComputeWorkgroupSizeX", "workgroup width"),
    ("maxStorageBuffersPerShaderStage", "storage buffers per shader"),
];

/// What the kernels need of an adapter's limits, whatever the tier: the storage buffers a
/// kernel binds (the arena and its weights) and the largest storage binding a network of the
/// space needs (a 512x512 3x3 convolution's weights, 9.0 MiB; `tests/properties.rs`).
pub const NEEDS: [(&str, f64); 2] = [("maxStorageBuffersPerShaderStage", 2.0), ("maxStorageBufferBindingSize", 9_437_184.0)];

/// What the browser offers.
#[derive(Clone, Debug, PartialEq)]
pub enum WebGpuStatus {
    /// Not a secure context: WebGPU is only exposed over HTTPS or on localhost.
    NotSecure {
        origin: String,
    },
    /// No `navigator.gpu`: the browser has no WebGPU (or it is switched off).
    NoApi,
    /// `requestAdapter()` gave nothing (blocklisted GPU, disabled hardware acceleration, ...).
    NoAdapter {
        detail: String,
    },
    /// Only a compatibility-mode adapter (`featureLevel: "compatibility"`): what its limits lack
    /// for the kernels (nothing when they would fit).
    CompatibilityOnly {
        shortfalls: Vec<String>,
    },
    Ready(Adapter),
}

/// The adapter found, as shown to the user and stored with each record.
#[derive(Clone, Debug, PartialEq)]
pub struct Adapter {
    pub info: AdapterInfo,
    pub timestamp_query: bool,
    /// Whether it has `shader-f16` (then the engine measures at f16 by default).
    pub shader_f16: bool,
    pub is_fallback: bool,
    /// `(name, description, value)` of each of [`LIMITS`].
    pub limits: Vec<(&'static str, &'static str, f64)>,
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_str(obj: &JsValue, key: &str) -> String {
    get(obj, key).as_string().unwrap_or_default()
}

/// Runs the checks in order and stops at the first that fails.
pub async fn check() -> WebGpuStatus {
    let Some(window) = web_sys::window() else {
        return WebGpuStatus::NoApi;
    };
    if !window.is_secure_context() {
        return WebGpuStatus::NotSecure { origin: window.location().origin().unwrap_or_default() };
    }
    let gpu = get(&window.navigator(), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return WebGpuStatus::NoApi;
    }
    let request = match get(&gpu, "requestAdapter").dyn_into::<js_sys::Function>() {
        Ok(f) => f,
        Err(_) => return WebGpuStatus::NoApi,
    };
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &JsValue::from_str("powerPreference"), &JsValue::from_str("high-performance"));
    let adapter = match request.call1(&gpu, &opts).map(|p| p.dyn_into::<js_sys::Promise>()) {
        Ok(Ok(p)) => JsFuture::from(p).await,
        _ => return WebGpuStatus::NoAdapter { detail: "requestAdapter() could not be called".into() },
    };
    let adapter = match adapter {
        Ok(a) if !a.is_null() && !a.is_undefined() => a,
        Ok(_) => {
            return match compatibility_adapter(&gpu, &request).await {
                Some(compat) => WebGpuStatus::CompatibilityOnly { shortfalls: shortfalls(&compat) },
                None => WebGpuStatus::NoAdapter { detail: "requestAdapter() returned no adapter".into() },
            }
        }
        Err(e) => return WebGpuStatus::NoAdapter { detail: format!("requestAdapter() failed: {}", js_message(&e)) },
    };
    let js_info = get(&adapter, "info");
    let info = AdapterInfo {
        vendor: get_str(&js_info, "vendor"),
        architecture: get_str(&js_info, "architecture"),
        device: get_str(&js_info, "device"),
        description: get_str(&js_info, "description"),
        backend: "webgpu".into(),
        driver: String::new(),
    };
    let features = get(&adapter, "features");
    let has = |name: &str| {
        get(&features, "has")
            .dyn_into::<js_sys::Function>()
            .ok()
            .and_then(|has| has.call1(&features, &JsValue::from_str(name)).ok())
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let (timestamp_query, shader_f16) = (has("timestamp-query"), has("shader-f16"));
    let limits_obj = get(&adapter, "limits");
    let limits = LIMITS.iter().map(|(k, d)| (*k, *d, get(&limits_obj, k).as_f64().unwrap_or(f64::NAN))).collect();
    let is_fallback = get(&js_info, "isFallbackAdapter").as_bool().or_else(|| get(&adapter, "isFallbackAdapter").as_bool()).unwrap_or(false);
    WebGpuStatus::Ready(Adapter { info, timestamp_query, shader_f16, is_fallback, limits })
}

/// A compatibility-mode adapter, where the browser has one.
async fn compatibility_adapter(gpu: &JsValue, request: &js_sys::Function) -> Option<JsValue> {
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &JsValue::from_str("featureLevel"), &JsValue::from_str("compatibility")).ok()?;
    let promise: js_sys::Promise = request.call1(gpu, &opts).ok()?.dyn_into().ok()?;
    JsFuture::from(promise).await.ok().filter(|a| !a.is_null() && !a.is_undefined())
}

/// What an adapter's limits lack for the kernels ([`NEEDS`]).
fn shortfalls(adapter: &JsValue) -> Vec<String> {
    let limits = get(adapter, "limits");
    NEEDS
        .iter()
        .filter_map(|(name, need)| {
            let v = get(&limits, name).as_f64().unwrap_or(0.0);
            (v < *need).then(|| format!("{name} is {v}, the kernels need {need}"))
        })
        .collect()
}

/// The `message` of a JS error, or its debug form.
pub fn js_message(e: &JsValue) -> String {
    get(e, "message").as_string().unwrap_or_else(|| format!("{e:?}"))
}
