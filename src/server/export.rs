//! Export formats: JSONL (each line exactly one stored `MeasurementRecord`, what `leti train`
//! and `leti import` read) and CSV (`measure::csv_row`: one flat row per record), produced as a
//! stream of chunks walking the table page by page, so exports of any size use little memory.

use bytes::Bytes;
use futures_util::stream::{self, Stream};

use super::storage::{page_start, Store, StoreError};
use crate::measure::{csv_header, csv_row, MeasurementRecord};

/// Records fetched per database round trip.
const PAGE: i64 = 1000;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }
}

fn render(format: Format, rows: &[(i64, String, String)]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(rows.len() * 1024);
    for (_, id, json) in rows {
        match format {
            Format::Jsonl => {
                out.extend_from_slice(json.as_bytes());
                out.push(b'\n');
            }
            Format::Csv => {
                let r: MeasurementRecord =
                    serde_json::from_str(json).map_err(|e| StoreError::Db(sqlx::Error::Decode(format!("stored record {id} does not parse: {e}").into())))?;
                out.extend_from_slice(&csv_row(&r, &[]));
            }
        }
    }
    Ok(out)
}

/// Every stored record (of one device when given) in `format`, as a stream of chunks.
pub fn export_stream(store: Store, device: Option<String>, format: Format) -> impl Stream<Item = Result<Bytes, StoreError>> + Send + 'static {
    let header = match format {
        Format::Csv => Some(Bytes::from(csv_header(&[]))),
        Format::Jsonl => None,
    };
    let pages = stream::try_unfold(Some(page_start()), move |after| {
        let store = store.clone();
        let device = device.clone();
        async move {
            let Some(after) = after else { return Ok(None) };
            let rows = store.page(device.as_deref(), &after, PAGE).await?;
            if rows.is_empty() {
                return Ok(None);
            }
            let next = if (rows.len() as i64) < PAGE { None } else { rows.last().map(|(t, id, _)| (*t, id.clone())) };
            Ok(Some((Bytes::from(render(format, &rows)?), next)))
        }
    });
    futures_util::StreamExt::chain(stream::iter(header.map(Ok)), pages)
}
