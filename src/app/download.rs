//! Downloads of this device's records: JSONL (one full record a line, the collector's and
//! `leti import`'s format) and CSV (one flat row a record, for spreadsheets); and the browser
//! side of every download, text or bytes (a fitted model, a cell's ONNX file).

use wasm_bindgen::JsCast;

use super::store::{StoredRecord, UploadState};
use crate::measure::{csv_header, csv_row};

/// One JSON record per line.
pub fn to_jsonl(records: &[StoredRecord]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&serde_json::to_string(&r.record).expect("records serialise"));
        out.push('\n');
    }
    out
}

/// A header row and one row per record: the collector's CSV layout (`measure::csv_row`) and
/// an `upload_state` column.
pub fn to_csv(records: &[StoredRecord]) -> String {
    let mut out = csv_header(&["upload_state"]);
    for s in records {
        let state = match s.state {
            UploadState::Pending => "pending",
            UploadState::Uploaded => "uploaded",
            UploadState::Rejected => "rejected",
        };
        out.extend_from_slice(&csv_row(&s.record, &[state]));
    }
    String::from_utf8(out).expect("csv of strings is utf-8")
}

/// Offers `text` to the user as a file called `filename`.
pub fn save_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    save_part(filename, mime, &wasm_bindgen::JsValue::from_str(text))
}

/// Offers `bytes` to the user as a file called `filename`.
pub fn save_bytes(filename: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    save_part(filename, mime, &js_sys::Uint8Array::from(bytes))
}

/// Offers one blob part (a string or a byte array) as a file: a blob URL on a clicked link.
fn save_part(filename: &str, mime: &str, part: &wasm_bindgen::JsValue) -> Result<(), String> {
    let err = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let parts = js_sys::Array::of1(part);
    let props = web_sys::BlobPropertyBag::new();
    props.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &props).map_err(err)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(err)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a").map_err(err)?.unchecked_into();
    a.set_href(&url);
    a.set_download(filename);
    a.click();
    // The browser reads the blob after this returns: free it a while later, not now.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}
