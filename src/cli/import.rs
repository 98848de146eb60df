//! `leti import`: adds the records of a JSONL file to a database. Every line is validated
//! exactly as the API validates uploads; if any line is invalid nothing is written and every
//! bad line is reported. The import is one transaction and idempotent: records already stored
//! with the same content are skipped, the same id with different content aborts it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::Value;

use super::db_args::{runtime, DbArgs};
use crate::server::{check_record, now_unix_ms, RecordError, Row, StoreError};

#[derive(Clone, Debug, Args)]
pub struct ImportArgs {
    /// JSONL file of MeasurementRecords (`-` for standard input); blank lines are skipped.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Reads and validates every line; returns the rows or every line's error (1-based line numbers).
pub fn read_rows(reader: impl BufRead, now: u64) -> anyhow::Result<Result<Vec<Row>, Vec<RecordError>>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let index = i + 1;
        let value: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                errors.push(RecordError { index, id: None, code: crate::server::codes::BAD_FIELD, message: format!("not JSON: {e}") });
                continue;
            }
        };
        match check_record(&value, now) {
            Ok(r) => {
                let row = Row::new(&r, now);
                if !seen.insert(row.id.clone()) {
                    errors.push(RecordError {
                        index,
                        id: Some(row.id),
                        code: crate::server::codes::DUPLICATE_ID,
                        message: "this id appears on an earlier line".into(),
                    });
                } else {
                    rows.push(row);
                }
            }
            Err((code, message)) => {
                let id = value.get("id").and_then(Value::as_str).map(|s| s.chars().take(40).collect());
                errors.push(RecordError { index, id, code, message });
            }
        }
    }
    Ok(if errors.is_empty() { Ok(rows) } else { Err(errors) })
}

pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    let reader: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
        Box::new(BufReader::new(f))
    };
    let rows = match read_rows(reader, now_unix_ms())? {
        Ok(rows) => rows,
        Err(errors) => {
            for e in errors.iter().take(100) {
                eprintln!("line {}: {} ({}){}", e.index, e.message, e.code, e.id.as_ref().map(|i| format!(" [id {i}]")).unwrap_or_default());
            }
            if errors.len() > 100 {
                eprintln!("... and {} more", errors.len() - 100);
            }
            bail!("{} invalid lines in {}; nothing was imported", errors.len(), args.file.display());
        }
    };
    runtime()?.block_on(async {
        let store = args.db.open().await?;
        let result = store.insert(&rows).await;
        store.close().await;
        match result {
            Ok(done) => {
                eprintln!("imported {} records from {}: {} new, {} already present", rows.len(), args.file.display(), done.new, done.duplicates);
                Ok(())
            }
            Err(StoreError::Conflict(ids)) => bail!("{} ids are already stored with different content; nothing was imported: {}", ids.len(), ids.join(", ")),
            Err(e) => Err(e.into()),
        }
    })
}
