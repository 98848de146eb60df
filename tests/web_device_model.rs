//! This device's own model in a real browser (wasm-bindgen-test, headless Chromium): the fit
//! the Measure page's worker runs (`fit_device_model`, JSON in and out) on the fixture records
//! predicts exactly the bits the native `fit_device` recorded (tests/device_fit_fixture.rs);
//! the prospective tally counts only cells measured after a fit and survives refits; the
//! IndexedDB upgrade to version 2 keeps a version-1 database's records and stores models; and
//! the page order lists this device's model, else a model learned on the same GPU, first.
#![cfg(target_arch = "wasm32")]

use std::sync::Arc;

use idb::{DatabaseEvent, Factory, KeyPath, ObjectStoreParams, TransactionMode};
use js_sys::{Array, Uint8Array};
use leti::app::bundled_models::{page_order, Bundled, ModelKind};
use leti::app::device_model::{needs_fit, OwnModel, SavedModel, Tally, MIN_CELLS};
use leti::app::fit_worker::{fit_device_model, FitReply, FitRequest};
use leti::app::store::{delete_database, Store};
use leti::measure::{device_cells, AdapterInfo, MeasurementRecord};
use leti::net::{NetConfig, Precision};
use leti::predict::Model;
use leti::space::{Cell, CellSpec};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const RECORDS: &str = include_str!("fixtures/device-fit.records.jsonl");
const EXPECTED: &str = include_str!("fixtures/device-fit.expected.jsonl");
const SOURCES: [&[u8]; 3] = [
    include_bytes!("../trained/h200-vulkan.model.json"),
    include_bytes!("../trained/lavapipe-1core.model.json"),
    include_bytes!("../trained/swiftshader-chromium.model.json"),
];

