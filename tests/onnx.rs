//! ONNX export (`engine::onnx`, `leti export-onnx`): the exported networks of several cells,
//! run by an independent runtime (tract), give the CPU reference's logits; the file's float
//! initializers are the network's folded parameters (the README cell's count read back); the
//! CLI writes the library's bytes and refuses bad cells with a clear message.
//!
//! The tract tests need the `onnx-check` feature: tract takes 5-8 minutes to compile on two
//! cores, more than `.ci/test` can spend, so CI runs the CLI and coverage tests here and
//! `cargo test --features onnx-check --test onnx` runs all of them.

mod common;

use std::process::Command;

#[cfg(feature = "onnx-check")]
use common::README_PARAMS;
use common::{readme_cell, spec, README_HASH};
use leti::engine::onnx;
#[cfg(feature = "onnx-check")]
use leti::engine::onnx::{INPUT_NAME, OPSET, OUTPUT_NAME};
use leti::engine::MEASURE_SEED;
#[cfg(feature = "onnx-check")]
use leti::engine::{reference, seeded_input, Weights};
use leti::net::{build, Cost, Net, NetConfig};
use leti::space::{Cell, CellSpec};
#[cfg(feature = "onnx-check")]
use tract_onnx::{pb, prelude::*};

/// A test case: a cell and the network configuration it is exported with.
struct Case {
    /// What the case is, for the tract test's messages.
    #[cfg_attr(not(feature = "onnx-check"), allow(dead_code))]
    what: &'static str,
    cell: CellSpec,
    config: NetConfig,
}

/// The smallest cell (input straight to output: stem, projections, head).
fn smallest() -> CellSpec {
    spec(&[&[0, 1], &[0, 0]], &["input", "output"])
}

/// Truncations (a vertex with more channels feeding one with fewer), a 3-way add, a max-pool
/// vertex, the output concat and its projection add.
fn truncating() -> CellSpec {
    spec(
        &[&[0, 1, 1, 1, 1], &[0, 0, 0, 1, 1], &[0, 0, 0, 1, 1], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 0]],
        &["input", "conv3x3-bn-relu", "maxpool3x3", "conv1x1-bn-relu", "output"],
    )
}

/// A deep chain of five full-width 3x3 convs with skips: about 46 M parameters, near the
/// space's largest network.
fn large() -> CellSpec {
    let mut adj = vec![vec![0u8; 7]; 7];
    for (a, b) in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (0, 2), (0, 4), (0, 6)] {
        adj[a][b] = 1;
    }
    let adj: Vec<&[u8]> = adj.iter().map(|r| r.as_slice()).collect();
    spec(&adj, &["input", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "output"])
}

fn cases() -> Vec<Case> {
    // Odd sizes before a downsampling pool (30 -> 15 -> 8) give "same" pads of 0 before and
    // 1 after; a batch of 2 checks the batch dimension.
    let odd = NetConfig { batch: 2, input_size: 30, stem_channels: 16, ..NetConfig::default() };
    vec![
        Case { what: "README cell", cell: readme_cell(), config: NetConfig::default() },
        Case { what: "smallest cell", cell: smallest(), config: NetConfig::default() },
        Case { what: "truncating cell, default network", cell: truncating(), config: NetConfig::default() },
        Case { what: "truncating cell, odd sizes, batch 2", cell: truncating(), config: odd },
        Case { what: "large cell", cell: large(), config: NetConfig::default() },
    ]
}

fn net_of(case: &Case) -> Net {
    build(&case.cell.validate().expect("valid test cell"), &case.config)
}

#[cfg(feature = "onnx-check")]
/// The logits tract computes from the exported bytes on `input`.
fn tract_logits(bytes: &[u8], net: &Net, input: &[f32]) -> Vec<f32> {
    let model = tract_onnx::onnx().model_for_read(&mut &bytes[..]).expect("tract reads the model");
    let model = model.into_optimized().expect("tract types and optimises the model").into_runnable().expect("tract plans the model");
    let s = net.tensors[net.input].shape;
    let x = Tensor::from_shape(&[s.n, s.c, s.h, s.w], input).unwrap();
    let out = model.run(tvec!(x.into_tvalue())).expect("tract runs the model");
    let logits = out[0].to_plain_array_view::<f32>().unwrap();
    assert_eq!(logits.shape(), &[s.n, net.config.num_classes], "logits are batch x classes");
    logits.iter().copied().collect()
}

