//! The import of NAS-Bench-101's dataset file (`nasbench_only108.tfrecord` or
//! `nasbench_full.tfrecord`, which users download themselves) into our [`Accuracies`] table.
//!
//! Each TFRecord record is one training run of one cell at one epoch budget: a JSON array of
//! the module hash (32 hex digits), the epoch budget, the adjacency matrix as a string of
//! `0`/`1` digits (row-major), the ops joined by commas, and the run's metrics as base64 of a
//! serialized `nasbench.ModelMetrics` protobuf (proto2). Of the metrics' evaluations (at
//! initialisation, halfway and at the end of training) the final one is kept: its test and
//! validation accuracy and training time, with the network's trainable parameters.
//!
//! Every row is checked: the cell must prune to a valid cell whose module hash is the row's,
//! the budget must be one NAS-Bench-101 trains for, a cell keeps at most [`MAX_REPEATS`] runs
//! a budget and one parameter count. Errors name the record (from 1) and its byte offset.

use std::io::Read;

use base64::Engine;
use prost::Message;
use rustc_hash::FxHashMap;

use super::accuracy::{Accuracies, TrainingRun, EPOCH_BUDGETS, MAX_REPEATS};
use super::enumerate::Space;
use super::hash::ModuleHash;
use super::spec::{Cell, CellSpec};
use super::tfrecord::{TfRecordError, TfRecordReader};

/// `nasbench.ModelMetrics` (model_metrics.proto): one training run's metrics.
#[derive(Clone, PartialEq, prost::Message)]
struct ModelMetrics {
    /// Evaluations during training: at initialisation, halfway, at the end.
    #[prost(message, repeated, tag = "1")]
    evaluation_data: Vec<EvaluationData>,
    #[prost(int32, optional, tag = "2")]
    trainable_parameters: Option<i32>,
    /// Training and evaluation time in seconds (diagnostic; not kept).
    #[prost(double, optional, tag = "3")]
    total_time: Option<f64>,
}

/// `nasbench.EvaluationData`: the metrics at one point of training.
#[derive(Clone, PartialEq, prost::Message)]
struct EvaluationData {
    #[prost(double, optional, tag = "1")]
    current_epoch: Option<f64>,
    /// Seconds of training up to this point, evaluation excluded.
    #[prost(double, optional, tag = "2")]
    training_time: Option<f64>,
    #[prost(double, optional, tag = "3")]
    train_accuracy: Option<f64>,
    #[prost(double, optional, tag = "4")]
    validation_accuracy: Option<f64>,
    #[prost(double, optional, tag = "5")]
    test_accuracy: Option<f64>,
    #[prost(string, optional, tag = "6")]
    checkpoint_path: Option<String>,
}

/// The evaluation kept of each run: the end of training.
const FINAL_EVALUATION: usize = 2;

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The TFRecord framing is broken (truncated or corrupt file, or a read error).
    #[error(transparent)]
    File(#[from] TfRecordError),
    /// A record's row is not a valid dataset row.
    #[error("record {record} (byte offset {offset}): {message}")]
    Row { record: u64, offset: u64, message: String },
    #[error("the file holds no records; a NAS-Bench-101 dataset file holds one per training run")]
    Empty,
}

/// One epoch budget's share of an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetSummary {
    pub epochs: u16,
    /// Cells with at least one run.
    pub cells: usize,
    /// Training runs (records) at this budget.
    pub runs: u64,
}

/// What an import read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSummary {
    pub records: u64,
    pub bytes: u64,
    /// The budgets the file has, ascending.
    pub budgets: Vec<BudgetSummary>,
}

/// One dataset row as the file has it.
#[derive(Debug, serde::Deserialize)]
struct Row(String, u64, String, String, String);

/// Reads a whole dataset file: every record into a table over `space`'s cells (in its order),
/// keeping only the budgets the file has. `progress` gets the bytes read after each record.
pub fn import(reader: impl Read, space: &Space, mut progress: impl FnMut(u64)) -> Result<(Accuracies, ImportSummary), ImportError> {
    let mut importer = Importer::new(space);
    let mut records = TfRecordReader::new(reader);
    loop {
        let offset = records.bytes_read();
        let Some(data) = records.next_record() else { break };
        importer.add(&data?).map_err(|message| ImportError::Row { record: records.records_read(), offset, message })?;
        progress(records.bytes_read());
    }
    importer.finish(records.records_read(), records.bytes_read())
}

