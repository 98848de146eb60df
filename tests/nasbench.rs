//! NAS-Bench-101's dataset into LETI's accuracy file, and the joins that read it: the accuracy
//! file format (round trip, bad magic, version, truncation, trailing bytes, codes out of order,
//! too many repeats, unknown budgets); a small TFRecord written here in exactly the dataset's
//! format (JSON rows, adjacency digit strings, base64 protobuf metrics encoded by hand) through
//! `leti nasbench import` and back (means, repeats, params, budgets, the README cell found in its
//! README drawing); a flipped byte, a row whose hash is not its cell's, a truncated or an empty
//! file refused naming the record, leaving no output (nor a temporary file) and an existing
//! output untouched; a fourth
//! repeat, conflicting parameters and an unknown budget refused; `leti predict --nasbench` and
//! `leti export --nasbench` (JSONL and CSV) carrying the accuracies.
#![cfg(feature = "nasbench")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use base64::Engine;
use leti::space::nasbench::{import, ImportError};
use leti::space::tfrecord::TfRecordWriter;
use leti::space::{enumerate, pack, Accuracies, AccuracyFileError, CellSpec, Space, SpaceEntry, TrainingRun, ACCURACY_MAGIC, NUM_UNIQUE_CELLS};
use serde_json::Value;

fn space() -> &'static Space {
    static SPACE: OnceLock<Space> = OnceLock::new();
    SPACE.get_or_init(enumerate)
}

