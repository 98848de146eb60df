//! Property tests: the parser and validator never panic on arbitrary input; for random valid
//! cells the hash ignores how interior vertices are numbered, and the network fits the WebGPU
//! default limits the engine requests. Native only (proptest).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use leti::engine::{schedule, PlanRules};
use leti::net::{build, LayerKind, NetConfig};
use leti::predict::{features, idx};
use leti::space::{decode_cell, Cell, CellSpec, ModuleHash};
use proptest::prelude::*;

static LABELS: [&str; 7] = ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "output", "conv5x5", ""];

/// Ragged matrices of 0..10 rows, each row 0..10 entries in 0..3 (mostly 0/1).
fn matrix() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(prop_oneof![4 => 0u8..2, 1 => 0u8..3], 0..10), 0..10)
}

/// Square strictly-upper-triangular 0/1 matrices: the input that reaches pruning.
fn square_matrix() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (0usize..10).prop_flat_map(|n| {
        prop::collection::vec(any::<bool>(), n * n).prop_map(move |bits| (0..n).map(|i| (0..n).map(|j| (j > i && bits[i * n + j]) as u8).collect()).collect())
    })
}

fn ops(len: impl Into<prop::collection::SizeRange>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(&LABELS[..]).prop_map(String::from), len)
}

/// Well-formed ops for `n` vertices: input, interior ops, output.
fn wellformed_ops(n: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(&LABELS[1..4]).prop_map(String::from), n.saturating_sub(2)).prop_map(move |mid| {
        let mut v = vec!["input".to_string()];
        v.extend(mid);
        if n > 1 {
            v.push("output".into());
        }
        v.truncate(n);
        v
    })
}

/// JSON values shaped like specs, with random damage.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..5).prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        prop::sample::select(&LABELS[..]).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
    ];
    let tree = leaf.prop_recursive(3, 40, 8, |inner| prop::collection::vec(inner, 0..8).prop_map(Value::Array));
    (matrix(), ops(0..10), tree.clone(), tree, 0u8..4).prop_map(|(m, o, a, b, pick)| match pick {
        0 => json!({"module_adjacency": m, "module_operations": o}),
        1 => json!({"module_adjacency": a, "module_operations": o}),
        2 => json!({"module_adjacency": m, "module_operations": b}),
        _ => json!([a, b]),
    })
}

/// Random cells of the space, drawn as the generator's codes (vertex count, edge bits, labels).
fn generator_cell() -> impl Strategy<Value = Cell> {
    (2u32..=7)
        .prop_flat_map(|n| (Just(n), 0u32..(1 << (n * (n - 1) / 2)), 0u32..3u32.pow(n - 2)))
        .prop_filter_map("not a generator graph", |(n, bits, l)| decode_cell((n - 2) << 29 | bits << 8 | l))
}

/// Bytes of a layer's inference weights (batch norm folded: a bias per output channel).
fn weight_bytes(kind: &LayerKind) -> u64 {
    4 * match *kind {
        LayerKind::Conv { k, c_in, c_out } => (c_in * c_out * k * k + c_out) as u64,
        LayerKind::Dense { c_in, c_out } => (c_in * c_out + c_out) as u64,
        _ => 0,
    }
}

/// The largest storage binding a network of `cell` needs: its activation arena (planned with
/// reuse, as the engine runs it) or one layer's weights, in bytes.
fn largest_binding(cell: &Cell) -> u64 {
    let net = build(cell, &NetConfig::default());
    let arena = 4 * schedule(&net, true, PlanRules::default()).unwrap().arena_elements as u64;
    net.layers.iter().map(|l| weight_bytes(&l.kind)).max().unwrap_or(0).max(arena)
}

#[test]
fn the_widest_network_fits_the_webgpu_default_limits() {
    // A chain of five conv3x3 vertices: every vertex at the stack's full width, the most
    // parameters a cell of the space has.
    let n = 7;
    let adj = (0..n).map(|i| (0..n).map(|j| u8::from(j == i + 1)).collect()).collect();
    let mut ops = vec!["input".to_string()];
    ops.extend(std::iter::repeat_n("conv3x3-bn-relu".to_string(), n - 2));
    ops.push("output".into());
    let cell = CellSpec::new(adj, ops).validate().unwrap();
    let limit = wgpu::Limits::default().max_storage_buffer_binding_size;
    let need = largest_binding(&cell);
    eprintln!("widest network: largest binding {:.1} MiB of {} MiB", need as f64 / 1048576.0, limit >> 20);
    assert!(need <= limit, "{need} bytes > {limit}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The engine requests only the WebGPU default limits: every network of the space must
    /// fit them (the arena and every layer's weights within one storage binding).
    #[test]
    fn every_network_fits_the_webgpu_default_limits(cell in generator_cell()) {
        let limit = wgpu::Limits::default().max_storage_buffer_binding_size;
        prop_assert!(largest_binding(&cell) <= limit);
    }

    #[test]
    fn validate_never_panics_on_ragged_matrices(m in matrix(), o in ops(0..10)) {
        let _ = CellSpec::new(m, o).validate();
    }

    #[test]
    fn validate_never_panics_on_square_matrices(
        (m, o) in square_matrix().prop_flat_map(|m| { let n = m.len(); (Just(m), wellformed_ops(n)) })
    ) {
        // When it succeeds, the pruned cell must itself be valid, unchanged by a second pass.
        if let Ok(c) = CellSpec::new(m, o).validate() {
            prop_assert!(c.num_vertices() <= 7 && c.num_edges() <= 9);
            prop_assert_eq!(c.to_spec().validate(), Ok(c));
        }
    }

    #[test]
    fn from_json_str_never_panics_on_arbitrary_text(text in "[\\[\\]{}0-9,:\" a-z_.\\-]{0,120}") {
        if let Ok(s) = CellSpec::from_json_str(&text) {
            let _ = s.validate();
        }
    }

    #[test]
    fn from_json_str_never_panics_on_spec_like_json(v in json_value()) {
        let text = v.to_string();
        if let Ok(s) = CellSpec::from_json_str(&text) {
            let _ = s.validate();
        }
    }

    #[test]
    fn hash_is_invariant_under_random_topological_relabelings(
        cell in generator_cell(),
        keys in prop::collection::vec(any::<u32>(), 7),
    ) {
        let s = cell.to_spec();
        let n = s.module_adjacency.len();
        // A random topological order of the interior: repeatedly take the ready vertex with
        // the largest random key.
        let mut order = vec![0];
        while order.len() < n - 1 {
            let v = (1..n - 1)
                .filter(|v| !order.contains(v))
                .filter(|&v| (0..n).all(|u| s.module_adjacency[u][v] == 0 || order.contains(&u)))
                .max_by_key(|&v| keys[v])
                .unwrap();
            order.push(v);
        }
        order.push(n - 1);
        let r = common::relabel(&s, &order);
        let drawn = r.validate().expect("a topological relabeling stays valid");
        let hash: ModuleHash = drawn.hash();
        prop_assert_eq!(hash, cell.hash());
        // Any drawing of a cell maps to the same generator's labeling, so the predictors read
        // the same encoding. (The costs follow the network as built: NAS-Bench-101 splits a
        // cell's channels by vertex order, so some drawings build a different network.)
        prop_assert_eq!(drawn.canonical(), cell.canonical());
        let (fd, fc) = (features(&drawn), features(&cell));
        prop_assert_eq!(&fd[idx::ADJ..], &fc[idx::ADJ..]);
        if fd[..idx::ADJ] == fc[..idx::ADJ] {
            prop_assert_eq!(fd, fc);
        }
    }
}
