//! The contributor's choices, kept in `localStorage` across visits: consent to upload, the
//! optional device label, the budget last chosen, whether a device with f16 measures at f32
//! too, and this device's random sampling seed.

use gloo_storage::{LocalStorage, Storage};

use super::run_state::Budget;

const CONSENT: &str = "leti.consent";
const LABEL: &str = "leti.device_label";
const BUDGET: &str = "leti.budget";
const SEED: &str = "leti.seed";
const ALSO_F32: &str = "leti.also_f32";

/// Longest device label kept.
pub const MAX_LABEL_CHARS: usize = 64;

pub fn consent() -> bool {
    LocalStorage::get(CONSENT).unwrap_or(false)
}

pub fn set_consent(v: bool) {
    let _ = LocalStorage::set(CONSENT, v);
}

pub fn device_label() -> String {
    LocalStorage::get(LABEL).unwrap_or_default()
}

/// Keeps at most [`MAX_LABEL_CHARS`] characters, without control characters.
pub fn clean_label(label: &str) -> String {
    label.chars().filter(|c| !c.is_control()).take(MAX_LABEL_CHARS).collect()
}

pub fn set_device_label(v: &str) {
    let _ = LocalStorage::set(LABEL, clean_label(v));
}

pub fn budget() -> Budget {
    LocalStorage::get::<String>(BUDGET).ok().and_then(|k| Budget::from_key(&k)).unwrap_or(Budget::Quick)
}

pub fn set_budget(b: Budget) {
    let _ = LocalStorage::set(BUDGET, b.key());
}

/// Whether a device with f16 measures each cell at f32 as well (off unless chosen).
pub fn also_f32() -> bool {
    LocalStorage::get(ALSO_F32).unwrap_or(false)
}

pub fn set_also_f32(v: bool) {
    let _ = LocalStorage::set(ALSO_F32, v);
}

/// This device's sampling seed: random on first use, then kept, so different devices draw
/// different cells while one device keeps its own sequence.
pub fn device_seed() -> u64 {
    if let Ok(s) = LocalStorage::get::<String>(SEED) {
        if let Ok(v) = s.parse() {
            return v;
        }
    }
    let mut bytes = [0u8; 8];
    let seed = match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => js_sys::Date::now() as u64,
    };
    let _ = LocalStorage::set(SEED, seed.to_string());
    seed
}
