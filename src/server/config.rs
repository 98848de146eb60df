//! The collector's configuration: where it listens, which database, which directories it
//! serves, TLS, CORS, request limits and background learning. Filled by `leti serve`'s flags
//! or directly by tests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Request limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Most records in one batch.
    pub max_batch: usize,
    /// Sustained API requests per minute per client IP; 0 turns the limit off.
    pub rate_per_minute: u32,
    /// API requests a client may make at once before the sustained rate applies.
    pub rate_burst: u32,
    /// Longest time a request may take before it is answered with 503 `timeout`.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_body_bytes: 4 * 1024 * 1024, max_batch: 200, rate_per_minute: 600, rate_burst: 60, request_timeout: Duration::from_secs(30) }
    }
}

/// TLS setup.
#[derive(Clone, Debug)]
pub enum Tls {
    Off,
    /// A self-signed certificate for this machine's addresses, created once in `dir` and reused.
    SelfSigned {
        dir: PathBuf,
    },
    /// A certificate chain and private key, PEM files.
    Files {
        cert: PathBuf,
        key: PathBuf,
    },
}

/// The background learning job (`server::learn_job`).
#[derive(Clone, Debug)]
pub struct Learning {
    /// Time between passes; zero turns learning off. The first pass runs at start.
    pub interval: Duration,
    /// Distinct cells a device needs before a model is learned.
    pub min_cells: usize,
}

impl Default for Learning {
    fn default() -> Self {
        Learning { interval: Duration::from_secs(60), min_cells: super::learn::DEFAULT_MIN_CELLS }
    }
}

/// Everything `leti serve` needs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// SQLite file used when `database_url` is not given.
    pub db_path: PathBuf,
    /// `postgres://...` (or `sqlite:...`) URL; overrides `db_path`.
    pub database_url: Option<String>,
    /// The built web app.
    pub web_root: PathBuf,
    /// JSON regressors listed by `/api/v1/models` and served under `/models/`; its
    /// `*.model.json` are the sources of learned device models.
    pub models_dir: PathBuf,
    pub tls: Tls,
    /// Origins other than the app's own allowed to call the API from a browser.
    pub cors_origins: Vec<String>,
    pub limits: Limits,
    pub learning: Learning,
    /// A NAS-Bench-101 accuracy file (`leti nasbench import`) served at `/api/v1/nasbench`.
    pub nasbench: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db_path: PathBuf::from("leti.sqlite"),
            database_url: None,
            web_root: PathBuf::from("www"),
            models_dir: PathBuf::from("trained"),
            tls: Tls::Off,
            cors_origins: Vec::new(),
            limits: Limits::default(),
            learning: Learning::default(),
            nasbench: None,
        }
    }
}
