//! Serving the built web app from a directory: MIME types from the file extension
//! (`.wasm` as `application/wasm`), precompressed `.br`/`.gz` siblings when present,
//! `Last-Modified` revalidation, and cache headers: `index.html` and other unhashed files
//! are revalidated on every load, file names carrying a content hash are cached for a year.
//! A path with no file behind it gets the app shell (`index.html`) with status 404, so the
//! browser shows the app's own "page not found" with its navigation, not a bare error.

use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

/// The router serving `web_root` (`/` gives `index.html`; a missing path, the shell with 404).
pub fn router(web_root: &Path) -> Router {
    let shell = ServeFile::new(web_root.join("index.html"));
    let dir = ServeDir::new(web_root).precompressed_br().precompressed_gzip().append_index_html_on_directories(true).not_found_service(shell);
    Router::new().fallback_service(dir).layer(middleware::from_fn(cache_headers))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let immutable = is_hashed_asset(req.uri().path());
    let mut resp = next.run(req).await;
    if resp.status().is_success() || resp.status() == axum::http::StatusCode::NOT_MODIFIED {
        let value = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    resp
}

/// Whether the file name carries a content hash, as bundlers write them:
/// `name-0123abcd4567ef89.wasm`, `name.0123abcd.js` (at least 8 hex digits).
pub fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    file.split(['-', '.', '_']).skip(1).any(|p| p.len() >= 8 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed_asset("/leti-9f86d081884c7d65_bg.wasm"));
        assert!(is_hashed_asset("/assets/app.0123abcd.js"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/"));
        assert!(!is_hashed_asset("/leti_bg.wasm"));
        assert!(!is_hashed_asset("/space.bin"));
    }
}
