//! The application: shared state, the router (API, health, models, static app) with its
//! layers (limits, compression, security headers, CORS, tracing), and starting / stopping
//! the HTTP(S) server and its background learning job.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use super::api;
use super::config::{Limits, ServerConfig, Tls};
use super::headers;
use super::learn_job::{self, LearnerStatus};
use super::limits::{rate_limit, time_limit, RateLimiter};
use super::models_api;
use super::nasbench_api;
use super::static_files;
use super::storage::Store;
use super::tls;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub limits: Arc<Limits>,
    pub models_dir: Arc<PathBuf>,
    /// The accuracy file's bytes (`--nasbench`), checked at start-up.
    pub nasbench: Option<Arc<Vec<u8>>>,
}

/// Builds the whole router over an open store.
pub fn router(config: &ServerConfig, store: Store) -> anyhow::Result<Router> {
    let nasbench = config.nasbench.as_deref().map(nasbench_api::load).transpose()?;
    let state = AppState { store, limits: Arc::new(config.limits.clone()), models_dir: Arc::new(config.models_dir.clone()), nasbench };
    let mut api = Router::new()
        .route("/measurements", post(api::post_measurements).get(api::get_measurements))
        .route("/devices", get(api::get_devices))
        .route("/models", get(models_api::get_models))
        .route("/models/learned/{name}", get(models_api::get_learned))
        .route("/nasbench", get(nasbench_api::get_nasbench))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(config.limits.max_body_bytes));
    if let Some(limiter) = RateLimiter::new(config.limits.rate_per_minute, config.limits.rate_burst) {
        api = api.layer(middleware::from_fn_with_state(Arc::new(limiter), rate_limit));
    }
    let mut app = Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(api::healthz))
        .nest_service("/models", ServeDir::new(&config.models_dir))
        .with_state(state)
        .merge(static_files::router(&config.web_root))
        .layer(middleware::from_fn_with_state(config.limits.request_timeout, time_limit))
        .layer(CompressionLayer::new());
    for layer in headers::security_headers() {
        app = app.layer(layer);
    }
    if let Some(cors) = headers::cors(&config.cors_origins)? {
        app = app.layer(cors);
    }
    Ok(app.layer(TraceLayer::new_for_http()))
}

/// A running server.
pub struct Running {
    /// Where it listens (the real port when the configured one was 0).
    pub addr: SocketAddr,
    /// `http` or `https`.
    pub scheme: &'static str,
    pub store: Store,
    /// What the background learning job is doing.
    pub learner: Arc<LearnerStatus>,
    learn_task: Option<tokio::task::JoinHandle<()>>,
    handle: Handle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The base URL, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Stops learning and accepting connections, lets requests in flight finish (up to 10 s),
    /// closes the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        if let Some(t) = &self.learn_task {
            t.abort();
        }
        self.handle.graceful_shutdown(Some(Duration::from_secs(10)));
        self.task.await??;
        self.store.close().await;
        Ok(())
    }

    /// Waits until the server stops by itself (it only does on an error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        anyhow::bail!("the server stopped")
    }
}

/// A client gets 30 s to send its request headers (a body that trickles in is cut by the
/// request time limit).
fn slow_client_limits(builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>) {
    builder.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(Duration::from_secs(30));
}

/// Opens the database, binds the address and starts serving in the background.
pub async fn start(config: &ServerConfig) -> anyhow::Result<Running> {
    let store = Store::open(&config.db_path, config.database_url.as_deref()).await?;
    let app = router(config, store.clone())?;
    let listener = std::net::TcpListener::bind(config.addr).map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handle = Handle::new();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let (scheme, task) = match &config.tls {
        Tls::Off => {
            let mut server = axum_server::from_tcp(listener).handle(handle.clone());
            slow_client_limits(server.http_builder());
            ("http", tokio::spawn(server.serve(service)))
        }
        other => {
            let (cert, key) = match other {
                Tls::Files { cert, key } => (cert.clone(), key.clone()),
                Tls::SelfSigned { dir } => tls::self_signed(dir, &tls::lan_addresses())?,
                Tls::Off => unreachable!(),
            };
            tls::install_crypto_provider();
            let rustls = RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|e| anyhow::anyhow!("cannot load the certificate {} / key {}: {e}", cert.display(), key.display()))?;
            let mut server = axum_server::from_tcp_rustls(listener, rustls).handle(handle.clone());
            slow_client_limits(server.http_builder());
            ("https", tokio::spawn(server.serve(service)))
        }
    };
    let learner = Arc::new(LearnerStatus::default());
    let learn_task = learn_job::spawn(store.clone(), config.learning.clone(), config.models_dir.clone(), learner.clone());
    Ok(Running { addr, scheme, store, learner, learn_task, handle, task })
}