fn leti(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leti")).args(args).stdin(Stdio::null()).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("leti-nasbench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---- The dataset's format, written independently of the importer ----

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A proto2 `double` field.
fn double(tag: u64, v: f64, out: &mut Vec<u8>) {
    varint(tag << 3 | 1, out);
    out.extend_from_slice(&v.to_le_bytes());
}

/// A length-delimited field (message or string).
fn bytes_field(tag: u64, b: &[u8], out: &mut Vec<u8>) {
    varint(tag << 3 | 2, out);
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

/// `EvaluationData`: epoch, training time, train, validation, test accuracy, checkpoint path.
fn evaluation(epoch: f64, seconds: f64, validation: f64, test: f64) -> Vec<u8> {
    let mut m = Vec::new();
    double(1, epoch, &mut m);
    double(2, seconds, &mut m);
    double(3, 0.99, &mut m);
    double(4, validation, &mut m);
    double(5, test, &mut m);
    bytes_field(6, b"/tmp/model.ckpt-1234", &mut m);
    m
}

/// A `ModelMetrics` with the dataset's three evaluations: at initialisation, halfway (values
/// the import must not take) and final.
fn metrics(params: i32, epochs: u16, run: TrainingRun) -> Vec<u8> {
    let mut m = Vec::new();
    bytes_field(1, &evaluation(0.0, 0.0, 0.1, 0.1), &mut m);
    bytes_field(1, &evaluation(epochs as f64 / 2.0, run.training_seconds / 2.0, 0.5, 0.5), &mut m);
    bytes_field(1, &evaluation(epochs as f64, run.training_seconds, run.validation_accuracy, run.test_accuracy), &mut m);
    varint(2 << 3, &mut m);
    varint(params as u64, &mut m);
    double(3, run.training_seconds * 1.1, &mut m);
    m
}

/// One dataset row: `[hash, epochs, adjacency digits, "op,op,...", base64 metrics]`.
fn row(hash: &str, epochs: u16, spec: &CellSpec, params: i32, run: TrainingRun) -> Vec<u8> {
    let digits: String = spec.module_adjacency.iter().flatten().map(|d| char::from(b'0' + d)).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(metrics(params, epochs, run));
    serde_json::json!([hash, epochs, digits, spec.module_operations.join(","), b64]).to_string().into_bytes()
}

fn tfrecord(rows: &[Vec<u8>]) -> Vec<u8> {
    let mut w = TfRecordWriter::new(Vec::new());
    rows.iter().for_each(|r| w.write_record(r).unwrap());
    w.into_inner()
}

fn run(test: f64, validation: f64, seconds: f64) -> TrainingRun {
    TrainingRun { test_accuracy: test, validation_accuracy: validation, training_seconds: seconds }
}

/// The README cell's runs at 108 epochs.
const README_RUNS: [(f64, f64, f64); 3] = [(0.930_088_1, 0.942_007_2, 1155.9), (0.931_290_1, 0.940_504_8, 1160.2), (0.928_485_6, 0.943_109_0, 1149.7)];

/// Two cells of the space: `a` is in the test file at 4 and 108 epochs, `b` at 108 only.
fn other_cells() -> (&'static SpaceEntry, &'static SpaceEntry) {
    let s = space();
    (&s.entries[1234], &s.entries[s.len() / 2])
}

/// The test dataset: the README cell (3 repeats at 108 epochs, drawn as in the README, the
/// second run in another vertex order), cell `a` (3 at 4 and 3 at 108 epochs), cell `b` (3 at
/// 108), the runs interleaved as in the real file.
fn dataset_rows() -> Vec<Vec<u8>> {
    let (a, b) = other_cells();
    let readme = common::readme_cell();
    let redrawn = common::upper_triangular_relabelings(&readme).pop().unwrap();
    assert_ne!(redrawn, readme);
    let mut rows = Vec::new();
    for k in 0..3 {
        let (t, v, s) = README_RUNS[k];
        let drawing = if k == 1 { &redrawn } else { &readme };
        rows.push(row(common::README_HASH, 108, drawing, common::README_PARAMS as i32, run(t, v, s)));
        rows.push(row(&a.hash.to_hex(), 4, &a.cell.to_spec(), 1_000_000, run(0.80 + k as f64 / 100.0, 0.81, 100.0 + k as f64)));
        rows.push(row(&a.hash.to_hex(), 108, &a.cell.to_spec(), 1_000_000, run(0.90, 0.91, 2000.0)));
        rows.push(row(&b.hash.to_hex(), 108, &b.cell.to_spec(), 2_000_000, run(0.70, 0.71 + k as f64 / 100.0, 3000.0)));
    }
    rows
}

/// The test dataset imported once by `leti nasbench import`: the file and its summary (stdout).
fn imported() -> &'static (PathBuf, String) {
    static FILE: OnceLock<(PathBuf, String)> = OnceLock::new();
    FILE.get_or_init(|| {
        let d = dir("imported");
        let input = d.join("nasbench_test.tfrecord");
        std::fs::write(&input, tfrecord(&dataset_rows())).unwrap();
        let out = d.join("nb101.bin");
        let o = leti(&["nasbench", "import", path_str(&input), "--out", path_str(&out)]);
        assert!(o.status.success(), "{}", stderr(&o));
        (out, String::from_utf8(o.stdout).unwrap())
    })
}

fn mean(xs: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.into_iter().collect();
    v.iter().sum::<f64>() / v.len() as f64
}

// ---- The accuracy file format ----

#[test]
fn accuracy_file_round_trips_and_refuses_bad_files() {
    let mut t = Accuracies::new(vec![3, 70, 900], vec![4, 108]);
    t.params = vec![10, 0, 30];
    assert!(t.push_run(0, 1, run(0.9, 0.91, 100.4)));
    assert!(t.push_run(0, 1, run(0.8, 0.81, 200.6)));
    assert!(t.push_run(2, 0, run(0.5, 0.55, 70_000.0)));
    for _ in 0..3 {
        assert!(t.push_run(2, 1, run(1.0, 0.0, 1.0)));
    }
    assert!(!t.push_run(2, 1, run(1.0, 0.0, 1.0)), "a fourth repeat is refused");
    let bytes = t.to_bytes();
    assert_eq!(&bytes[..8], ACCURACY_MAGIC);
    assert_eq!(bytes.len(), 20 + 3 * (8 + 2 * 19));
    let back = Accuracies::from_bytes(&bytes).unwrap();
    assert_eq!(back, t);
    assert_eq!((back.budgets.clone(), back.budget_index(108), back.budget_index(36)), (vec![4, 108], Some(1), None));
    let m = back.mean(0, 1).unwrap();
    assert_eq!(m.repeats, 2);
    assert!((m.test_accuracy - 0.85).abs() < 1e-5 && (m.validation_accuracy - 0.86).abs() < 1e-5, "{m:?}");
    assert_eq!(m.training_seconds, (100.0 + 201.0) / 2.0, "whole seconds");
    assert_eq!(back.runs(2, 0).next().unwrap().training_seconds, 65535.0, "saturated");
    assert_eq!((back.mean(1, 1), back.covered(0), back.covered(1)), (None, 1, 2));

    let refused = |b: &[u8]| Accuracies::from_bytes(b).unwrap_err();
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert_eq!(refused(&bad), AccuracyFileError::BadMagic);
    bad = bytes.clone();
    bad[8] = 2;
    assert_eq!(refused(&bad), AccuracyFileError::Version(2));
    assert_eq!(refused(&bytes[..bytes.len() - 1]), AccuracyFileError::Truncated { expected: bytes.len(), found: bytes.len() - 1 });
    assert!(matches!(refused(&bytes[..5]), AccuracyFileError::Truncated { .. }));
    assert_eq!(refused(&[&bytes[..], &[0]].concat()), AccuracyFileError::Trailing(1));
    bad = bytes.clone();
    bad[16] = 0;
    assert_eq!(refused(&bad), AccuracyFileError::Budgets(0));
    bad[16] = 0x10;
    assert_eq!(refused(&bad), AccuracyFileError::Budgets(0x10));
    let unordered = Accuracies::new(vec![3, 900, 70], vec![108]).to_bytes();
    assert_eq!(refused(&unordered), AccuracyFileError::Order(2));
    bad = bytes.clone();
    bad[20 + 3 * 8 + 1] = 4; // budget 4's repeat count of cell 1
    assert_eq!(refused(&bad), AccuracyFileError::Repeats { index: 1, count: 4 });
}

// ---- The import ----

#[test]
fn import_round_trips_the_dataset_rows() {
    let (file, summary) = imported();
    assert!(summary.contains("read 12 records"), "{summary}");
    assert!(summary.contains("4 epochs: 1 cells with results, 3 runs"), "{summary}");
    assert!(summary.contains("108 epochs: 3 cells with results, 9 runs"), "{summary}");
    let t = Accuracies::from_bytes(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(t.len(), NUM_UNIQUE_CELLS);
    assert_eq!(t.codes, space().entries.iter().map(|e| e.code).collect::<Vec<_>>(), "the space's order");
    assert_eq!(t.budgets, vec![4, 108], "the budgets the file has");
    let (b4, b108) = (t.budget_index(4).unwrap(), t.budget_index(108).unwrap());

    // The README cell, drawn in its README order, is found at its place in the space.
    let readme = common::readme_cell().validate().unwrap();
    let i = t.index_of(&readme).unwrap();
    assert_eq!(space().entries[i].hash.to_hex(), common::README_HASH);
    assert_eq!(t.params[i] as u64, common::README_PARAMS);
    let m = t.mean(i, b108).unwrap();
    assert_eq!(m.repeats, 3);
    assert!((m.test_accuracy - mean(README_RUNS.map(|r| r.0))).abs() < 1e-5, "{m:?}");
    assert!((m.validation_accuracy - mean(README_RUNS.map(|r| r.1))).abs() < 1e-5, "{m:?}");
    assert_eq!(m.training_seconds, (1156.0 + 1160.0 + 1150.0) / 3.0);
    assert!(t.mean(i, b4).is_none());

    let (a, b) = other_cells();
    let (ia, ib) = (t.index_of(&a.cell).unwrap(), t.index_of(&b.cell).unwrap());
    assert_eq!((t.params[ia], t.params[ib]), (1_000_000, 2_000_000));
    let a4: Vec<TrainingRun> = t.runs(ia, b4).collect();
    assert_eq!(a4.len(), 3);
    assert!(a4.iter().zip([0.80, 0.81, 0.82]).all(|(r, x)| (r.test_accuracy - x).abs() < 1e-5), "runs in file order: {a4:?}");
    assert_eq!(a4.iter().map(|r| r.training_seconds).collect::<Vec<_>>(), vec![100.0, 101.0, 102.0]);
    assert_eq!(t.mean(ia, b108).unwrap().repeats, 3);
    assert!((t.mean(ib, b108).unwrap().validation_accuracy - 0.72).abs() < 1e-5);
    assert!(t.mean(ib, b4).is_none());
    let with_params = t.params.iter().filter(|&&p| p > 0).count();
    assert_eq!((with_params, t.covered(b4), t.covered(b108)), (3, 1, 3));
}

/// No temporary file is left next to the output.
fn assert_only(d: &Path, names: &[&str]) {
    let mut left: Vec<String> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, names, "only these files are left");
}

#[test]
fn a_flipped_byte_names_the_record_and_leaves_no_output() {
    let d = dir("flipped");
    let rows = dataset_rows();
    let mut bytes = tfrecord(&rows);
    // A byte in the data of record 3.
    let start3: usize = rows[..2].iter().map(|r| r.len() + 16).sum();
    bytes[start3 + 12 + 40] ^= 0x20;
    let input = d.join("flipped.tfrecord");
    std::fs::write(&input, &bytes).unwrap();
    let out = d.join("nb101.bin");
    let o = leti(&["nasbench", "import", path_str(&input), "--out", path_str(&out)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains(&format!("record 3 (byte offset {start3})")) && err.contains("checksum"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_only(&d, &["flipped.tfrecord"]);
}

#[test]
fn a_truncated_file_is_an_error_and_an_existing_output_stays() {
    let d = dir("truncated");
    let rows = dataset_rows();
    let bytes = tfrecord(&rows);
    let input = d.join("cut.tfrecord");
    std::fs::write(&input, &bytes[..bytes.len() - 3]).unwrap();
    let out = d.join("nb101.bin");
    std::fs::write(&out, b"earlier").unwrap();
    let o = leti(&["nasbench", "import", path_str(&input), "--out", path_str(&out)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains(&format!("record {}", rows.len())) && err.contains("truncated"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"earlier");
    assert_only(&d, &["cut.tfrecord", "nb101.bin"]);

    // Cut inside a record's header, and the empty file (in the library: the same errors).
    let e = import(&bytes[..bytes.len() - rows[11].len() - 10], space(), |_| {}).unwrap_err();
    assert!(matches!(&e, ImportError::File(f) if f.record() == 12), "{e}");
    assert!(e.to_string().contains("record 12") && e.to_string().contains("truncated"), "{e}");
    let e = import(&[][..], space(), |_| {}).unwrap_err();
    assert!(matches!(e, ImportError::Empty) && e.to_string().contains("no records"), "{e}");
}

#[test]
fn a_row_whose_hash_is_not_its_cells_is_refused() {
    let (a, _) = other_cells();
    let mut rows = dataset_rows();
    rows[1] = row(common::README_HASH, 4, &a.cell.to_spec(), 5, run(0.5, 0.5, 5.0));
    let offset = rows[0].len() + 16;
    let e = import(&tfrecord(&rows)[..], space(), |_| {}).unwrap_err().to_string();
    assert!(e.contains(&format!("record 2 (byte offset {offset})")), "{e}");
    assert!(e.contains(common::README_HASH) && e.contains(&a.hash.to_hex()), "{e}");
}

#[test]
fn repeats_parameters_and_budgets_are_checked() {
    let (a, _) = other_cells();
    let spec = a.cell.to_spec();
    let h = a.hash.to_hex();
    let refused = |rows: &[Vec<u8>]| import(&tfrecord(rows)[..], space(), |_| {}).unwrap_err().to_string();
    let four: Vec<Vec<u8>> = (0..4).map(|_| row(&h, 36, &spec, 7, run(0.5, 0.5, 1.0))).collect();
    let e = refused(&four);
    assert!(e.contains("record 4") && e.contains("already has 3 training runs at 36 epochs"), "{e}");
    let e = refused(&[row(&h, 36, &spec, 7, run(0.5, 0.5, 1.0)), row(&h, 108, &spec, 8, run(0.5, 0.5, 1.0))]);
    assert!(e.contains("record 2") && e.contains("8 trainable parameters here but 7"), "{e}");
    let e = refused(&[row(&h, 50, &spec, 7, run(0.5, 0.5, 1.0))]);
    assert!(e.contains("record 1 (byte offset 0)") && e.contains("50 epochs"), "{e}");
    let e = refused(&[b"[\"not a row\"]".to_vec()]);
    assert!(e.contains("record 1") && e.contains("not a dataset row"), "{e}");

    // Progress reports the bytes read after each record; the summary counts them.
    let rows = &four[..3];
    let bytes = tfrecord(rows);
    let mut seen = Vec::new();
    let (t, s) = import(&bytes[..], space(), |b| seen.push(b)).unwrap();
    assert_eq!(seen.last().copied(), Some(bytes.len() as u64));
    assert_eq!(seen.len(), 3);
    assert_eq!((s.records, s.bytes, s.budgets.len()), (3, bytes.len() as u64, 1));
    assert_eq!((s.budgets[0].epochs, s.budgets[0].cells, s.budgets[0].runs), (36, 1, 3));
    assert_eq!(t.budgets, vec![36]);
}

// ---- The joins ----

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/synthetic-ridge-log.model.json");

fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The README cell's join as `predict` and `export` write it.
fn check_readme_join(v: &Value) {
    assert_eq!(v["epochs"], 108, "{v}");
    assert_eq!(v["repeats"], 3, "{v}");
    assert_eq!(v["params"].as_u64(), Some(common::README_PARAMS), "{v}");
    assert!((v["test_accuracy"].as_f64().unwrap() - mean(README_RUNS.map(|r| r.0))).abs() < 2e-5, "{v}");
    assert!((v["validation_accuracy"].as_f64().unwrap() - mean(README_RUNS.map(|r| r.1))).abs() < 2e-5, "{v}");
    assert!((v["training_seconds"].as_f64().unwrap() - 1155.33).abs() < 0.01, "{v}");
}

#[test]
fn predict_carries_the_accuracies() {
    let (nb, _) = imported();
    let d = dir("predict");
    let s = space();
    let (a, b) = other_cells();
    let readme = s.entries.iter().find(|e| e.hash.to_hex() == common::README_HASH).unwrap();
    let absent = &s.entries[7];
    assert!(![readme.hash, a.hash, b.hash].contains(&absent.hash));
    let space_file = d.join("space.bin");
    std::fs::write(&space_file, pack(&[*readme, *a, *b, *absent], true)).unwrap();
    let o = leti(&["predict", "--model", MODEL, "--space", path_str(&space_file), "--nasbench", path_str(nb)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 4);
    check_readme_join(&lines[0]["nasbench"]);
    assert_eq!(lines[1]["nasbench"]["params"], 1_000_000);
    assert!((lines[1]["nasbench"]["test_accuracy"].as_f64().unwrap() - 0.90).abs() < 2e-5);
    assert_eq!(lines[2]["nasbench"]["repeats"], 3);
    assert_eq!(lines[3]["nasbench"], Value::Null, "the file lacks this cell: {}", lines[3]);
    assert!(lines.iter().all(|l| l["ms"].as_f64().unwrap() > 0.0));

    // Cells given as JSONL, the README cell in its README drawing.
    let cells = d.join("cells.jsonl");
    let lines = [serde_json::to_string(&common::readme_cell()).unwrap(), serde_json::to_string(&absent.cell.to_spec()).unwrap()];
    std::fs::write(&cells, lines.join("\n") + "\n").unwrap();
    let o = leti(&["predict", "--model", MODEL, path_str(&cells), "--nasbench", path_str(nb)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = json_lines(&o);
    check_readme_join(&lines[0]["nasbench"]);
    assert_eq!(lines[1]["nasbench"], Value::Null);
    // Without --nasbench, no field.
    let o = leti(&["predict", "--model", MODEL, path_str(&cells)]);
    assert!(json_lines(&o).iter().all(|l| l.get("nasbench").is_none()));
}

/// Two records from the fixture, made current: the README cell (first) and a cell the test
/// dataset lacks.
fn records_file(path: &Path) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let text = include_str!("fixtures/device-fit.records.jsonl");
    let mut lines = Vec::new();
    for (k, line) in text.lines().take(2).enumerate() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        v["created_unix_ms"] = (now - 60_000 + k as u64).into();
        if k == 0 {
            v["cell"] = serde_json::to_value(common::readme_cell()).unwrap();
            v["hash"] = common::README_HASH.into();
        }
        lines.push(v.to_string());
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn export_carries_the_accuracies() {
    let (nb, _) = imported();
    let d = dir("export");
    let records = d.join("records.jsonl");
    records_file(&records);
    let db = d.join("db.sqlite");
    let o = leti(&["import", path_str(&records), "--db", path_str(&db)]);
    assert!(o.status.success(), "{}", stderr(&o));

    let out = d.join("joined.jsonl");
    let o = leti(&["export", "--db", path_str(&db), "--out", path_str(&out), "--nasbench", path_str(nb)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("exported 2 records"), "{}", stderr(&o));
    let lines: Vec<Value> = std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    let readme = lines.iter().find(|l| l["hash"] == common::README_HASH).unwrap();
    check_readme_join(&readme["nasbench"]);
    let other = lines.iter().find(|l| l["hash"] != common::README_HASH).unwrap();
    assert_eq!(other["nasbench"], Value::Null);
    assert!(readme["wall"]["median_ms"].as_f64().is_some(), "the record itself is kept");

    let csv_out = d.join("joined.csv");
    let o = leti(&["export", "--db", path_str(&db), "--out", path_str(&csv_out), "--format", "csv", "--nasbench", path_str(nb)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(&csv_out).unwrap();
    let header = r.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    let readme = rows.iter().find(|row| &row[col("hash")] == common::README_HASH).unwrap();
    let test: f64 = readme[col("nasbench_test_accuracy")].parse().unwrap();
    assert!((test - mean(README_RUNS.map(|r| r.0))).abs() < 2e-5);
    assert_eq!(&readme[col("nasbench_repeats")], "3");
    assert_eq!(&readme[col("nasbench_params")], common::README_PARAMS.to_string());
    assert!(readme[col("nasbench_validation_accuracy")].parse::<f64>().is_ok() && readme[col("nasbench_training_seconds")].parse::<f64>().is_ok());
    let other = rows.iter().find(|row| &row[col("hash")] != common::README_HASH).unwrap();
    assert_eq!(&other[col("nasbench_test_accuracy")], "");
    assert_eq!(&other[col("nasbench_params")], "");
    assert_eq!(header.len(), rows[0].len());
}
