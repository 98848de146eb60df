//! Downloads of this device's records: JSONL (one full record a line, the collector's and
//! `leti import`'s format) and CSV (one flat row a record, for spreadsheets).

use wasm_bindgen::JsCast;

use super::store::{StoredRecord, UploadState};

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 24] = [
    "id", "created_unix_ms", "hash", "wall_median_ms", "wall_p10_ms", "wall_p90_ms", "wall_mad_ms", "wall_cov",
    "wall_runs", "gpu_median_ms", "mode", "noisy", "timestamp_resolution_ns", "adapter_vendor",
    "adapter_architecture", "adapter_device", "adapter_description", "backend", "device_label", "run_id",
    "sequence", "anchor", "thermal_ratio", "upload_state",
];

/// One JSON record per line.
pub fn to_jsonl(records: &[StoredRecord]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&serde_json::to_string(&r.record).expect("records serialise"));
        out.push('\n');
    }
    out
}

/// A header row and one row per record.
pub fn to_csv(records: &[StoredRecord]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER).expect("write to memory");
    for s in records {
        let r = &s.record;
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let run = r.run.clone().unwrap_or_default();
        let mode = serde_json::to_value(r.mode).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let state = match s.state {
            UploadState::Pending => "pending",
            UploadState::Uploaded => "uploaded",
            UploadState::Rejected => "rejected",
        };
        w.write_record([
            r.id.clone(),
            r.created_unix_ms.to_string(),
            r.hash.to_hex(),
            r.wall.median_ms.to_string(),
            r.wall.p10_ms.to_string(),
            r.wall.p90_ms.to_string(),
            r.wall.mad_ms.to_string(),
            r.wall.cov.to_string(),
            r.wall.runs.to_string(),
            opt(r.gpu.map(|g| g.median_ms)),
            mode,
            r.noisy.to_string(),
            opt(r.timestamp_resolution_ns),
            r.adapter.vendor.clone(),
            r.adapter.architecture.clone(),
            r.adapter.device.clone(),
            r.adapter.description.clone(),
            r.adapter.backend.clone(),
            r.client.device_label.clone().unwrap_or_default(),
            run.run_id,
            run.sequence.to_string(),
            run.anchor.to_string(),
            opt(run.thermal_ratio),
            state.to_string(),
        ])
        .expect("write to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("csv of strings is utf-8")
}

/// Offers `text` to the user as a file called `filename`.
pub fn save_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let err = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let props = web_sys::BlobPropertyBag::new();
    props.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &props).map_err(err)?;
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
