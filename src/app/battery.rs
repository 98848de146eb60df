//! The Battery Status API (`navigator.getBattery`, Chromium only): whether the device is on its
//! charger. Records keep it (a phone on battery may slow its GPU to save power), and the
//! Measure page asks for the charger before a long run.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The browser's live `BatteryManager` (its properties follow the device).
#[derive(Clone)]
pub struct Battery(JsValue);

/// This device's battery; `None` where the browser has no Battery Status API (Firefox,
/// Safari) or it refuses.
pub async fn battery() -> Option<Battery> {
    let nav = web_sys::window()?.navigator();
    let get: js_sys::Function = js_sys::Reflect::get(&nav, &"getBattery".into()).ok()?.dyn_into().ok()?;
    let promise: js_sys::Promise = get.call0(&nav).ok()?.dyn_into().ok()?;
    JsFuture::from(promise).await.ok().filter(|b| b.is_object()).map(Battery)
}

impl Battery {
    /// Whether the device is on its charger.
    pub fn charging(&self) -> Option<bool> {
        js_sys::Reflect::get(&self.0, &"charging".into()).ok()?.as_bool()
    }

    /// Calls `f` whenever the device is plugged in or unplugged (for the page's lifetime).
    pub fn on_charging_change(&self, f: impl Fn() + 'static) {
        let Some(target) = self.0.dyn_ref::<web_sys::EventTarget>() else { return };
        let listener = Closure::<dyn Fn()>::new(f);
        let _ = target.add_event_listener_with_callback("chargingchange", listener.as_ref().unchecked_ref());
        listener.forget();
    }
}
