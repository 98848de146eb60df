//! Response headers for safety: a Content-Security-Policy that lets the app run its wasm
//! (`'wasm-unsafe-eval'`) but nothing from elsewhere, no sniffing, no framing, no referrer;
//! cross-origin isolation (COOP/COEP), which also gives the app finer `performance.now()`
//! timers; and CORS, off (same origin only) unless extra origins are configured.

use axum::http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy sent with every response.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                       img-src 'self' data:; connect-src 'self'; worker-src 'self'; object-src 'none'; \
                       base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The fixed security headers (each set only if the handler did not set it).
pub fn security_headers() -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let fixed: [(HeaderName, &'static str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("cross-origin-embedder-policy"), "require-corp"),
    ];
    fixed.into_iter().map(|(name, value)| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))).collect()
}

/// CORS for the configured extra origins; `None` when there are none (browsers then allow
/// only the app's own origin to read API responses).
pub fn cors(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let list = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).map_err(|_| anyhow::anyhow!("--cors-origin {o:?} is not a valid origin")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Some(CorsLayer::new().allow_origin(AllowOrigin::list(list)).allow_methods([Method::GET, Method::POST]).allow_headers([header::CONTENT_TYPE])))
}
