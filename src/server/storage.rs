//! Storage of accepted records through sqlx: SQLite (embedded default; WAL, `synchronous=FULL`)
//! or PostgreSQL. Both run the same migrations (`src/server/migrations/`) and the same SQL text; the
//! [`Store`] enum only picks the pool. A batch is written in one transaction and
//! acknowledged only after its commit; inserts are idempotent on the record id.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::measure::{AdapterInfo, MeasurementRecord};
use crate::net::Precision;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./src/server/migrations");

const INSERT: &str = "INSERT INTO measurements (id, hash, device_key, device, created_unix_ms, received_unix_ms, record) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING";
const SELECT_RECORD: &str = "SELECT record FROM measurements WHERE id = $1";
const DEVICES: &str = "SELECT device_key, MIN(device), COUNT(*), MIN(created_unix_ms), MAX(created_unix_ms) \
                       FROM measurements GROUP BY device_key ORDER BY device_key";
const DISTINCT_DEVICES: &str = "SELECT DISTINCT device_key, device FROM measurements";
const REKEY: &str = "UPDATE measurements SET device_key = $1 WHERE device_key = $2 AND device = $3";
const COUNT_ALL: &str = "SELECT COUNT(*) FROM measurements";
const COUNT_DEVICE: &str = "SELECT COUNT(*) FROM measurements WHERE device_key = $1";
const PAGE_ALL: &str = "SELECT created_unix_ms, id, record FROM measurements \
                        WHERE (created_unix_ms, id) > ($1, $2) ORDER BY created_unix_ms, id LIMIT $3";
const PAGE_DEVICE: &str = "SELECT created_unix_ms, id, record FROM measurements \
                           WHERE device_key = $4 AND (created_unix_ms, id) > ($1, $2) ORDER BY created_unix_ms, id LIMIT $3";

/// A database holding measurement records.
#[derive(Clone, Debug)]
pub enum Store {
    /// SQLite allows one writer at a time: `write` serialises this process's write
    /// transactions so they queue here rather than fail with SQLITE_BUSY.
    Sqlite {
        pool: SqlitePool,
        write: Arc<tokio::sync::Mutex<()>>,
    },
    Postgres {
        pool: PgPool,
    },
}

/// Runs the same code against whichever pool the store holds.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite { pool: $pool, .. } => $body,
            Store::Postgres { pool: $pool } => $body,
        }
    };
}
pub(super) use with_pool;

/// A record prepared for storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub hash: String,
    pub device_key: String,
    /// JSON of [`Device`].
    pub device: String,
    pub created_unix_ms: i64,
    pub received_unix_ms: i64,
    /// The record's canonical JSON (serde_json of the typed record).
    pub record: String,
}

/// What identifies a device: its adapter info and the contributor's optional label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub adapter: AdapterInfo,
    #[serde(default)]
    pub device_label: Option<String>,
    /// The device model the browser reported (User-Agent Client Hints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The precision the networks ran at: a device at f16 is a device of its own (absent, as
    /// before it existed, for f32).
    #[serde(default, skip_serializing_if = "Precision::is_f32")]
    pub precision: Precision,
}

/// One device seen, with how many records it contributed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceSummary {
    /// Pass as `?device=` to export only this device's records.
    pub key: String,
    /// The readable device key ([`crate::measure::device_key`]) that models name as `training.device`.
    pub device: String,
    pub adapter: AdapterInfo,
    pub device_label: Option<String>,
    pub records: i64,
    pub first_created_unix_ms: i64,
    pub last_created_unix_ms: i64,
    /// The latest learning outcome (learned, refused with the reason, waiting), if any.
    #[serde(default)]
    pub learning: Option<super::learned_store::LearningState>,
}

