//! Storage of learning outcomes (table `device_models`, migration 0002): per device the latest
//! outcome of [`super::learn`] — a learned model with its metadata, a refusal with its
//! reason, or a wait for more cells — and reading one device's records back for learning.

use serde::{Deserialize, Serialize};

use crate::measure::{AdapterInfo, MeasurementRecord};

use super::storage::{page_start, with_pool, Store, StoreError};

const UPSERT: &str = "INSERT INTO device_models (device_key, device, name, status, reason, adapter, n_cells, within_10, \
                      eval_cells, records, engine_version, method, trained_unix_ms, model) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                      ON CONFLICT (device_key) DO UPDATE SET device = excluded.device, name = excluded.name, \
                      status = excluded.status, reason = excluded.reason, adapter = excluded.adapter, \
                      n_cells = excluded.n_cells, within_10 = excluded.within_10, eval_cells = excluded.eval_cells, \
                      records = excluded.records, engine_version = excluded.engine_version, method = excluded.method, \
                      trained_unix_ms = excluded.trained_unix_ms, model = excluded.model";
const SELECT_ALL: &str = "SELECT device_key, device, name, status, reason, adapter, n_cells, within_10, eval_cells, records, \
                          engine_version, method, trained_unix_ms FROM device_models ORDER BY name";
const SELECT_MODEL: &str = "SELECT model FROM device_models WHERE name = $1 AND status = 'learned'";
/// Records read per round trip when loading one device's records.
const PAGE: i64 = 2000;

/// What the latest learning pass concluded for a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A model was learned and is served.
    Learned,
    /// The device's records were not learned from; `reason` says why.
    Refused,
    /// Too few distinct cells yet.
    Waiting,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Learned => "learned",
            Status::Refused => "refused",
            Status::Waiting => "waiting",
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "learned" => Status::Learned,
            "refused" => Status::Refused,
            _ => Status::Waiting,
        }
    }
}

/// One stored outcome, without the model JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRow {
    /// Hex key, as `measurements.device_key`.
    pub device_key: String,
    /// Readable device key (`training.device` of the model).
    pub device: String,
    /// `learned-` + 12 hex digits; the learned model's id.
    pub name: String,
    pub status: Status,
    /// Why refused or waiting ("" when learned).
    pub reason: String,
    pub adapter: AdapterInfo,
    /// Distinct cells of the device.
    pub n_cells: i64,
    /// Share of held-out cells predicted within ±10% (learned only).
    pub within_10: Option<f64>,
    /// Held-out cells behind `within_10`.
    pub eval_cells: i64,
    /// The device's records when this outcome was reached.
    pub records: i64,
    /// Engine version(s) of the records, comma-separated.
    pub engine_version: String,
    /// How the model was fitted (`DeviceFit::method`).
    pub method: String,
    pub trained_unix_ms: i64,
}

/// What `GET /api/v1/devices` says about a device's learning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearningState {
    pub status: Status,
    pub reason: String,
    /// The learned model's name (when learned).
    pub model: Option<String>,
    /// Records the outcome is based on.
    pub records: i64,
    pub unix_ms: i64,
}

impl OutcomeRow {
    pub fn state(&self) -> LearningState {
        LearningState {
            status: self.status,
            reason: self.reason.clone(),
            model: (self.status == Status::Learned).then(|| self.name.clone()),
            records: self.records,
            unix_ms: self.trained_unix_ms,
        }
    }
}

type Tuple = (String, String, String, String, String, String, i64, Option<f64>, i64, i64, String, String, i64);

fn from_tuple(t: Tuple) -> OutcomeRow {
    let (device_key, device, name, status, reason, adapter, n_cells, within_10, eval_cells, records, engine_version, method, trained) = t;
    OutcomeRow {
        device_key,
        device,
        name,
        status: Status::parse(&status),
        reason,
        adapter: serde_json::from_str(&adapter).unwrap_or_default(),
        n_cells,
        within_10,
        eval_cells,
        records,
        engine_version,
        method,
        trained_unix_ms: trained,
    }
}

impl Store {
    /// Stores `row` (and the model JSON when learned) as the device's latest outcome.
    pub async fn put_outcome(&self, row: &OutcomeRow, model_json: Option<&str>) -> Result<(), StoreError> {
        let adapter = serde_json::to_string(&row.adapter).expect("adapter info serialises");
        let _guard = self.write_lock().await;
        with_pool!(self, pool => {
            sqlx::query(UPSERT)
                .bind(&row.device_key)
                .bind(&row.device)
                .bind(&row.name)
                .bind(row.status.as_str())
                .bind(&row.reason)
                .bind(&adapter)
                .bind(row.n_cells)
                .bind(row.within_10)
                .bind(row.eval_cells)
                .bind(row.records)
                .bind(&row.engine_version)
                .bind(&row.method)
                .bind(row.trained_unix_ms)
                .bind(model_json)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Every stored outcome, by name.
    pub async fn outcomes(&self) -> Result<Vec<OutcomeRow>, StoreError> {
        let rows: Vec<Tuple> = with_pool!(self, pool => sqlx::query_as(SELECT_ALL).fetch_all(pool).await?);
        Ok(rows.into_iter().map(from_tuple).collect())
    }

    /// The JSON of the learned model called `name`, if there is one.
    pub async fn learned_model(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = with_pool!(self, pool => sqlx::query_as(SELECT_MODEL).bind(name).fetch_optional(pool).await?);
        Ok(row.and_then(|(m,)| m))
    }

    /// Every stored record of the device with hex key `device_key`, in (created time, id) order.
    /// A row that no longer parses (impossible for rows this build stored) is skipped.
    pub async fn device_records(&self, device_key: &str) -> Result<Vec<MeasurementRecord>, StoreError> {
        let mut after = page_start();
        let mut out = Vec::new();
        loop {
            let page = self.page(Some(device_key), &after, PAGE).await?;
            let Some((created, id, _)) = page.last() else { break };
            after = (*created, id.clone());
            let full = page.len() as i64 == PAGE;
            out.extend(page.iter().filter_map(|(_, _, json)| serde_json::from_str::<MeasurementRecord>(json).ok()));
            if !full {
                break;
            }
        }
        Ok(out)
    }
}
