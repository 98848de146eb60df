//! `leti serve`: the web app, the measurement collector and its device-model learning.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::db_args::{runtime, DbArgs};
use crate::server::{lan_addresses, qr_code, start, Learning, Limits, ServerConfig, Tls};

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080; with --tls 0.0.0.0:8443, reachable from the LAN].
    #[arg(long, value_name = "IP:PORT")]
    pub addr: Option<SocketAddr>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Directory of the built web app.
    #[arg(long, value_name = "DIR", default_value = "www")]
    pub web_root: PathBuf,
    /// Directory of trained regressors (*.json) offered to the app; its *.model.json are the
    /// known devices that learned device models borrow from.
    #[arg(long, value_name = "DIR", default_value = "trained")]
    pub models_dir: PathBuf,
    /// A NAS-Bench-101 accuracy file (written by `leti nasbench import`) to serve at
    /// /api/v1/nasbench: Explore then plots accuracy against latency and Draw shows a cell's
    /// accuracies.
    #[arg(long, value_name = "FILE")]
    pub nasbench: Option<PathBuf>,
    /// Serve HTTPS (phones need it for WebGPU): with a self-signed certificate for this machine's
    /// addresses, created in --tls-dir and reused, unless --cert and --key are given.
    #[arg(long)]
    pub tls: bool,
    /// PEM certificate chain (implies --tls; needs --key).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// PEM private key (implies --tls; needs --cert).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Where the self-signed certificate is kept.
    #[arg(long, value_name = "DIR", default_value = ".leti-tls")]
    pub tls_dir: PathBuf,
    /// Another origin allowed to call the API from a browser (repeatable); by default only the app's own.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// Most records per uploaded batch.
    #[arg(long, default_value_t = Limits::default().max_batch)]
    pub max_batch: usize,
    /// Sustained API requests per minute per client IP (0: no limit).
    #[arg(long, default_value_t = Limits::default().rate_per_minute)]
    pub rate_per_minute: u32,
    /// API requests a client may burst before the rate applies.
    #[arg(long, default_value_t = Limits::default().rate_burst)]
    pub rate_burst: u32,
    /// Seconds a request may take before it is answered with 503.
    #[arg(long, default_value_t = Limits::default().request_timeout.as_secs())]
    pub request_timeout_s: u64,
    /// Seconds between learning passes (a model for every device with new records and at least
    /// --learn-min-cells distinct consistent cells); 0 turns learning off.
    #[arg(long, default_value_t = Learning::default().interval.as_secs())]
    pub learn_interval_s: u64,
    /// Distinct cells a device needs before the collector learns its model.
    #[arg(long, default_value_t = Learning::default().min_cells)]
    pub learn_min_cells: usize,
}

impl ServeArgs {
    pub fn config(&self) -> ServerConfig {
        let tls = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Tls::Files { cert: cert.clone(), key: key.clone() },
            _ if self.tls => Tls::SelfSigned { dir: self.tls_dir.clone() },
            _ => Tls::Off,
        };
        let default_addr = match tls {
            Tls::Off => SocketAddr::from(([127, 0, 0, 1], 8080)),
            _ => SocketAddr::from(([0, 0, 0, 0], 8443)),
        };
        ServerConfig {
            addr: self.addr.unwrap_or(default_addr),
            db_path: self.db.db.clone(),
            database_url: self.db.database_url.clone(),
            web_root: self.web_root.clone(),
            models_dir: self.models_dir.clone(),
            tls,
            cors_origins: self.cors_origins.clone(),
            limits: Limits {
                max_body_bytes: self.max_body_bytes,
                max_batch: self.max_batch,
                rate_per_minute: self.rate_per_minute,
                rate_burst: self.rate_burst,
                request_timeout: Duration::from_secs(self.request_timeout_s.max(1)),
            },
            learning: Learning { interval: Duration::from_secs(self.learn_interval_s), min_cells: self.learn_min_cells },
            nasbench: self.nasbench.clone(),
        }
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("leti=info,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = args.config();
    if !config.web_root.join("index.html").is_file() {
        eprintln!("warning: {} has no index.html; build the web app or pass --web-root", config.web_root.display());
    }
    runtime()?.block_on(async move {
        let mut running = start(&config).await?;
        // The first line of stdout names the address (scripts and tests read it).
        println!("listening on {} (database: {})", running.url(), running.store.kind());
        if running.scheme == "https" {
            print_phone_urls(&running.addr);
        }
        tokio::select! {
            _ = wait_for_stop_signal() => {}
            result = running.wait() => return result,
        }
        eprintln!("shutting down: finishing requests in flight");
        running.shutdown().await
    })
}

fn print_phone_urls(addr: &SocketAddr) {
    let hosts: Vec<String> = if addr.ip().is_unspecified() { lan_addresses().iter().map(|ip| ip.to_string()).collect() } else { vec![addr.ip().to_string()] };
    let Some(first) = hosts.first() else {
        println!("no LAN address found: connect this machine to the phone's network");
        return;
    };
    for h in &hosts {
        println!("open on your phone: https://{h}:{}/", addr.port());
    }
    println!("(the certificate is self-signed: accept the browser's warning once; see the README)");
    let url = format!("https://{first}:{}/", addr.port());
    match qr_code(&url) {
        Ok(q) => println!("{q}"),
        Err(e) => eprintln!("no QR code: {e}"),
    }
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
