//! The device's IndexedDB database: every measurement record from the moment it exists, with
//! its upload state, the state of every measurement run, and the device models fitted in the
//! page with their prospective tallies (one row per device key, kept as JSON text; see
//! [`super::device_model`]). A record and the run state that counts it are written in one
//! transaction, so a reload or crash never loses or double-counts.
//!
//! Files the user opened (a NAS-Bench-101 accuracy file) are kept whole, by name.
//!
//! Version 2 added the `device_models` object store, version 3 the `files` store; the upgrade
//! only creates stores that are missing, so an older database keeps its records and runs.

use idb::{Database, DatabaseEvent, Factory, IndexParams, KeyPath, ObjectStoreParams, Query, TransactionMode};
use serde::{Deserialize, Serialize};
use serde_wasm_bindgen::Serializer;
use wasm_bindgen::JsValue;

use super::run_state::RunState;
use crate::measure::MeasurementRecord;

/// The app's database name.
pub const DB_NAME: &str = "leti";
const DB_VERSION: u32 = 3;
const RECORDS: &str = "records";
const RUNS: &str = "runs";
const DEVICE_MODELS: &str = "device_models";
const FILES: &str = "files";
const BY_STATE: &str = "by_state";

/// Where a stored record is on its way to the collector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadState {
    /// Waiting for consent, the network or the collector.
    Pending,
    /// The collector acknowledged it.
    Uploaded,
    /// The collector refused it (the reason is kept); it stays on the device.
    Rejected,
}

impl UploadState {
    fn code(self) -> u8 {
        match self {
            UploadState::Pending => 0,
            UploadState::Uploaded => 1,
            UploadState::Rejected => 2,
        }
    }

    fn from_code(c: u8) -> UploadState {
        match c {
            1 => UploadState::Uploaded,
            2 => UploadState::Rejected,
            _ => UploadState::Pending,
        }
    }
}

/// One row of the records store. The record is kept as its JSON text so it round-trips exactly.
#[derive(Serialize, Deserialize)]
struct RecordRow {
    id: String,
    state: u8,
    json: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DeviceModelRow {
    device: String,
    json: String,
}

#[derive(Serialize, Deserialize)]
struct RunRow {
    run_id: String,
    json: String,
}

/// A record as stored on this device.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    pub record: MeasurementRecord,
    pub state: UploadState,
    /// Why the collector rejected it, when it did.
    pub reason: Option<String>,
}

/// Records by upload state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pending: u32,
    pub uploaded: u32,
    pub rejected: u32,
}

/// A storage failure, in words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("browser storage (IndexedDB) failed: {0}")]
pub struct StoreError(pub String);

