//! User-Agent Client Hints: the phone model and OS version a Chromium browser reports through
//! `navigator.userAgentData.getHighEntropyValues` (its reduced User-Agent string hides the
//! model). Records carry them, under the contributor's consent, and the device key uses the
//! model to tell phones with one GPU family apart (`measure::device_key`).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::measure::ClientHints;

/// The hints asked for beyond the low-entropy ones (`platform`, `mobile`).
const HIGH_ENTROPY: [&str; 2] = ["model", "platformVersion"];

fn field(v: &wasm_bindgen::JsValue, key: &str) -> Option<wasm_bindgen::JsValue> {
    js_sys::Reflect::get(v, &key.into()).ok().filter(|x| !x.is_undefined() && !x.is_null())
}

/// This browser's hints; `None` where there is no `navigator.userAgentData` (Firefox,
/// Safari) or it refuses.
pub async fn client_hints() -> Option<ClientHints> {
    let data = field(&web_sys::window()?.navigator(), "userAgentData")?;
    let get: js_sys::Function = field(&data, "getHighEntropyValues")?.dyn_into().ok()?;
    let asked: js_sys::Array = HIGH_ENTROPY.iter().map(|h| wasm_bindgen::JsValue::from_str(h)).collect();
    let promise: js_sys::Promise = get.call1(&data, &asked).ok()?.dyn_into().ok()?;
    let v = JsFuture::from(promise).await.ok()?;
    let text = |k: &str| field(&v, k).and_then(|x| x.as_string()).unwrap_or_default();
    Some(ClientHints {
        model: text("model"),
        platform: text("platform"),
        platform_version: text("platformVersion"),
        mobile: field(&v, "mobile").and_then(|x| x.as_bool()).unwrap_or(false),
    })
}

/// The hints as the consent list shows them, e.g. `Pixel 7, Android 14.0.0`.
pub fn describe(h: &ClientHints) -> String {
    let model = h.model().unwrap_or("no model reported");
    let os = [h.platform.as_str(), h.platform_version.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
    if os.is_empty() {
        model.to_string()
    } else {
        format!("{model}, {os}")
    }
}
