//! `leti train`, `leti predict` and `leti evaluate` end to end on SYNTHETIC records written
//! to a temporary directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use leti::net::Precision;
use leti::predict::synthetic::{random_cells, SyntheticDevice};
use leti::predict::Model;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("leti-predict-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// SYNTHETIC records of `n` cells on the first `devices` presets, as gzip JSONL.
fn write_records(path: &Path, n: usize, devices: usize) -> Vec<leti::space::Cell> {
    let cells = random_cells(n, 21);
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::fast());
    for (i, dev) in SyntheticDevice::presets().iter().take(devices).enumerate() {
        for r in dev.records(&cells, i as u64) {
            writeln!(gz, "{}", serde_json::to_string(&r).unwrap()).unwrap();
        }
    }
    gz.finish().unwrap();
    cells
}

fn leti(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leti"));
    cmd.args(args).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

#[test]
fn f16_records_train_a_model_of_their_own_that_says_f16() {
    let dir = temp_dir("f16");
    let data = dir.join("records.jsonl");
    let cells = random_cells(30, 22);
    let mut lines = String::new();
    for (i, precision) in Precision::ALL.into_iter().enumerate() {
        for mut r in SyntheticDevice::presets()[0].records(&cells, i as u64) {
            r.network.precision = precision;
            lines.push_str(&serde_json::to_string(&r).unwrap());
            lines.push('\n');
        }
    }
    std::fs::write(&data, lines).unwrap();
    let (d, m) = (data.to_str().unwrap(), dir.join("m.model.json"));
    // One phone at two precisions is two devices: naming the phone alone is ambiguous.
    let out = leti(&["train", "--data", d, "--device", "phone-a", "--model", "ridge", "--out", m.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("phone-a [synthetic] f16"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = leti(&["train", "--data", d, "--device", "] f16", "--model", "ridge", "--out", m.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let model = Model::from_json_bytes(&std::fs::read(&m).unwrap()).unwrap();
    assert_eq!(model.file.network.precision, Precision::F16);
    assert_eq!(model.file.training.n_cells, 30, "trained on the f16 records alone");
    assert!(model.file.training.device.ends_with(" f16"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn train_then_predict_cells() {
    let dir = temp_dir("train");
    let data = dir.join("records.jsonl.gz");
    let cells = write_records(&data, 60, 2);
    let model_path = dir.join("m.model.json");
    let d = data.to_str().unwrap();
    let m = model_path.to_str().unwrap();
    // Two devices and no --device: refused, naming them.
    let out = leti(&["train", "--data", d, "--out", m], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("synthetic-phone-a") && err.contains("--device"), "{err}");
    let out = leti(&["train", "--data", d, "--device", "phone-a", "--trees", "15", "--out", m], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let model = Model::from_json_bytes(&std::fs::read(&model_path).unwrap()).unwrap();
    assert!(model.file.training.synthetic);
    assert_eq!(model.file.training.n_cells, 60);

    // JSONL in: a bare spec, a record-like object with a `cell`, and a bad line.
    let spec = serde_json::to_string(&cells[0].to_spec()).unwrap();
    let wrapped = serde_json::json!({"cell": cells[1].to_spec()}).to_string();
    let input = format!("{spec}\n{wrapped}\n{{\"cell\": 3}}\n");
    let out = leti(&["predict", "--model", m], Some(&input));
    assert!(!out.status.success(), "a bad line makes the exit status a failure");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    for (i, v) in lines[..2].iter().enumerate() {
        let p = model.predict(&cells[i]).unwrap();
        assert_eq!(v["ms"].as_f64().unwrap().to_bits(), p.ms.to_bits(), "JSONL output keeps every bit");
        assert_eq!(v["hash"].as_str().unwrap(), cells[i].hash().to_hex());
        assert!(v["lo_ms"].as_f64().unwrap() <= p.ms && p.ms <= v["hi_ms"].as_f64().unwrap());
    }
    assert_eq!(lines[2]["line"], 3);
    assert!(lines[2]["error"].is_string());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn evaluate_writes_reports_plots_and_few_shot() {
    let dir = temp_dir("evaluate");
    let data = dir.join("records.jsonl.gz");
    write_records(&data, 80, 2);
    let out_dir = dir.join("eval");
    let out = leti(
        &[
            "evaluate",
            "--data",
            data.to_str().unwrap(),
            "--out-dir",
            out_dir.to_str().unwrap(),
            "--folds",
            "2",
            "--curve",
            "20,40",
            "--few-shot",
            "5,10",
            "--trees",
            "15",
            "--models",
            "flops,ridge-log,gbt",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let devs: Vec<_> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(devs.len(), 2);
    for d in &devs {
        let md = std::fs::read_to_string(d.join("report.md")).unwrap();
        assert!(md.contains("SYNTHETIC DATA"));
        for kind in ["flops", "ridge-log", "gbt"] {
            assert!(md.contains(&format!("| {kind} |")), "{md}");
            let svg = std::fs::read_to_string(d.join(format!("pred_vs_measured_{kind}.svg"))).unwrap();
            assert!(svg.starts_with("<svg") && svg.contains("<circle"));
        }
        assert!(d.join("learning_curve.svg").exists());
    }
    let fs = std::fs::read_to_string(out_dir.join("few_shot.md")).unwrap();
    assert!(fs.contains("| 5 |") && fs.contains("| 10 |"), "{fs}");
    let _ = std::fs::remove_dir_all(&dir);
}