/// The outcome of a stored batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inserted {
    /// Records written now.
    pub new: usize,
    /// Records already stored with identical content (a retried upload).
    pub duplicates: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record ids already stored with different content: {}", .0.join(", "))]
    Conflict(Vec<String>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Row {
    pub fn new(record: &MeasurementRecord, received_unix_ms: u64) -> Row {
        let model = record.client.reported_model().map(str::to_string);
        let device = Device { adapter: record.adapter.clone(), device_label: record.client.device_label.clone(), model, precision: record.network.precision };
        let device_json = serde_json::to_string(&device).expect("device info serialises");
        Row {
            id: record.id.clone(),
            hash: record.hash.to_hex(),
            device_key: device_key(&device),
            device: device_json,
            created_unix_ms: record.created_unix_ms as i64,
            received_unix_ms: received_unix_ms as i64,
            record: serde_json::to_string(record).expect("a validated record serialises"),
        }
    }
}

/// A short stable key for a device, safe in URLs: [`hex_key`] of the one device key
/// ([`crate::measure::device_key`]), so the collector groups records as training does.
pub fn device_key(device: &Device) -> String {
    hex_key(&readable_key(device))
}

/// The readable device key ([`crate::measure::device_key`]) of a stored device.
pub fn readable_key(device: &Device) -> String {
    crate::measure::device_key_at(&device.adapter, device.device_label.as_deref(), device.model.as_deref(), device.precision)
}

/// Hex of the first 8 bytes of the MD5 of a readable device key.
pub fn hex_key(readable: &str) -> String {
    hex::encode(&Md5::digest(readable.as_bytes())[..8])
}

impl Store {
    /// Opens `database_url` when given (`postgres://...` or `sqlite:...`), else the SQLite file
    /// `db_path` (created if missing), and brings its schema up to date.
    pub async fn open(db_path: &Path, database_url: Option<&str>) -> Result<Store, StoreError> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Store::open_postgres(url).await,
            Some(url) => Store::open_sqlite(SqliteConnectOptions::from_str(url)?).await,
            None => Store::open_sqlite(SqliteConnectOptions::new().filename(db_path)).await,
        }
    }

    async fn open_sqlite(options: SqliteConnectOptions) -> Result<Store, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: every commit is fsynced to the WAL before it is acknowledged, so an
            // acknowledged batch survives a crash of the process and of the machine.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        let store = Store::Sqlite { pool, write: Arc::new(tokio::sync::Mutex::new(())) };
        store.rekey().await?;
        Ok(store)
    }

    async fn open_postgres(url: &str) -> Result<Store, StoreError> {
        let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(30)).connect(url).await?;
        MIGRATOR.run(&pool).await?;
        let store = Store::Postgres { pool };
        store.rekey().await?;
        Ok(store)
    }

    /// Brings `device_key` of rows stored by an older build (which hashed the device JSON) to
    /// [`device_key`]; one UPDATE per stale device, nothing when all keys are current.
    async fn rekey(&self) -> Result<(), StoreError> {
        let pairs: Vec<(String, String)> = with_pool!(self, pool => sqlx::query_as(DISTINCT_DEVICES).fetch_all(pool).await?);
        for (old, json) in pairs {
            let Ok(device) = serde_json::from_str::<Device>(&json) else { continue };
            let new = device_key(&device);
            if new != old {
                let _guard = self.write_lock().await;
                with_pool!(self, pool => {
                    sqlx::query(REKEY).bind(&new).bind(&old).bind(&json).execute(pool).await?;
                });
            }
        }
        Ok(())
    }

    /// This process's SQLite write lock (none for PostgreSQL): hold it around every write.
    pub(super) async fn write_lock(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self {
            Store::Sqlite { write, .. } => Some(write.lock().await),
            Store::Postgres { .. } => None,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Sqlite { .. } => "sqlite",
            Store::Postgres { .. } => "postgres",
        }
    }

    /// Writes `rows` in one transaction. A row whose id is stored already counts as a duplicate
    /// when its content is identical; if any differs, nothing is written and their ids are returned.
    pub async fn insert(&self, rows: &[Row]) -> Result<Inserted, StoreError> {
        let _guard = self.write_lock().await;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut out = Inserted::default();
            let mut conflicts = Vec::new();
            for r in rows {
                let done = sqlx::query(INSERT)
                    .bind(&r.id)
                    .bind(&r.hash)
                    .bind(&r.device_key)
                    .bind(&r.device)
                    .bind(r.created_unix_ms)
                    .bind(r.received_unix_ms)
                    .bind(&r.record)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 1 {
                    out.new += 1;
                } else {
                    let (stored,): (String,) = sqlx::query_as(SELECT_RECORD).bind(&r.id).fetch_one(&mut *tx).await?;
                    if stored == r.record {
                        out.duplicates += 1;
                    } else {
                        conflicts.push(r.id.clone());
                    }
                }
            }
            if !conflicts.is_empty() {
                tx.rollback().await?;
                return Err(StoreError::Conflict(conflicts));
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Number of stored records, of one device when given.
    pub async fn count(&self, device: Option<&str>) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let (n,): (i64,) = match device {
                Some(d) => sqlx::query_as(COUNT_DEVICE).bind(d).fetch_one(pool).await?,
                None => sqlx::query_as(COUNT_ALL).fetch_one(pool).await?,
            };
            Ok(n)
        })
    }

    /// Devices seen, with record counts.
    pub async fn devices(&self) -> Result<Vec<DeviceSummary>, StoreError> {
        let rows: Vec<(String, String, i64, i64, i64)> = with_pool!(self, pool => sqlx::query_as(DEVICES).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(key, device, records, first, last)| {
                let d: Device = serde_json::from_str(&device).unwrap_or(Device {
                    adapter: AdapterInfo::default(),
                    device_label: None,
                    model: None,
                    precision: Precision::F32,
                });
                DeviceSummary {
                    key,
                    device: readable_key(&d),
                    adapter: d.adapter,
                    device_label: d.device_label,
                    records,
                    first_created_unix_ms: first,
                    last_created_unix_ms: last,
                    learning: None,
                }
            })
            .collect())
    }

    /// Up to `limit` records after `after` (created time, id) in (created time, id) order,
    /// of one device when given: `(created_unix_ms, id, record JSON)`.
    pub async fn page(&self, device: Option<&str>, after: &(i64, String), limit: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
        with_pool!(self, pool => {
            let q = match device {
                Some(d) => sqlx::query_as(PAGE_DEVICE).bind(after.0).bind(&after.1).bind(limit).bind(d),
                None => sqlx::query_as(PAGE_ALL).bind(after.0).bind(&after.1).bind(limit),
            };
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
            Ok(())
        })
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// The start of a keyset walk: before every record.
pub fn page_start() -> (i64, String) {
    (i64::MIN, String::new())
}
