//! One CSV layout for measurement records, shared by the collector's export and the browser's
//! download: a flat row a record (the nested record as columns a spreadsheet can sort by), with
//! contributor strings guarded against spreadsheet formulas. A caller may append its own
//! columns (the browser adds each record's upload state).

use super::record::MeasurementRecord;

/// The record columns, in order.
pub const CSV_COLUMNS: [&str; 31] = [
    "id",
    "schema_version",
    "created_unix_ms",
    "hash",
    "num_vertices",
    "num_edges",
    "adapter_vendor",
    "adapter_architecture",
    "adapter_device",
    "adapter_description",
    "adapter_backend",
    "adapter_driver",
    "device_label",
    "engine_version",
    "mode",
    "timestamp_resolution_ns",
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
    "anchor",
    "thermal_ratio",
];

/// A contributor's string as a CSV field: one starting with `=`, `+`, `-`, `@`, tab or CR gets a
/// leading `'` so spreadsheets show it as text instead of evaluating it as a formula.
pub fn spreadsheet_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_line<S: AsRef<[u8]>>(fields: impl IntoIterator<Item = S>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).expect("writing CSV to memory");
    w.into_inner().expect("writing CSV to memory")
}

/// The header line: the record columns, then `extra`.
pub fn csv_header(extra: &[&str]) -> Vec<u8> {
    csv_line(CSV_COLUMNS.iter().chain(extra))
}

/// One line for `r` (fields quoted where needed), then the `extra` fields, guarded as
/// contributor strings.
pub fn csv_row(r: &MeasurementRecord, extra: &[&str]) -> Vec<u8> {
    csv_line(record_fields(r).into_iter().chain(extra.iter().map(|f| spreadsheet_safe(f))))
}

/// The record's fields in [`CSV_COLUMNS`] order; the contributor's strings guarded.
fn record_fields(r: &MeasurementRecord) -> [String; 31] {
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let safe = |s: &str| spreadsheet_safe(s);
    let (nv, ne) = r.cell.validate().map(|c| (c.num_vertices(), c.num_edges())).unwrap_or((0, 0));
    let run = r.run.as_ref();
    [
        r.id.clone(),
        r.schema_version.to_string(),
        r.created_unix_ms.to_string(),
        r.hash.to_hex(),
        nv.to_string(),
        ne.to_string(),
        safe(&r.adapter.vendor),
        safe(&r.adapter.architecture),
        safe(&r.adapter.device),
        safe(&r.adapter.description),
        safe(&r.adapter.backend),
        safe(&r.adapter.driver),
        safe(r.client.device_label.as_deref().unwrap_or_default()),
        safe(&r.client.engine_version),
        r.mode.as_str().to_string(),
        opt(r.timestamp_resolution_ns),
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
        safe(run.map(|x| x.run_id.as_str()).unwrap_or_default()),
        run.map(|x| x.sequence.to_string()).unwrap_or_default(),
        run.map(|x| x.anchor.to_string()).unwrap_or_default(),
        opt(run.and_then(|x| x.thermal_ratio)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_strings_are_quoted_for_spreadsheets() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Adreno (TM) 740"), "Adreno (TM) 740");
        assert_eq!(spreadsheet_safe(""), "");
    }

    #[test]
    fn header_and_row_have_the_same_width_and_extras_follow() {
        let header = String::from_utf8(csv_header(&["upload_state"])).unwrap();
        assert_eq!(header.trim_end().split(',').count(), CSV_COLUMNS.len() + 1);
        assert!(header.trim_end().ends_with(",upload_state"));
        let line = |r: &MeasurementRecord| String::from_utf8(csv_row(r, &["pending"])).unwrap();
        let mut r: MeasurementRecord = serde_json::from_str(include_str!("../../tests/fixtures/device-fit.records.jsonl").lines().next().unwrap()).unwrap();
        r.adapter.device = "=HYPERLINK(\"x\")".into();
        let row = line(&r);
        let fields = csv::ReaderBuilder::new().has_headers(false).from_reader(row.as_bytes()).records().next().unwrap().unwrap();
        assert_eq!(fields.len(), CSV_COLUMNS.len() + 1, "{row}");
        let at = |c: &str| &fields[CSV_COLUMNS.iter().position(|x| *x == c).unwrap()];
        assert_eq!(at("adapter_device"), "'=HYPERLINK(\"x\")");
        assert_eq!(at("hash"), r.hash.to_hex());
        assert_eq!(at("mode"), r.mode.as_str());
        assert_eq!(&fields[CSV_COLUMNS.len()], "pending");
    }
}