fn records() -> Vec<MeasurementRecord> {
    RECORDS.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn pairs() -> (String, Vec<(Cell, f64)>) {
    let recs = records();
    let device = recs[0].device_key();
    let p = device_cells(&recs, &device);
    (device, p)
}

/// The fit as the worker runs it.
fn fit_in_page(device: &str, pairs: &[(Cell, f64)]) -> FitReply {
    fit_in_page_at(device, Precision::F32, pairs)
}

fn fit_in_page_at(device: &str, precision: Precision, pairs: &[(Cell, f64)]) -> FitReply {
    let sources = Array::new();
    for s in SOURCES {
        sources.push(&Uint8Array::from(s));
    }
    let json = fit_device_model(&serde_json::to_string(&FitRequest::new(device, precision, pairs)).unwrap(), sources).map_err(JsValue::from).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[wasm_bindgen_test]
fn an_f16_device_model_states_its_precision_and_fits_as_f32_would() {
    let (device, pairs) = pairs();
    let f32_fit = fit_in_page(&device, &pairs[..MIN_CELLS]);
    let f16_fit = fit_in_page_at(&format!("{device} f16"), Precision::F16, &pairs[..MIN_CELLS]);
    let (m32, m16) = (Model::from_json_bytes(f32_fit.model_json.as_bytes()).unwrap(), Model::from_json_bytes(f16_fit.model_json.as_bytes()).unwrap());
    assert_eq!(m32.file.network, NetConfig::default());
    assert_eq!(m16.file.network, NetConfig::default_at(Precision::F16));
    // The features do not depend on the precision: the same pairs give the same predictions.
    assert_eq!(m16.predict(&pairs[0].0).unwrap().ms.to_bits(), m32.predict(&pairs[0].0).unwrap().ms.to_bits());
}

#[wasm_bindgen_test]
fn the_page_fits_the_same_model_bits_as_the_native_fit() {
    let (device, pairs) = pairs();
    assert_eq!(pairs.len(), 34);
    let mut fits: Vec<(usize, FitReply, Model)> = Vec::new();
    let mut n = 0;
    for line in EXPECTED.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let k = v["n_cells"].as_u64().unwrap() as usize;
        if fits.last().is_none_or(|f| f.0 != k) {
            let reply = fit_in_page(&device, &pairs[..k]);
            let model = Model::from_json_bytes(reply.model_json.as_bytes()).unwrap();
            fits.push((k, reply, model));
        }
        let (_, reply, model) = fits.last().unwrap();
        assert_eq!(reply.method, v["method"].as_str().unwrap());
        let cv = reply.cv_within_10.map(|c| format!("{:016x}", c.to_bits()));
        assert_eq!(cv.as_deref(), v["cv_within_10_bits"].as_str());
        let cell = CellSpec::from_json_value(&v["cell"]).unwrap().validate().unwrap();
        let p = model.predict(&cell).unwrap();
        let bits = |k: &str| u64::from_str_radix(v[k].as_str().unwrap(), 16).unwrap();
        assert_eq!(p.ms.to_bits(), bits("ms_bits"), "{line}");
        assert_eq!(p.lo_ms.to_bits(), bits("lo_bits"));
        assert_eq!(p.hi_ms.to_bits(), bits("hi_bits"));
        n += 1;
    }
    assert_eq!(fits.len(), 2, "the anchors-only fit and the fit on every cell");
    assert_eq!(n, 2 * 34);
}

#[wasm_bindgen_test]
fn the_tally_counts_only_cells_measured_after_the_fit() {
    let (device, pairs) = pairs();
    assert!(!needs_fit(None, MIN_CELLS - 1));
    assert!(needs_fit(None, MIN_CELLS));
    let first = OwnModel::adopt(None, &device, fit_in_page(&device, &pairs[..MIN_CELLS]), 1).unwrap();
    assert_eq!((first.saved.seen, first.saved.tally), (MIN_CELLS, Tally::default()));
    assert!(!needs_fit(Some(&first), MIN_CELLS));
    let mut m = first.clone();
    assert_eq!(m.check_new(&pairs[..MIN_CELLS]), 0, "the cells it was fitted on are never counted");
    assert_eq!(m.check_new(&pairs[..MIN_CELLS + 3]), 3);
    let within = pairs[MIN_CELLS..MIN_CELLS + 3].iter().filter(|(c, ms)| (ms / first.model.predict(c).unwrap().ms - 1.0).abs() <= 0.1).count();
    assert_eq!(m.saved.tally, Tally { checked: 3, within: within as u32 });
    assert_eq!(m.check_new(&pairs[..MIN_CELLS + 3]), 0, "a cell is counted once");
    // A refit on those cells keeps the tally; only later cells are checked against it.
    let refit = OwnModel::adopt(Some(&m), &device, fit_in_page(&device, &pairs[..MIN_CELLS + 3]), 2).unwrap();
    assert_eq!((refit.saved.seen, refit.saved.tally, refit.saved.fit.n_cells), (MIN_CELLS + 3, m.saved.tally, MIN_CELLS + 3));
    assert!(needs_fit(Some(&refit), MIN_CELLS + 4));
    // The saved form (IndexedDB) round-trips, and another device starts its own tally.
    let saved: SavedModel = serde_json::from_str(&serde_json::to_string(&refit.saved).unwrap()).unwrap();
    assert_eq!(OwnModel::from_saved(saved).unwrap().saved, refit.saved);
    let other = OwnModel::adopt(Some(&refit), "another GPU [webgpu]", refit.saved.fit.clone(), 3).unwrap();
    assert_eq!(other.saved.tally, Tally::default());
    let listed = refit.listed();
    assert_eq!((listed.kind, listed.n_cells, listed.eval_cells), (ModelKind::Own, Some(MIN_CELLS as u64 + 3), 3));
}

const V1: &str = "leti-test-device-model-upgrade";

/// A database as version 1 of the app left it: records and runs, one record stored.
async fn version_one_database(record: &MeasurementRecord) {
    delete_database(V1).await.unwrap();
    let mut req = Factory::new().unwrap().open(V1, Some(1)).unwrap();
    req.on_upgrade_needed(|event| {
        let db = event.database().unwrap();
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single("id")));
        let store = db.create_object_store("records", params).unwrap();
        store.create_index("by_state", KeyPath::new_single("state"), None).unwrap();
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single("run_id")));
        db.create_object_store("runs", params).unwrap();
    });
    let db = req.await.unwrap();
    let row = serde_json::json!({"id": record.id, "state": 0, "json": serde_json::to_string(record).unwrap()});
    let tx = db.transaction(&["records"], TransactionMode::ReadWrite).unwrap();
    let js = serde::Serialize::serialize(&row, &serde_wasm_bindgen::Serializer::json_compatible()).unwrap();
    tx.object_store("records").unwrap().put(&js, None).unwrap().await.unwrap();
    tx.commit().unwrap().await.unwrap();
    db.close();
}

