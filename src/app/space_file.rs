//! Loads the packed whole space (`space.bin`, written by `leti space pack`) that the app draws
//! cells from once the anchors are done.

use crate::space::{unpack, Cell};

/// Where the page finds the packed space, on the page's origin.
pub const SPACE_URL: &str = "/space.bin";

/// Fetches and decodes the packed space.
pub async fn load() -> Result<Vec<Cell>, String> {
    let resp = gloo_net::http::Request::get(SPACE_URL).send().await.map_err(|e| format!("could not fetch {SPACE_URL}: {e}"))?;
    if !resp.ok() {
        return Err(format!("could not fetch {SPACE_URL}: HTTP {} (build it with `leti space pack --out www/space.bin`)", resp.status()));
    }
    let bytes = resp.binary().await.map_err(|e| format!("could not read {SPACE_URL}: {e}"))?;
    unpack(&bytes).map(|u| u.cells).map_err(|e| format!("{SPACE_URL}: {e}"))
}