/// The table being filled, with the space's hash index.
struct Importer {
    index: FxHashMap<ModuleHash, u32>,
    /// Per cell of the space, the drawing a row has already been checked to hash to it (each
    /// cell has a row per run: hashing it once is enough).
    verified: Vec<Option<Cell>>,
    table: Accuracies,
    /// Runs per budget, in [`EPOCH_BUDGETS`] order.
    runs: [u64; EPOCH_BUDGETS.len()],
}

impl Importer {
    fn new(space: &Space) -> Importer {
        let index = space.entries.iter().enumerate().map(|(i, e)| (e.hash, i as u32)).collect();
        let codes = space.entries.iter().map(|e| e.code).collect();
        let table = Accuracies::new(codes, EPOCH_BUDGETS.to_vec());
        Importer { index, verified: vec![None; space.len()], table, runs: [0; EPOCH_BUDGETS.len()] }
    }

    /// Adds one record's run; the error says what is wrong with the row.
    fn add(&mut self, data: &[u8]) -> Result<(), String> {
        let row: Row = serde_json::from_slice(data).map_err(|e| format!("not a dataset row (a JSON array of hash, epochs, adjacency, ops, metrics): {e}"))?;
        let Row(hash, epochs, adjacency, operations, metrics) = row;
        let index = self.verified_index(&hash, &row_cell(&adjacency, &operations)?)?;
        let b = EPOCH_BUDGETS
            .iter()
            .position(|&e| u64::from(e) == epochs)
            .ok_or_else(|| format!("{epochs} epochs is not a NAS-Bench-101 budget (4, 12, 36 or 108)"))?;
        let (run, params) = final_run(&metrics)?;
        match self.table.params[index] {
            0 => self.table.params[index] = params,
            p if p != params => return Err(format!("cell {hash} has {params} trainable parameters here but {p} in an earlier record")),
            _ => {}
        }
        if !self.table.push_run(index, b, run) {
            return Err(format!("cell {hash} already has {MAX_REPEATS} training runs at {epochs} epochs; this would be one more"));
        }
        self.runs[b] += 1;
        Ok(())
    }

    /// The space index of a row's cell, once the cell is known to hash to the row's hash.
    fn verified_index(&mut self, row_hash: &str, cell: &Cell) -> Result<usize, String> {
        let claimed = ModuleHash::from_hex(row_hash).and_then(|h| self.index.get(&h)).map(|&i| i as usize);
        if let Some(i) = claimed.filter(|&i| self.verified[i] == Some(*cell)) {
            return Ok(i);
        }
        let computed = cell.hash();
        if computed.to_hex() != row_hash {
            return Err(format!("the row's module hash {row_hash:?} is not its cell's ({computed})"));
        }
        let i = claimed.ok_or_else(|| format!("cell {computed} is not in the NAS-Bench-101 space"))?;
        self.verified[i] = Some(*cell);
        Ok(i)
    }

    fn finish(self, records: u64, bytes: u64) -> Result<(Accuracies, ImportSummary), ImportError> {
        if records == 0 {
            return Err(ImportError::Empty);
        }
        let table = self.table.without_empty_budgets();
        let budgets = (0..table.budgets.len())
            .map(|b| {
                let epochs = table.budgets[b];
                let runs = EPOCH_BUDGETS.iter().position(|&e| e == epochs).map_or(0, |i| self.runs[i]);
                BudgetSummary { epochs, cells: table.covered(b), runs }
            })
            .collect();
        Ok((table, ImportSummary { records, bytes, budgets }))
    }
}