#[wasm_bindgen_test]
async fn the_upgrade_keeps_version_one_records_and_stores_device_models() {
    let rec = records().remove(0);
    version_one_database(&rec).await;
    let store = Store::open(V1).await.unwrap();
    let all = store.all_records().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].record, rec);
    assert_eq!(store.device_model("x").await.unwrap(), None);
    store.put_device_model("x", "{\"a\":1}").await.unwrap();
    store.put_device_model("x", "{\"a\":2}").await.unwrap();
    assert_eq!(store.device_model("x").await.unwrap().as_deref(), Some("{\"a\":2}"));
    store.close();
    delete_database(V1).await.unwrap();
}

fn listed(name: &str, kind: ModelKind, adapter: Option<AdapterInfo>, device_src: &[u8]) -> Bundled {
    let model = Model::from_json_bytes(device_src).unwrap();
    Bundled {
        name: name.into(),
        url: String::new(),
        model: Ok(Arc::new(model)),
        bytes: Arc::new(device_src.to_vec()),
        kind,
        adapter,
        n_cells: Some(40),
        within_10: Some(0.9),
        eval_cells: 8,
    }
}

#[wasm_bindgen_test]
fn this_devices_model_then_a_model_learned_on_the_same_gpu_come_first() {
    let swiftshader = AdapterInfo {
        vendor: "google".into(),
        architecture: "swiftshader".into(),
        device: "0xc0de".into(),
        description: "SwiftShader Device (Subzero)".into(),
        backend: "webgpu".into(),
        driver: String::new(),
    };
    let mut elsewhere = swiftshader.clone();
    elsewhere.description = "Mali-G710".into();
    let models = vec![
        listed("h200", ModelKind::Bundled, None, SOURCES[0]),
        listed("swiftshader", ModelKind::Bundled, None, SOURCES[2]),
        listed("learned-mali", ModelKind::Learned, Some(elsewhere), SOURCES[1]),
        listed("learned-swiftshader", ModelKind::Learned, Some(swiftshader.clone()), SOURCES[1]),
    ];
    let names = |l: &[Bundled]| l.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    let (l, here) = page_order(&models, None, Some(&swiftshader), "");
    assert!(here);
    assert_eq!(names(&l), ["learned-swiftshader", "swiftshader", "h200", "learned-mali"]);
    let own = listed("this device", ModelKind::Own, None, SOURCES[2]);
    let (l, here) = page_order(&models, Some(own), Some(&swiftshader), "");
    assert!(here);
    assert_eq!(names(&l)[0], "this device");
    assert_eq!(l.len(), 5);
    let (l, here) = page_order(&models[..2], None, Some(&swiftshader), "");
    assert!(here, "the bundled model of a device like this one");
    assert_eq!(names(&l), ["swiftshader", "h200"]);
    let (l, here) = page_order(&models, None, None, "");
    assert!(!here);
    assert_eq!(names(&l), ["h200", "swiftshader", "learned-mali", "learned-swiftshader"]);
}
