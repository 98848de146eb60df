//! `--nasbench FILE` of `leti predict` and `leti export`: a cell's NAS-Bench-101 results at 108
//! epochs from an accuracy file (`leti nasbench import` output), as a JSON field or CSV columns.

use std::path::Path;

use anyhow::Context;
use serde_json::{json, Value};

use crate::measure::{csv_row, MeasurementRecord};
use crate::space::{Accuracies, Cell};

/// The budget joined: the one both dataset files have.
pub const JOIN_EPOCHS: u16 = 108;

/// The CSV columns the join adds (empty where the file lacks the cell or the budget).
pub const CSV_COLUMNS: [&str; 5] =
    ["nasbench_test_accuracy", "nasbench_validation_accuracy", "nasbench_training_seconds", "nasbench_repeats", "nasbench_params"];

/// An accuracy file, ready to join cells to.
pub struct NasbenchJoin {
    table: Accuracies,
    /// Position of [`JOIN_EPOCHS`] among the file's budgets.
    budget: Option<usize>,
}

/// One cell's joined results.
struct Joined {
    /// Mean test and validation accuracy and training seconds, and the repeats, at 108 epochs.
    mean: Option<(f64, f64, f64, usize)>,
    params: Option<u32>,
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

impl NasbenchJoin {
    /// Reads an accuracy file.
    pub fn load(path: &Path) -> anyhow::Result<NasbenchJoin> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let table = Accuracies::from_bytes(&bytes).with_context(|| format!("in {}", path.display()))?;
        let budget = table.budget_index(JOIN_EPOCHS);
        if budget.is_none() {
            eprintln!("note: {} has no results at {JOIN_EPOCHS} epochs; only parameters are joined", path.display());
        }
        Ok(NasbenchJoin { table, budget })
    }

    /// The results of the cell at `index` of the table (`None`: not in the table).
    fn joined(&self, index: Option<usize>) -> Joined {
        let Some(i) = index else { return Joined { mean: None, params: None } };
        let mean = self.budget.and_then(|b| self.table.mean(i, b));
        Joined {
            mean: mean.map(|m| (round_to(m.test_accuracy, 6), round_to(m.validation_accuracy, 6), round_to(m.training_seconds, 2), m.repeats)),
            params: Some(self.table.params[i]).filter(|&p| p > 0),
        }
    }

    /// The `nasbench` field for a cell drawn in any vertex order.
    pub fn json_for_cell(&self, cell: &Cell) -> Value {
        self.json(self.table.index_of(cell))
    }

    /// The `nasbench` field for the space cell with generator code `code`.
    pub fn json_for_code(&self, code: u32) -> Value {
        self.json(self.table.codes.binary_search(&code).ok())
    }

    /// `null` when the file has nothing on the cell; otherwise its results at 108 epochs (null
    /// accuracies and 0 repeats when the file lacks that budget) and its parameters.
    fn json(&self, index: Option<usize>) -> Value {
        let j = self.joined(index);
        if j.mean.is_none() && j.params.is_none() {
            return Value::Null;
        }
        let (test, validation, seconds, repeats) = j.mean.map_or((None, None, None, 0), |(t, v, s, r)| (Some(t), Some(v), Some(s), r));
        json!({"epochs": JOIN_EPOCHS, "test_accuracy": test, "validation_accuracy": validation, "training_seconds": seconds, "repeats": repeats, "params": j.params})
    }

    /// The [`CSV_COLUMNS`] fields of a cell.
    fn csv_fields(&self, cell: Option<&Cell>) -> [String; 5] {
        let j = self.joined(cell.and_then(|c| self.table.index_of(c)));
        let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
        [
            opt(j.mean.map(|m| m.0)),
            opt(j.mean.map(|m| m.1)),
            opt(j.mean.map(|m| m.2)),
            j.mean.map(|m| m.3.to_string()).unwrap_or_default(),
            j.params.map(|p| p.to_string()).unwrap_or_default(),
        ]
    }

    /// One exported record (a JSON line, without its newline) with the join: the line itself
    /// with a `nasbench` field added, or its CSV row with the [`CSV_COLUMNS`] after it.
    pub fn record_line(&self, line: &[u8], csv: bool) -> anyhow::Result<Vec<u8>> {
        let record: MeasurementRecord = serde_json::from_slice(line).context("a stored record does not parse")?;
        let cell = record.cell.validate().ok();
        if csv {
            let fields = self.csv_fields(cell.as_ref());
            return Ok(csv_row(&record, &fields.each_ref().map(String::as_str)));
        }
        let body = line.trim_ascii_end().strip_suffix(b"}").context("a stored record is not a JSON object")?;
        let field = cell.map_or(Value::Null, |c| self.json_for_cell(&c));
        let mut out = Vec::with_capacity(line.len() + 160);
        out.extend_from_slice(body);
        out.extend_from_slice(format!(",\"nasbench\":{field}}}\n").as_bytes());
        Ok(out)
    }
}