impl From<idb::Error> for StoreError {
    fn from(e: idb::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<serde_wasm_bindgen::Error> for StoreError {
    fn from(e: serde_wasm_bindgen::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError(e.to_string())
    }
}

pub struct Store {
    db: Database,
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, StoreError> {
    Ok(v.serialize(&Serializer::json_compatible())?)
}

impl Store {
    /// Opens (creating or upgrading) the database called `name`.
    pub async fn open(name: &str) -> Result<Store, StoreError> {
        let factory = Factory::new()?;
        let mut request = factory.open(name, Some(DB_VERSION))?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            if !db.store_names().iter().any(|n| n == RECORDS) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_single("id")));
                if let Ok(store) = db.create_object_store(RECORDS, params) {
                    let _ = store.create_index(BY_STATE, KeyPath::new_single("state"), Some(IndexParams::new()));
                }
            }
            if !db.store_names().iter().any(|n| n == RUNS) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_single("run_id")));
                let _ = db.create_object_store(RUNS, params);
            }
            if !db.store_names().iter().any(|n| n == DEVICE_MODELS) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_single("device")));
                let _ = db.create_object_store(DEVICE_MODELS, params);
            }
            if !db.store_names().iter().any(|n| n == FILES) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_single("name")));
                let _ = db.create_object_store(FILES, params);
            }
        });
        Ok(Store { db: request.await? })
    }

    /// Stores a new record as pending together with the run state that counts it, atomically.
    pub async fn add_record(&self, record: &MeasurementRecord, run: &RunState) -> Result<(), StoreError> {
        let row = RecordRow { id: record.id.clone(), state: UploadState::Pending.code(), json: serde_json::to_string(record)?, reason: None };
        let run_row = RunRow { run_id: run.run_id.clone(), json: serde_json::to_string(run)? };
        let tx = self.db.transaction(&[RECORDS, RUNS], TransactionMode::ReadWrite)?;
        tx.object_store(RECORDS)?.put(&to_js(&row)?, None)?.await?;
        tx.object_store(RUNS)?.put(&to_js(&run_row)?, None)?.await?;
        tx.commit()?.await?;
        Ok(())
    }

    /// Saves a run's state (status changes, probe results, device losses).
    pub async fn put_run(&self, run: &RunState) -> Result<(), StoreError> {
        let run_row = RunRow { run_id: run.run_id.clone(), json: serde_json::to_string(run)? };
        let tx = self.db.transaction(&[RUNS], TransactionMode::ReadWrite)?;
        tx.object_store(RUNS)?.put(&to_js(&run_row)?, None)?.await?;
        tx.commit()?.await?;
        Ok(())
    }

    /// Every run stored on this device, oldest first.
    pub async fn runs(&self) -> Result<Vec<RunState>, StoreError> {
        let tx = self.db.transaction(&[RUNS], TransactionMode::ReadOnly)?;
        let values = tx.object_store(RUNS)?.get_all(None, None)?.await?;
        let mut runs = values
            .into_iter()
            .map(|v| {
                let row: RunRow = serde_wasm_bindgen::from_value(v)?;
                Ok(serde_json::from_str::<RunState>(&row.json)?)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        runs.sort_by_key(|r| r.started_unix_ms);
        Ok(runs)
    }

    /// Every record stored on this device, in measuring order.
    pub async fn all_records(&self) -> Result<Vec<StoredRecord>, StoreError> {
        let tx = self.db.transaction(&[RECORDS], TransactionMode::ReadOnly)?;
        let values = tx.object_store(RECORDS)?.get_all(None, None)?.await?;
        let mut out = values.into_iter().map(row_to_stored).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|a| (a.record.created_unix_ms, run_seq(&a.record)));
        Ok(out)
    }

    /// Up to `limit` records waiting for upload.
    pub async fn pending(&self, limit: u32) -> Result<Vec<MeasurementRecord>, StoreError> {
        let tx = self.db.transaction(&[RECORDS], TransactionMode::ReadOnly)?;
        let index = tx.object_store(RECORDS)?.index(BY_STATE)?;
        let values = index.get_all(Some(Query::Key(JsValue::from(UploadState::Pending.code()))), Some(limit))?.await?;
        values.into_iter().map(|v| row_to_stored(v).map(|s| s.record)).collect()
    }

    /// Moves the records `ids` to `state` (with a reason for rejections). Unknown ids are skipped.
    pub async fn set_state(&self, ids: &[String], state: UploadState, reason: Option<&str>) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[RECORDS], TransactionMode::ReadWrite)?;
        let store = tx.object_store(RECORDS)?;
        for id in ids {
            if let Some(v) = store.get(Query::Key(JsValue::from_str(id)))?.await? {
                let mut row: RecordRow = serde_wasm_bindgen::from_value(v)?;
                row.state = state.code();
                row.reason = reason.map(str::to_string);
                store.put(&to_js(&row)?, None)?.await?;
            }
        }
        tx.commit()?.await?;
        Ok(())
    }

    /// How many records are pending, uploaded and rejected.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let tx = self.db.transaction(&[RECORDS], TransactionMode::ReadOnly)?;
        let index = tx.object_store(RECORDS)?.index(BY_STATE)?;
        let mut c = Counts::default();
        for (state, slot) in [(UploadState::Pending, &mut c.pending), (UploadState::Uploaded, &mut c.uploaded), (UploadState::Rejected, &mut c.rejected)] {
            *slot = index.count(Some(Query::Key(JsValue::from(state.code()))))?.await?;
        }
        Ok(c)
    }

    /// Saves the device model row of `device` (its JSON text), replacing the previous one.
    pub async fn put_device_model(&self, device: &str, json: &str) -> Result<(), StoreError> {
        let row = DeviceModelRow { device: device.to_string(), json: json.to_string() };
        let tx = self.db.transaction(&[DEVICE_MODELS], TransactionMode::ReadWrite)?;
        tx.object_store(DEVICE_MODELS)?.put(&to_js(&row)?, None)?.await?;
        tx.commit()?.await?;
        Ok(())
    }

    /// The device model row of `device` (its JSON text), if one was saved.
    pub async fn device_model(&self, device: &str) -> Result<Option<String>, StoreError> {
        let tx = self.db.transaction(&[DEVICE_MODELS], TransactionMode::ReadOnly)?;
        let v = tx.object_store(DEVICE_MODELS)?.get(Query::Key(JsValue::from_str(device)))?.await?;
        v.map(|v| -> Result<String, StoreError> { Ok(serde_wasm_bindgen::from_value::<DeviceModelRow>(v)?.json) }).transpose()
    }

    /// Keeps a file the user opened under `name` (its bytes as one `Uint8Array`), replacing
    /// the one before.
    pub async fn put_file(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let row = js_sys::Object::new();
        js_sys::Reflect::set(&row, &"name".into(), &name.into()).map_err(|_| StoreError("building a file row".into()))?;
        js_sys::Reflect::set(&row, &"bytes".into(), &js_sys::Uint8Array::from(bytes)).map_err(|_| StoreError("building a file row".into()))?;
        let tx = self.db.transaction(&[FILES], TransactionMode::ReadWrite)?;
        tx.object_store(FILES)?.put(&row, None)?.await?;
        tx.commit()?.await?;
        Ok(())
    }

    /// The bytes of the file kept under `name`, if one is.
    pub async fn file(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.transaction(&[FILES], TransactionMode::ReadOnly)?;
        let Some(row) = tx.object_store(FILES)?.get(Query::Key(JsValue::from_str(name)))?.await? else { return Ok(None) };
        let bytes = js_sys::Reflect::get(&row, &"bytes".into()).map_err(|_| StoreError("reading a file row".into()))?;
        Ok(Some(js_sys::Uint8Array::new(&bytes).to_vec()))
    }

    /// Closes the connection (tests delete their databases afterwards).
    pub fn close(&self) {
        self.db.close();
    }
}

fn run_seq(r: &MeasurementRecord) -> u32 {
    r.run.as_ref().map_or(0, |r| r.sequence)
}

fn row_to_stored(v: JsValue) -> Result<StoredRecord, StoreError> {
    let row: RecordRow = serde_wasm_bindgen::from_value(v)?;
    Ok(StoredRecord { record: serde_json::from_str(&row.json)?, state: UploadState::from_code(row.state), reason: row.reason })
}

/// Deletes a whole database (used by the tests for isolation).
pub async fn delete_database(name: &str) -> Result<(), StoreError> {
    Factory::new()?.delete(name)?.await?;
    Ok(())
}
