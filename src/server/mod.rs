//! The collector (native only): `leti serve` serves the web app and a versioned JSON API that
//! validates contributed measurement records and stores them through sqlx (SQLite or
//! PostgreSQL); exports stream them back as JSONL or CSV.
//!
//! Files: `config` (settings), `app` (router, state, start/stop), `api` (handlers),
//! `validate` (record checks), `storage` (database), `export` (JSONL/CSV), `error` (JSON
//! errors and their codes), `limits` (rate limit, time limit), `headers` (CSP, CORS),
//! `static_files` (the app), `tls` (certificates, QR code).

mod api;
mod app;
mod config;
mod error;
mod export;
mod headers;
mod limits;
mod static_files;
mod storage;
mod tls;
mod validate;

pub use api::now_unix_ms;
pub use app::{router, start, AppState, Running};
pub use config::{Limits, ServerConfig, Tls};
pub use error::{codes, ApiError, RecordError};
pub use export::{csv_header, csv_row, export_stream, Format};
pub use headers::CSP;
pub use storage::{device_key, Device, DeviceSummary, Inserted, Row, Store, StoreError};
pub use tls::{lan_addresses, qr_code, self_signed};
pub use validate::{check_record, check_records};
