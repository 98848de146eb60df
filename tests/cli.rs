//! The `leti` binary: `inspect` on good and bad lines, `space sample`, `space enumerate`
//! (full count, closed pipe), `space pack`, `measure --precision f16` (on lavapipe), and error
//! exits.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use leti::space::{unpack, CellSpec, ModuleHash};
use serde_json::Value;

fn leti() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leti"))
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = leti().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8(out.to_vec()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn readme_line() -> String {
    serde_json::to_string(&common::readme_cell()).unwrap()
}

#[test]
fn inspect_reports_bad_lines_by_number_and_keeps_going() {
    let unpruned = r#"{"module_adjacency": [[0,1,1,0],[0,0,0,1],[0,0,0,0],[0,0,0,0]], "module_operations": ["input","conv1x1-bn-relu","maxpool3x3","output"], "note": "vertex 2 dangles"}"#;
    let input = [
        readme_line().as_str(),
        "{not json",
        "",
        r#"{"module_adjacency": [[0,1],[1,0]], "module_operations": ["input","output"]}"#,
        unpruned,
        r#"{"module_adjacency": [[0,1],[0,0]], "module_operations": ["input","conv7x7"]}"#,
        r#"{"module_adjacency": [[0,0,0],[0,0,1],[0,0,0]], "module_operations": ["input","maxpool3x3","output"]}"#,
    ]
    .join("\n");
    let out = run_with_stdin(&["inspect"], &input);
    assert_eq!(out.status.code(), Some(1), "bad lines make the exit status non-zero");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "line 2: not valid JSON",
        "line 3: blank line",
        "line 4: module_adjacency is not upper-triangular: entry [1][0]",
        "line 6: unknown op \"conv7x7\" at vertex 1",
        "line 7: the input is not connected to the output",
        "5 of 7 lines",
    ] {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}:\n{stderr}");
    }
    assert!(!stderr.contains("line 1:") && !stderr.contains("line 5:"), "{stderr}");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2, "one output line per good input line");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["hash"], common::README_HASH);
    assert_eq!(lines[0]["trainable_parameters"], common::README_PARAMS);
    assert!(lines[0]["macs"].as_u64().unwrap() > 0);
    assert!(lines[0]["weight_bytes"].as_u64().unwrap() > 4 * common::README_PARAMS / 2);
    assert!(lines[0]["peak_activation_bytes"].as_u64().unwrap() >= 4 * 128 * 32 * 32);
    assert_eq!(lines[0]["layer_counts"]["maxpool2x2"], 2);
    assert_eq!(lines[0]["layer_counts"]["dense"], 1);
    // 45 1x1 and 28 3x3 convolutions, 11 max-pools, pool and dense, no add; plan 2 runs each
    // cell's 4 projections of its input as one launch.
    assert_eq!(lines[0]["launches"], serde_json::json!({"fused_adds": 59, "merged_projections": 59, "layerwise": 86}));
    // The unpruned spec is pruned before hashing; the output carries the pruned spec.
    assert_eq!(lines[1]["line"], 5);
    assert_eq!(lines[1]["module_operations"], serde_json::json!(["input", "conv1x1-bn-relu", "output"]));
    assert_eq!(lines[1]["kept_vertices"], serde_json::json!([0, 1, 3]));
    let pruned = CellSpec::from_json_str(&lines[1].to_string()).unwrap().validate().unwrap();
    assert_eq!(lines[1]["hash"], pruned.hash().to_hex());
    assert_eq!(lines[1]["layer_counts"]["maxpool3x3"], 0);
}

