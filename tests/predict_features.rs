//! The analytic features and layer configurations equal what the full IR and its cost model
//! give, on the README cell, edge cases and many random cells.

mod common;

use leti::net::{build, Cost, NetConfig};
use leti::predict::{
    distinct_layer_configs, features, features_from_net, for_each_layer_config, idx, layer_configs_of_net, LayerConfig, LayerOp, NUM_FEATURES,
};
use leti::space::{Cell, CellSpec, Op};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Random valid cells from random 7-vertex specs (pruned), deterministic.
fn random_cells(n: usize, seed: u64) -> Vec<Cell> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let labels = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"];
    let mut out = Vec::new();
    while out.len() < n {
        let v = rng.random_range(2..=7usize);
        let p = rng.random_range(0.2..0.7);
        let adj: Vec<Vec<u8>> = (0..v).map(|i| (0..v).map(|j| (j > i && rng.random_bool(p)) as u8).collect()).collect();
        let mut ops = vec!["input".to_string()];
        for _ in 1..v - 1 {
            ops.push(labels[rng.random_range(0..3)].to_string());
        }
        ops.push("output".to_string());
        if let Ok(c) = CellSpec::new(adj, ops).validate() {
            out.push(c);
        }
    }
    out
}

fn check_cell(cell: &Cell) {
    let cfg = NetConfig::default();
    let net = build(cell, &cfg);
    let cost = Cost::of(&net);
    let fast = features(cell);
    let slow = features_from_net(&net);
    for i in 0..NUM_FEATURES {
        assert_eq!(fast[i], slow[i], "feature {} of {:?}", leti::predict::feature_names()[i], cell.to_spec());
    }
    assert_eq!(fast[idx::MACS], cost.macs as f64);
    assert_eq!(fast[idx::PARAMS], cost.trainable_parameters as f64);
    assert_eq!(fast[idx::WEIGHT_BYTES], cost.weight_bytes as f64);
    assert_eq!(fast[idx::PEAK_BYTES], cost.peak_activation_bytes as f64);
    let lc = cost.layer_counts;
    assert_eq!(fast[idx::N_CONV3X3], lc.conv3x3 as f64);
    assert_eq!(fast[idx::N_CONV1X1], lc.conv1x1 as f64);
    assert_eq!(fast[idx::N_PROJECTION], lc.projection as f64);
    assert_eq!(fast[idx::N_MAXPOOL3X3], lc.maxpool3x3 as f64);
    assert_eq!(fast[idx::N_ADD], lc.add as f64);
    assert_eq!(fast[idx::N_CONCAT], lc.concat as f64);
    assert_eq!(fast[idx::N_TRUNCATE], lc.truncate as f64);
    assert_eq!(fast[idx::N_LAUNCHES], lc.compute_layers as f64);
    // Memory traffic straight from the IR tensors.
    let read: usize = net.compute_layers().map(|l| l.inputs.iter().map(|&t| net.tensors[t].shape.bytes()).sum::<usize>()).sum();
    let write: usize = net.compute_layers().map(|l| net.tensors[l.output].shape.bytes()).sum();
    assert_eq!(fast[idx::ACT_READ_BYTES], read as f64);
    assert_eq!(fast[idx::ACT_WRITE_BYTES], write as f64);
    // Per-stack MACs add up to the cell MACs (all but stem and dense).
    let stacks: f64 = (0..3).map(|s| fast[idx::MACS_STACK + s]).sum();
    let stem = (3 * 3 * 3 * 128 * 32 * 32) as f64;
    let dense = (512 * 10) as f64;
    assert_eq!(stacks, fast[idx::MACS] - stem - dense);
    // The same layer configurations, with multiplicity.
    let mut from_ir = layer_configs_of_net(&net);
    let mut fast_cfgs = Vec::new();
    for_each_layer_config(cell, &cfg, |c, count| fast_cfgs.extend(std::iter::repeat_n(c, count)));
    from_ir.sort();
    fast_cfgs.sort();
    assert_eq!(fast_cfgs, from_ir);
}

