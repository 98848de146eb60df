//! The module hash against the dataset's known values, its invariance under relabeling and
//! its power to tell different cells apart.

mod common;

use common::{readme_cell, relabel, spec, upper_triangular_relabelings, README_HASH, README_PARAMS};
use leti::net::{build, Cost, NetConfig};
use leti::space::{CellSpec, ModuleHash};

fn hash_of(s: &CellSpec) -> ModuleHash {
    s.validate().expect("valid spec").hash()
}

/// Cells of different sizes and shapes used by several tests.
fn sample_cells() -> Vec<CellSpec> {
    vec![
        readme_cell(),
        // Diamond with a skip: 0->1, 0->2, 1->3, 2->3, 0->3.
        spec(&[&[0, 1, 1, 1], &[0, 0, 0, 1], &[0, 0, 0, 1], &[0, 0, 0, 0]], &["input", "conv3x3-bn-relu", "maxpool3x3", "output"]),
        // 7-vertex cell with 9 edges and all three ops, several symmetric-looking branches.
        spec(
            &[
                &[0, 1, 1, 0, 0, 0, 0],
                &[0, 0, 0, 1, 1, 0, 0],
                &[0, 0, 0, 0, 0, 1, 0],
                &[0, 0, 0, 0, 0, 0, 1],
                &[0, 0, 0, 0, 0, 1, 1],
                &[0, 0, 0, 0, 0, 0, 1],
                &[0, 0, 0, 0, 0, 0, 0],
            ],
            &["input", "conv1x1-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"],
        ),
        // Four parallel branches: all 24 relabelings are topological.
        spec(
            &[&[0, 1, 1, 1, 1, 0], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 0]],
            &["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"],
        ),
    ]
}

#[test]
fn readme_cell_has_the_dataset_hash_and_parameter_count() {
    let cell = readme_cell().validate().unwrap();
    assert_eq!(cell.hash().to_hex(), README_HASH);
    let cost = Cost::of(&build(&cell, &NetConfig::default()));
    assert_eq!(cost.trainable_parameters, README_PARAMS);
}

#[test]
fn hash_is_invariant_under_every_upper_triangular_relabeling() {
    for s in sample_cells() {
        let h = hash_of(&s);
        let relabelings = upper_triangular_relabelings(&s);
        assert!(relabelings.len() > 1, "test cell should have non-trivial relabelings");
        for r in &relabelings {
            assert_eq!(hash_of(r), h, "relabeled {r:?} of {s:?}");
        }
    }
    // The README cell: only 3 -> 4 constrains the order of its 5 interior vertices.
    assert_eq!(upper_triangular_relabelings(&readme_cell()).len(), 60);
    assert_eq!(upper_triangular_relabelings(&sample_cells()[3]).len(), 24);
}

#[test]
fn relabelings_that_break_upper_triangularity_are_rejected() {
    // Swapping 3 and 4 of the README cell puts the edge 3->4 below the diagonal.
    let swapped = relabel(&readme_cell(), &[0, 1, 2, 4, 3, 5, 6]);
    assert!(swapped.validate().is_err());
}

#[test]
fn different_cells_have_different_hashes() {
    let cells = sample_cells();
    let mut hashes: Vec<_> = cells.iter().map(hash_of).collect();
    // Changing one op, removing one edge, or reversing the roles of two ops changes the hash.
    let base = readme_cell();
    let mut op_changed = base.clone();
    op_changed.module_operations[1] = "conv3x3-bn-relu".into();
    hashes.push(hash_of(&op_changed));
    let mut edge_removed = base.clone();
    edge_removed.module_adjacency[5][6] = 0; // the max-pool branch now dangles and is pruned
    hashes.push(hash_of(&edge_removed));
    let mut moved = base.clone();
    moved.module_adjacency[0][5] = 0;
    moved.module_adjacency[3][5] = 1;
    hashes.push(hash_of(&moved));
    // The same graph as a chain with different op orders (not isomorphic: a chain fixes order).
    let chain = |a: &str, b: &str| spec(&[&[0, 1, 0, 0], &[0, 0, 1, 0], &[0, 0, 0, 1], &[0, 0, 0, 0]], &["input", a, b, "output"]);
    hashes.push(hash_of(&chain("conv3x3-bn-relu", "maxpool3x3")));
    hashes.push(hash_of(&chain("maxpool3x3", "conv3x3-bn-relu")));
    // Smallest cell: input -> output.
    hashes.push(hash_of(&spec(&[&[0, 1], &[0, 0]], &["input", "output"])));
    let n = hashes.len();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), n, "some distinct cells share a hash");
}

#[test]
fn hash_serialises_as_32_lowercase_hex_digits() {
    let h = readme_cell().validate().unwrap().hash();
    assert_eq!(serde_json::to_string(&h).unwrap(), format!("\"{README_HASH}\""));
    assert_eq!(ModuleHash::from_hex(&README_HASH.to_uppercase()), Some(h));
    assert!(serde_json::from_str::<ModuleHash>("\"28cfc7874f6d200472e1a9dcd8650aa\"").is_err());
}