/// Tolerance, relative to the largest logit's magnitude. Both sides compute in f32 from the
/// same weights and differ only in the order of their sums (ndarray's matmul over im2col
/// columns against tract's packed kernels): a few f32 ulps (1.2e-7) per output, compounded
/// over ~30 convs in series. Measured: at most 5.1e-7 of the scale over these cases (README
/// cell 8.3e-7 absolute on logits of 1.65; large cell 7.3e-4 on logits of 1669); 1e-5 leaves a
/// twentyfold margin, while a wrong pad, slice, weight layout or a missing ReLU moves the
/// logits by percents.
#[cfg(feature = "onnx-check")]
const REL_TOL: f32 = 1e-5;

#[cfg(feature = "onnx-check")]
#[test]
fn tract_runs_every_export_to_the_reference_logits() {
    for case in cases() {
        let net = net_of(&case);
        let bytes = onnx::export(&net, MEASURE_SEED);
        let input = seeded_input(net.tensors[net.input].shape, MEASURE_SEED);
        let want = reference::forward(&net, &Weights::seeded(&net, MEASURE_SEED), &input)[net.output].iter().copied().collect::<Vec<f32>>();
        let got = tract_logits(&bytes, &net, &input);
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(scale > 1e-3, "{}: logits of scale {scale} would make the comparison empty", case.what);
        let max_diff = want.iter().zip(&got).map(|(w, g)| (w - g).abs()).fold(0f32, f32::max);
        eprintln!("{}: {} bytes, logits scale {scale:.4}, max |tract - reference| {max_diff:.3e} ({:.3e} of scale)", case.what, bytes.len(), max_diff / scale);
        assert!(max_diff <= REL_TOL * scale, "{}: tract {got:?} vs reference {want:?}", case.what);
    }
}

#[test]
fn the_cases_cover_every_layer_kind_and_uneven_pads() {
    let counts: Vec<_> = cases().iter().map(|c| Cost::of(&net_of(c)).layer_counts).collect();
    assert!(counts.iter().any(|c| c.truncate > 0), "a truncation");
    assert!(counts.iter().any(|c| c.maxpool3x3 > 0), "a max-pool vertex");
    assert!(counts.iter().any(|c| c.concat > 0), "a concat");
    assert!(counts.iter().any(|c| c.conv1x1 > 0 && c.conv3x3 > 0 && c.projection > 0), "both convs and projections");
    let net = net_of(&cases()[3]);
    let three_way = net.layers.iter().any(|l| l.kind == leti::net::LayerKind::Add && l.inputs.len() == 3);
    assert!(three_way, "an add of three inputs");
    let odd_pool = net.layers.iter().any(|l| matches!(l.kind, leti::net::LayerKind::MaxPool { stride: 2, .. }) && net.tensors[l.inputs[0]].shape.h % 2 == 1);
    assert!(odd_pool, "a downsampling pool over an odd size");
}

#[cfg(feature = "onnx-check")]
/// Float elements of the initializers, and those of the conv biases among them.
fn float_parameters(model: &pb::ModelProto) -> (u64, u64) {
    let graph = model.graph.as_ref().expect("a graph");
    let size = |t: &pb::TensorProto| t.dims.iter().product::<i64>() as u64;
    let floats = graph.initializer.iter().filter(|t| t.data_type == pb::tensor_proto::DataType::Float as i32).map(size).sum();
    let bias_of = |name: &String| graph.initializer.iter().find(|t| &t.name == name).map(size).expect("conv bias is an initializer");
    let biases = graph.node.iter().filter(|n| n.op_type == "Conv").map(|n| bias_of(&n.input[2])).sum();
    (floats, biases)
}