#[test]
fn readme_cell_features_match_ir_and_known_totals() {
    let cell = common::readme_cell().validate().unwrap();
    check_cell(&cell);
    let f = features(&cell);
    assert_eq!(f[idx::PARAMS], common::README_PARAMS as f64);
    assert_eq!(f[idx::MACS], 402_002_944.0);
    // README cell: 7 vertices, 9 edges; longest path 0-3-4-6 has 3 edges; level 1 holds
    // vertices 1, 2, 3, 5 (width 4); 4 vertices feed the output; the input has 4 out-edges.
    assert_eq!(f[idx::CELL_VERTICES], 7.0);
    assert_eq!(f[idx::CELL_EDGES], 9.0);
    assert_eq!(f[idx::CELL_DEPTH], 3.0);
    assert_eq!(f[idx::CELL_WIDTH], 4.0);
    assert_eq!(f[idx::OUTPUT_FANIN], 4.0);
    assert_eq!(f[idx::INPUT_FANOUT], 4.0);
    // Encoding: of the cell in the generator's labeling, which for the README cell is not the
    // README's drawing; edge a->b is bit a*7 - a(a+1)/2 + b - a - 1, op slots one-hot.
    let canon = cell.canonical();
    assert_ne!(canon, cell, "the README drawing is not the generator's labeling");
    assert_eq!(canon.hash(), cell.hash());
    assert_eq!(canon.canonical(), canon);
    assert_eq!((idx::ADJ..idx::OPS).map(|i| f[i]).sum::<f64>(), 9.0);
    for a in 0..7 {
        for b in a + 1..7 {
            assert_eq!(f[idx::ADJ + a * 7 - a * (a + 1) / 2 + b - a - 1], canon.has_edge(a, b) as u8 as f64, "edge {a}->{b}");
        }
    }
    for v in 1..6 {
        let hot: Vec<f64> = Op::INTERIOR.iter().map(|&o| (canon.op(v) == o) as u8 as f64).collect();
        assert_eq!(&f[idx::OPS + 3 * (v - 1)..idx::OPS + 3 * v], &hot[..], "op slot {v}");
    }
    assert_eq!(features(&canon), f, "a drawing and the generator's labeling have the same features");
}

#[test]
fn smallest_cells_match_ir() {
    // input -> output only: the whole cell is a projection.
    let direct = common::spec(&[&[0, 1], &[0, 0]], &["input", "output"]).validate().unwrap();
    check_cell(&direct);
    let f = features(&direct);
    assert_eq!(f[idx::N_PROJECTION], 9.0);
    assert_eq!(f[idx::CELL_DEPTH], 1.0);
    // Padded encoding puts the output at position 6: edge 0 -> 6 is bit 5.
    assert_eq!(f[idx::ADJ + 5], 1.0);
    let chain = common::spec(&[&[0, 1, 0], &[0, 0, 1], &[0, 0, 0]], &["input", "maxpool3x3", "output"]).validate().unwrap();
    check_cell(&chain);
}

#[test]
fn random_cells_match_ir() {
    for cell in random_cells(300, 7) {
        check_cell(&cell);
    }
}

#[test]
fn distinct_layer_configs_of_the_readme_cell() {
    let cell = common::readme_cell().validate().unwrap();
    let cfgs = distinct_layer_configs([&cell], &NetConfig::default());
    // Every distinct configuration of the built network, and nothing else.
    let mut from_ir = layer_configs_of_net(&build(&cell, &NetConfig::default()));
    from_ir.sort();
    from_ir.dedup();
    assert_eq!(cfgs, from_ir);
    // By hand: stem, 2 downsamples, GAP, dense = 5. Stack 0 (one distinct instance):
    // vertices get 32 channels (128 split over 4): projections 128->32 (1 config, it feeds
    // vertices 1, 2, 3, 5), conv1x1 32->32, conv3x3 32->32 (v2, v3, v4 share it), maxpool3x3
    // at 32 ch, concat 4 x 32 -> 128, and the output has no input edge: 5 configs. Stacks 1
    // and 2 each have two instances (first cell c_in = half) with 64 / 128 vertex channels:
    // projections from two input widths (2) + conv1x1 + conv3x3 + maxpool + concat = 6 each.
    assert_eq!(cfgs.len(), 5 + 5 + 6 + 6);
    assert!(cfgs.iter().any(|c| c.op == LayerOp::Concat && c.c_out == 512 && c.inputs == 4 && c.size == 8));
    assert!(cfgs.contains(&LayerConfig { op: LayerOp::Conv, k: 1, stride: 1, c_in: 256, c_out: 128, size: 8, inputs: 1 }));
}

/// The whole space (slow in debug: `cargo test --release --test predict_features -- --ignored`).
#[test]
#[ignore]
fn whole_space_layer_configs_match_ir() {
    let space = leti::space::enumerate();
    let cells: Vec<Cell> = space.entries.iter().map(|e| e.cell).collect();
    let cfg = NetConfig::default();
    let fast = distinct_layer_configs(&cells, &cfg);
    let mut by_ir = std::collections::BTreeSet::new();
    for c in &cells {
        by_ir.extend(layer_configs_of_net(&build(c, &cfg)));
    }
    assert_eq!(fast, by_ir.into_iter().collect::<Vec<_>>());
    // A concat joins 2 to 4 vertices (5 would need 5 edges to the output plus 5 into the
    // vertices: more than 9), once per stack width: 9 configurations.
    assert_eq!(fast.iter().filter(|c| c.op == LayerOp::Concat).count(), 9);
    println!("{} distinct layer configurations", fast.len());
}