#[test]
fn inspect_reads_a_file_and_succeeds_when_all_lines_are_good() {
    let dir = std::env::temp_dir().join(format!("leti-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cells.jsonl");
    std::fs::write(&path, format!("{}\n{}\n", readme_line(), r#"{"module_adjacency":[[0,1],[0,0]],"module_operations":["input","output"]}"#)).unwrap();
    let out = leti().arg("inspect").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty());
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["trainable_parameters"], 882_570);
    // A smaller network: fewer channels and cells give fewer parameters.
    let small = leti().arg("inspect").arg(&path).args(["--stem-channels", "16", "--stacks", "2", "--cells-per-stack", "1"]).output().unwrap();
    assert!(small.status.success());
    assert!(json_lines(&small.stdout)[0]["trainable_parameters"].as_u64().unwrap() < common::README_PARAMS / 10);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inspect_of_a_missing_file_is_a_clear_error() {
    let out = leti().args(["inspect", "/nonexistent/cells.jsonl"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot open /nonexistent/cells.jsonl"), "{stderr}");
}

#[test]
fn space_sample_is_deterministic_and_rehashes() {
    let a = leti().args(["space", "sample", "--n", "200", "--seed", "7"]).output().unwrap();
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let lines = json_lines(&a.stdout);
    assert_eq!(lines.len(), 200);
    let mut seen = std::collections::HashSet::new();
    for l in &lines {
        let spec = CellSpec::from_json_str(&l.to_string()).unwrap();
        let cell = spec.validate().unwrap();
        assert_eq!(cell.to_spec(), spec, "sampled specs are pruned");
        let hash = ModuleHash::from_hex(l["hash"].as_str().unwrap()).unwrap();
        assert_eq!(cell.hash(), hash);
        assert!(seen.insert(hash), "duplicate cell in sample");
    }
}

#[test]
fn space_enumerate_writes_every_cell_and_survives_a_closed_pipe() {
    let path = std::env::temp_dir().join(format!("leti-enumerate-{}.jsonl", std::process::id()));
    let out = leti().args(["space", "enumerate", "--out"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(text.lines().count(), 423_624);
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["module_adjacency"], serde_json::json!([[0, 1], [0, 0]]));
    assert_eq!(first["module_operations"], serde_json::json!(["input", "output"]));
    assert_eq!(first["hash"].as_str().unwrap().len(), 32);
    drop(text);

    // Like `leti space enumerate | head -n 3`: the reader leaves early.
    let mut child = leti().args(["space", "enumerate"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    drop(reader);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "closed pipe should end quietly: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn space_pack_writes_the_decodable_space() {
    let path = std::env::temp_dir().join(format!("leti-pack-{}.bin", std::process::id()));
    let out = leti().args(["space", "pack", "--out"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = String::from_utf8_lossy(&out.stdout);
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(summary.contains(&format!("423624 cells, {len} bytes")), "{summary}");
    assert!(len < 470_000, "about a byte a cell: {len}");
    let u = unpack(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(u.cells.len(), 423_624);
    assert!(u.hashes.is_none());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn usage_errors_exit_non_zero() {
    let out = leti().args(["space", "sample", "--seed", "1"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--n"));
    let out = leti().args(["inspect", "--stem-channels", "2"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn train_needs_data_or_from_db() {
    let out = leti().args(["train", "--out", "/dev/null"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data FILE"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = leti().args(["train", "--data", "x.jsonl"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out FILE"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = leti().args(["train", "--from-db", "--data", "x.jsonl"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = leti().args(["train", "--out-dir", "d", "--data", "x.jsonl"]).output().unwrap();
    assert!(!out.status.success(), "--out-dir needs --from-db");
    // An empty database: a pass over no devices succeeds and says so.
    let db = std::env::temp_dir().join(format!("leti-train-db-{}.sqlite", std::process::id()));
    let out = leti().args(["train", "--from-db", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1, "only the header");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no records"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// `leti measure` with `args` on the README cell in a small network with a short protocol: its
/// one record.
fn measure_readme_cell_small(args: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let cells = dir.path().join("cells.jsonl");
    std::fs::write(&cells, readme_line() + "\n").unwrap();
    let out = dir.path().join("records.jsonl");
    let small = ["--input-size", "8", "--stem-channels", "8", "--num-stacks", "1", "--cells-per-stack", "1"];
    let protocol = ["--repeats", "3", "--profile-runs", "0", "--warmup-max", "1", "--max-remeasure", "0"];
    let status = leti()
        .arg("measure")
        .args(args)
        .args(["--cells", cells.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(small)
        .args(protocol)
        .env("XDG_RUNTIME_DIR", std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| "/tmp".into()))
        .status()
        .unwrap();
    assert!(status.success());
    let records = json_lines(&std::fs::read(&out).unwrap());
    assert_eq!(records.len(), 1);
    records
}

/// `leti measure --precision f16` on an adapter with shader-f16 (lavapipe) writes records that
/// say so; an unknown precision is a usage error. Skips without a GPU unless LETI_REQUIRE_GPU.
#[test]
fn measure_at_f16_records_the_precision() {
    let bad = leti().args(["measure", "--precision", "f8"]).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("f16"), "{bad:?}");
    if common::open_gpu().is_none_or(|g| !g.shader_f16) {
        eprintln!("SKIPPED: no adapter with shader-f16");
        return;
    }
    let records = measure_readme_cell_small(&["--precision", "f16"]);
    assert_eq!(records[0]["network"]["precision"], "f16");
    assert!(records[0]["wall"]["median_ms"].as_f64().unwrap() > 0.0);
}

/// `leti measure --conv register-wide` times the network with that kernel family and the records
/// name it; an unknown family is a usage error that lists the families. Skips without a GPU
/// unless LETI_REQUIRE_GPU.
#[test]
fn measure_with_a_chosen_conv_family_records_its_kernels() {
    let bad = leti().args(["measure", "--conv", "wide"]).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("register-wide"), "{bad:?}");
    if common::open_gpu().is_none() {
        eprintln!("SKIPPED: no GPU adapter");
        return;
    }
    let records = measure_readme_cell_small(&["--conv", "register-wide"]);
    let kernels = records[0]["kernels"].as_str().unwrap();
    assert!(kernels.starts_with("conv register-wide") && kernels.ends_with("; plan 3 (projections merged, 3-input adds fused)"), "{kernels}");
}

/// `leti measure --plan layerwise` measures as engines before plan 2 did, and its records name
/// the kernels as theirs did (no plan); an unknown plan is a usage error. Skips without a GPU
/// unless LETI_REQUIRE_GPU.
#[test]
fn measure_with_the_layerwise_plan_records_kernels_as_before() {
    let bad = leti().args(["measure", "--plan", "fused"]).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("layerwise"), "{bad:?}");
    if common::open_gpu().is_none() {
        eprintln!("SKIPPED: no GPU adapter");
        return;
    }
    let records = measure_readme_cell_small(&["--conv", "register", "--plan", "layerwise"]);
    assert_eq!(records[0]["kernels"], "conv register-tiled 64; 1-D 256");
}
