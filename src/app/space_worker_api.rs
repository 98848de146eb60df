//! What the Explore page's Web Worker (`www/explore_worker.js`) calls in this module: the
//! whole-space prediction of one model, the per-cell costs the plots need (MACs and
//! trainable parameters), and the cells' module hashes (search by hash, this browser's
//! measured cells). All run off the page's main thread, so the page stays responsive.

use js_sys::{Float32Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::net::NetConfig;
use crate::predict::{features_of_canonical, idx, Model};
use crate::space::unpack;

/// Point predictions (ms) of every cell of the packed space `space`, in file order, by the
/// model file `model_json`.
#[wasm_bindgen]
pub fn predict_space(model_json: &[u8], space: &[u8]) -> Result<Float32Array, JsError> {
    let model = Model::from_json_bytes(model_json).map_err(|e| JsError::new(&format!("model: {e}")))?;
    let ms = model.predict_packed_space(space).map_err(|e| JsError::new(&format!("space: {e}")))?;
    Ok(Float32Array::from(ms.as_slice()))
}

/// `{macs, params}`: the MACs and trainable parameters of every cell's network (default
/// network configuration), as two `Float32Array`s in file order.
#[wasm_bindgen]
pub fn space_costs(space: &[u8]) -> Result<Object, JsError> {
    let cells = unpack(space).map_err(|e| JsError::new(&format!("space: {e}")))?.cells;
    let mut macs = Vec::with_capacity(cells.len());
    let mut params = Vec::with_capacity(cells.len());
    let cfg = NetConfig::default();
    for c in &cells {
        // Space files hold their cells in the generator's labeling already.
        let f = features_of_canonical(c, &cfg);
        macs.push(f[idx::MACS] as f32);
        params.push(f[idx::PARAMS] as f32);
    }
    let out = Object::new();
    Reflect::set(&out, &"macs".into(), &Float32Array::from(macs.as_slice()))
        .and_then(|_| Reflect::set(&out, &"params".into(), &Float32Array::from(params.as_slice())))
        .map_err(|_| JsError::new("could not build the result object"))?;
    Ok(out)
}

/// The module hash of every cell of the packed space `space`, in file order: 16 bytes a cell.
/// Computed here rather than downloaded (they would be 6.8 MB of incompressible bytes).
#[wasm_bindgen]
pub fn space_hashes(space: &[u8]) -> Result<Uint8Array, JsError> {
    let cells = unpack(space).map_err(|e| JsError::new(&format!("space: {e}")))?.cells;
    let mut out = Vec::with_capacity(16 * cells.len());
    for c in &cells {
        out.extend_from_slice(&c.hash().0);
    }
    Ok(Uint8Array::from(out.as_slice()))
}