#[cfg(feature = "onnx-check")]
#[test]
fn the_readme_cells_parameters_read_back_from_the_file() {
    let net = build(&readme_cell().validate().unwrap(), &NetConfig::default());
    let bytes = onnx::export(&net, MEASURE_SEED);
    let model = tract_onnx::onnx().proto_model_for_read(&mut &bytes[..]).expect("a ModelProto");
    assert_eq!(model.opset_import.iter().map(|o| (o.domain.as_str(), o.version)).collect::<Vec<_>>(), vec![("", OPSET)]);
    let graph = model.graph.as_ref().unwrap();
    assert_eq!(graph.input.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), vec![INPUT_NAME]);
    assert_eq!(graph.output.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), vec![OUTPUT_NAME]);
    let (floats, conv_biases) = float_parameters(&model);
    // Folded, each conv has one bias per channel where NAS-Bench-101 counts batch norm's scale
    // and shift: the dataset's count is the file's floats plus one per conv channel.
    assert_eq!(floats + conv_biases, README_PARAMS, "the README cell's trainable parameters");
    assert_eq!(floats + conv_biases, Cost::of(&net).trainable_parameters);
    assert_eq!(4 * floats, Cost::of(&net).weight_bytes, "the folded weights the engine runs");
    eprintln!("README cell: {floats} floats in the file ({conv_biases} conv biases) = {README_PARAMS} NAS-Bench-101 parameters");
}

fn leti() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leti"))
}

#[test]
fn cli_writes_the_librarys_bytes_under_the_cells_name() {
    let dir = tempfile::tempdir().unwrap();
    let cell_file = dir.path().join("cell.json");
    // A measurement-record-like object with a `cell` field.
    std::fs::write(&cell_file, serde_json::json!({ "cell": readme_cell(), "ms": 1.0 }).to_string()).unwrap();
    let out = leti().current_dir(dir.path()).args(["export-onnx", "cell.json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let name = format!("cell-{}.onnx", &README_HASH[..8]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&name), "{}", String::from_utf8_lossy(&out.stdout));
    let cell: Cell = readme_cell().validate().unwrap();
    assert_eq!(onnx::file_name(&cell), name);
    let want = onnx::export(&build(&cell, &NetConfig::default()), MEASURE_SEED);
    assert!(std::fs::read(dir.path().join(&name)).unwrap() == want, "the CLI's default seed and network are the library's");
    // Options change the network and the weights.
    let small = dir.path().join("small.onnx");
    let args = [
        "export-onnx",
        "cell.json",
        "--seed",
        "7",
        "--batch",
        "2",
        "--input-size",
        "16",
        "--stem-channels",
        "8",
        "--stacks",
        "2",
        "--cells-per-stack",
        "1",
        "--out",
    ];
    let out = leti().current_dir(dir.path()).args(args).arg(&small).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config = NetConfig { batch: 2, input_size: 16, stem_channels: 8, num_stacks: 2, cells_per_stack: 1, ..NetConfig::default() };
    assert!(std::fs::read(&small).unwrap() == onnx::export(&build(&cell, &config), 7));
}

#[test]
fn cli_refuses_bad_cells_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    for (input, reason) in [
        ("{not json", "not one JSON value"),
        (r#"{"ms": 3}"#, "no module_adjacency and no `cell` field"),
        (r#"{"module_adjacency": [[0,1],[1,0]], "module_operations": ["input","output"]}"#, "not upper-triangular"),
        (r#"{"module_adjacency": [[0,1],[0,0]], "module_operations": ["input","conv7x7"]}"#, "unknown op \"conv7x7\""),
        (r#"{"module_adjacency": [[0,0,0],[0,0,1],[0,0,0]], "module_operations": ["input","maxpool3x3","output"]}"#, "not connected to the output"),
    ] {
        let path = dir.path().join("bad.json");
        std::fs::write(&path, input).unwrap();
        let out = leti().current_dir(dir.path()).args(["export-onnx", "bad.json", "--out", "bad.onnx"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{input}: {stderr}");
        assert!(stderr.contains("bad.json: not a valid cell") && stderr.contains(reason), "{input}: stderr lacks {reason:?}:\n{stderr}");
        assert!(!dir.path().join("bad.onnx").exists(), "no file for a bad cell");
    }
}