/// The pruned cell of a row's adjacency digits (`dim * dim`, row-major) and comma-joined ops.
fn row_cell(adjacency: &str, operations: &str) -> Result<Cell, String> {
    let digits = adjacency.as_bytes();
    let dim = (digits.len() as f64).sqrt().round() as usize;
    if dim * dim != digits.len() {
        return Err(format!("the adjacency has {} digits, not a square number", digits.len()));
    }
    if let Some(at) = digits.iter().position(|d| !matches!(d, b'0' | b'1')) {
        return Err(format!("the adjacency has {:?} at position {at}; its digits must be 0 or 1", adjacency[at..].chars().next().unwrap_or('?')));
    }
    let matrix = digits.chunks(dim.max(1)).map(|row| row.iter().map(|d| d - b'0').collect()).collect();
    let ops = operations.split(',').map(str::to_string).collect();
    CellSpec::new(matrix, ops).validate().map_err(|e| format!("invalid cell: {e}"))
}

/// The final evaluation of a run and its trainable parameters, from the row's base64 metrics.
fn final_run(metrics: &str) -> Result<(TrainingRun, u32), String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(metrics).map_err(|e| format!("the metrics are not base64: {e}"))?;
    let m = ModelMetrics::decode(bytes.as_slice()).map_err(|e| format!("the metrics are not a ModelMetrics protobuf: {e}"))?;
    let params = match m.trainable_parameters {
        Some(p) if p > 0 => p as u32,
        other => return Err(format!("the metrics' trainable_parameters is {other:?}; a positive count is expected")),
    };
    let last = m
        .evaluation_data
        .get(FINAL_EVALUATION)
        .ok_or_else(|| format!("the metrics hold {} evaluations; the final one (at the end of training) is the third", m.evaluation_data.len()))?;
    let field = |name: &str, v: Option<f64>| v.filter(|x| x.is_finite()).ok_or_else(|| format!("the final evaluation has no finite {name}"));
    let run = TrainingRun {
        test_accuracy: field("test_accuracy", last.test_accuracy)?,
        validation_accuracy: field("validation_accuracy", last.validation_accuracy)?,
        training_seconds: field("training_time", last.training_time)?,
    };
    Ok((run, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(params: Option<i32>, evaluations: usize) -> String {
        let eval = |k: usize| EvaluationData {
            current_epoch: Some(k as f64 * 54.0),
            training_time: Some(100.0 * k as f64),
            train_accuracy: Some(0.5),
            validation_accuracy: Some(0.9 + k as f64 * 0.01),
            test_accuracy: Some(0.8 + k as f64 * 0.01),
            checkpoint_path: Some(String::new()),
        };
        let m = ModelMetrics { evaluation_data: (0..evaluations).map(eval).collect(), trainable_parameters: params, total_time: Some(1.0) };
        base64::engine::general_purpose::STANDARD.encode(m.encode_to_vec())
    }

    #[test]
    fn the_final_evaluation_and_parameters_are_kept() {
        let (run, params) = final_run(&metrics(Some(1234), 3)).unwrap();
        assert_eq!(params, 1234);
        assert_eq!(run, TrainingRun { test_accuracy: 0.8 + 0.02, validation_accuracy: 0.9 + 0.02, training_seconds: 200.0 });
        assert!(final_run(&metrics(Some(1234), 2)).unwrap_err().contains("2 evaluations"));
        assert!(final_run(&metrics(None, 3)).unwrap_err().contains("trainable_parameters"));
        assert!(final_run("not base64!").unwrap_err().contains("base64"));
        assert!(final_run("AAAA").unwrap_err().contains("protobuf"));
    }

    #[test]
    fn adjacency_digits_become_the_pruned_cell() {
        let cell = row_cell("0110001000010000", "input,conv3x3-bn-relu,maxpool3x3,output").unwrap();
        assert_eq!(cell.num_vertices(), 4);
        assert_eq!(cell.num_edges(), 4);
        // Vertex 1 reaches nothing: pruned away, leaving input -> output.
        let cell = row_cell("011000000", "input,conv3x3-bn-relu,output").unwrap();
        assert_eq!((cell.num_vertices(), cell.num_edges()), (2, 1));
        assert!(row_cell("010000000", "input,conv3x3-bn-relu,output").unwrap_err().contains("not connected"));
        assert!(row_cell("01100", "input,output").unwrap_err().contains("5 digits"));
        assert!(row_cell("0201", "input,output").unwrap_err().contains("'2' at position 1"));
        assert!(row_cell("0100", "input,conv9x9,output").unwrap_err().contains("invalid cell"));
    }
}
