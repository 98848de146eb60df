//! The Screen Wake Lock API, where the browser has it: keeps a phone's screen on while a run
//! measures (a sleeping screen suspends the page and its GPU work). Re-acquired when the page
//! becomes visible again, since browsers release it when the page is hidden.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Whether `navigator.wakeLock` exists.
pub fn supported() -> bool {
    web_sys::window().map(|w| js_sys::Reflect::has(&w.navigator(), &JsValue::from_str("wakeLock")).unwrap_or(false)).unwrap_or(false)
}

/// A held screen wake lock (the `WakeLockSentinel`).
pub struct WakeLock {
    sentinel: JsValue,
}

impl WakeLock {
    /// Requests a screen wake lock; `Err` says why there is none.
    pub async fn request() -> Result<WakeLock, String> {
        let nav = web_sys::window().ok_or("no window")?.navigator();
        let wl = js_sys::Reflect::get(&nav, &JsValue::from_str("wakeLock")).map_err(|e| format!("{e:?}"))?;
        if wl.is_undefined() {
            return Err("this browser has no Screen Wake Lock API; keep the screen on yourself".into());
        }
        let request: js_sys::Function = js_sys::Reflect::get(&wl, &JsValue::from_str("request"))
            .map_err(|e| format!("{e:?}"))?
            .dyn_into()
            .map_err(|_| "wakeLock.request is not a function".to_string())?;
        let promise: js_sys::Promise = request
            .call1(&wl, &JsValue::from_str("screen"))
            .map_err(|e| format!("{e:?}"))?
            .dyn_into()
            .map_err(|_| "wakeLock.request did not return a promise".to_string())?;
        let sentinel = JsFuture::from(promise)
            .await
            .map_err(|e| js_sys::Reflect::get(&e, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()).unwrap_or_else(|| format!("{e:?}")))?;
        Ok(WakeLock { sentinel })
    }

    /// Whether the browser has released it (e.g. the page was hidden).
    pub fn released(&self) -> bool {
        js_sys::Reflect::get(&self.sentinel, &JsValue::from_str("released")).ok().and_then(|v| v.as_bool()).unwrap_or(true)
    }

    /// Releases the lock.
    pub fn release(self) {
        if let Ok(f) = js_sys::Reflect::get(&self.sentinel, &JsValue::from_str("release")) {
            if let Ok(f) = f.dyn_into::<js_sys::Function>() {
                let _ = f.call0(&self.sentinel);
            }
        }
    }
}
