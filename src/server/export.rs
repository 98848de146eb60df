//! Export formats: JSONL (each line exactly one stored `MeasurementRecord`, what `leti train`
//! and `leti import` read) and CSV (one flat row of summary columns per record), produced as a
//! stream of chunks walking the table page by page, so exports of any size use little memory.

use bytes::Bytes;
use futures_util::stream::{self, Stream};

use super::storage::{page_start, Store, StoreError};
use crate::measure::{MeasurementRecord, TimingMode};

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

const CSV_COLUMNS: [&str; 28] = [
    "id",
    "schema_version",
    "created_unix_ms",
    "hash",
    "num_vertices",
    "num_edges",
    "adapter_vendor",
    "adapter_architecture",
    "adapter_device",
    "adapter_backend",
    "adapter_driver",
    "device_label",
    "engine_version",
    "mode",
    "wall_median_ms",
    "wall_p10_ms",
    "wall_p90_ms",
    "wall_mad_ms",
    "wall_cov",
    "wall_runs",
    "gpu_median_ms",
    "gpu_p10_ms",
    "gpu_p90_ms",
    "noisy",
    "warmup_runs",
    "run_id",
    "run_sequence",
    "thermal_ratio",
];

fn csv_line(fields: &[String]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).expect("writing CSV to memory");
    w.into_inner().expect("writing CSV to memory")
}

/// A contributor's string as a CSV field: one starting with `=`, `+`, `-`, `@`, tab or CR gets a
/// leading `'` so spreadsheets show it as text instead of evaluating it as a formula.
pub fn spreadsheet_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The CSV header line.
pub fn csv_header() -> Vec<u8> {
    csv_line(&CSV_COLUMNS.map(String::from))
}

/// One CSV line for a record (fields quoted by the csv crate where needed).
pub fn csv_row(r: &MeasurementRecord) -> Vec<u8> {
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mode = match r.mode {
        TimingMode::Plain => "plain",
        TimingMode::PerDispatch => "per_dispatch",
        TimingMode::PerPass => "per_pass",
        TimingMode::WholePass => "whole_pass",
    };
    let (nv, ne) = r.cell.validate().map(|c| (c.num_vertices(), c.num_edges())).unwrap_or((0, 0));
    let fields = [
        r.id.clone(),
        r.schema_version.to_string(),
        r.created_unix_ms.to_string(),
        r.hash.to_hex(),
        nv.to_string(),
        ne.to_string(),
        spreadsheet_safe(&r.adapter.vendor),
        spreadsheet_safe(&r.adapter.architecture),
        spreadsheet_safe(&r.adapter.device),
        spreadsheet_safe(&r.adapter.backend),
        spreadsheet_safe(&r.adapter.driver),
        spreadsheet_safe(r.client.device_label.as_deref().unwrap_or_default()),
        spreadsheet_safe(&r.client.engine_version),
        mode.to_string(),
        r.wall.median_ms.to_string(),
        r.wall.p10_ms.to_string(),
        r.wall.p90_ms.to_string(),
        r.wall.mad_ms.to_string(),
        r.wall.cov.to_string(),
        r.wall.runs.to_string(),
        opt(r.gpu.map(|g| g.median_ms)),
        opt(r.gpu.map(|g| g.p10_ms)),
        opt(r.gpu.map(|g| g.p90_ms)),
        r.noisy.to_string(),
        r.warmup_runs.to_string(),
        spreadsheet_safe(r.run.as_ref().map(|x| x.run_id.as_str()).unwrap_or_default()),
        r.run.as_ref().map(|x| x.sequence.to_string()).unwrap_or_default(),
        opt(r.run.as_ref().and_then(|x| x.thermal_ratio)),
    ];
    csv_line(&fields)
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
                let r: MeasurementRecord = serde_json::from_str(json).map_err(|e| {
                    StoreError::Db(sqlx::Error::Decode(format!("stored record {id} does not parse: {e}").into()))
                })?;
                out.extend_from_slice(&csv_row(&r));
            }
        }
    }
    Ok(out)
}

/// Every stored record (of one device when given) in `format`, as a stream of chunks.
pub fn export_stream(store: Store, device: Option<String>, format: Format) -> impl Stream<Item = Result<Bytes, StoreError>> + Send + 'static {
    let header = match format {
        Format::Csv => Some(Bytes::from(csv_header())),
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
            let next = if (rows.len() as i64) < PAGE {
                None
            } else {
                rows.last().map(|(t, id, _)| (*t, id.clone()))
            };
            Ok(Some((Bytes::from(render(format, &rows)?), next)))
        }
    });
    futures_util::StreamExt::chain(stream::iter(header.map(Ok)), pages)
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formula_like_strings_are_quoted_for_spreadsheets() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Adreno (TM) 740"), "Adreno (TM) 740");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
