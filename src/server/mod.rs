//! The collector (native only): `leti serve` serves the web app and a versioned JSON API that
//! validates contributed measurement records and stores them through sqlx (SQLite or
//! PostgreSQL); exports stream them back as JSONL or CSV.
//!
//! It also learns a latency model for every contributed device with enough consistent cells
//! and serves it next to the bundled ones.
//!
//! Files: `config` (settings), `app` (router, state, start/stop), `api` (handlers),
//! `models_api` (model listing and learned model files), `nasbench_api` (the NAS-Bench-101
//! accuracy file, `--nasbench`), `validate` (record checks),
//! `storage` (database), `learned_store` (learning outcomes in the database), `learn` (one
//! device's model and the refusal rules), `learn_job` (the learning pass and its background
//! job), `export` (JSONL/CSV), `error` (JSON errors and their codes), `limits` (rate limit,
//! time limit), `headers` (CSP, CORS), `static_files` (the app), `tls` (certificates, QR code).

mod api;
mod app;
mod config;
mod error;
mod export;
mod headers;
mod learn;
mod learn_job;
mod learned_store;
mod limits;
mod models_api;
mod nasbench_api;
mod static_files;
mod storage;
mod tls;
mod validate;

pub use api::now_unix_ms;
pub use app::{router, start, AppState, Running};
pub use config::{Learning, Limits, ServerConfig, Tls};
pub use error::{codes, ApiError, RecordError};
pub use export::{export_stream, Format};
pub use headers::CSP;
pub use learn::{learn_device, load_sources, model_name, LearnOptions, Outcome, Refusal, DEFAULT_MIN_CELLS};
pub use learn_job::{learn_pass, LearnerStatus, PassMode};
pub use learned_store::{LearningState, OutcomeRow, Status};
pub use storage::{device_key, hex_key, readable_key, Device, DeviceSummary, Inserted, Row, Store, StoreError};
pub use tls::{lan_addresses, qr_code, self_signed};
pub use validate::{check_record, check_records};
