//! The database flags shared by `serve`, `export` and `import`.

use std::path::PathBuf;

use clap::Args;

use crate::server::Store;

#[derive(Clone, Debug, Args)]
pub struct DbArgs {
    /// SQLite database file (created if missing), used unless --database-url is given.
    #[arg(long, value_name = "PATH", default_value = "leti.sqlite")]
    pub db: PathBuf,
    /// Database URL, e.g. postgres://user:password@host/dbname (or sqlite:path); overrides --db.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    /// Opens the database and applies pending migrations.
    pub async fn open(&self) -> anyhow::Result<Store> {
        let what = self.database_url.as_deref().map(redact).unwrap_or_else(|| self.db.display().to_string());
        Store::open(&self.db, self.database_url.as_deref()).await.map_err(|e| anyhow::anyhow!("cannot open the database {what}: {e}"))
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            let user = cred.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// A runtime for commands that talk to a database or serve.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
