//! Loads the packed whole space (`space.bin`, written by `leti space pack`, without hashes:
//! about a byte a cell): the Measure page draws cells from it once the anchors are done, and the
//! Explore page predicts every cell of it (it hashes the cells itself, in its workers). One
//! file for both, so the browser's cache serves the second page.

use crate::space::{unpack, Cell, Unpacked};

/// Where the page finds the packed space, on the page's origin.
pub const SPACE_URL: &str = "/space.bin";

/// Fetches and decodes the packed space: cells and generator codes.
pub async fn load_unpacked() -> Result<Unpacked, String> {
    let resp = gloo_net::http::Request::get(SPACE_URL).send().await.map_err(|e| format!("could not fetch {SPACE_URL}: {e}"))?;
    if !resp.ok() {
        return Err(format!("could not fetch {SPACE_URL}: HTTP {} (build it with `leti space pack --out www/space.bin`)", resp.status()));
    }
    let bytes = resp.binary().await.map_err(|e| format!("could not read {SPACE_URL}: {e}"))?;
    unpack(&bytes).map_err(|e| format!("{SPACE_URL}: {e}"))
}

/// Fetches and decodes the packed space's cells.
pub async fn load() -> Result<Vec<Cell>, String> {
    load_unpacked().await.map(|u| u.cells)
}
