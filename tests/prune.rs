//! Pruning exactly as NAS-Bench-101: vertices off every input-output path are removed (order
//! kept), limits apply after pruning, and a disconnected input/output is an error.

mod common;

use common::spec;
use leti::space::{CellSpec, Op, SpecError};

const C3: &str = "conv3x3-bn-relu";
const C1: &str = "conv1x1-bn-relu";
const MP: &str = "maxpool3x3";

#[test]
fn dangling_chain_is_removed_with_all_its_edges() {
    // 0->1->4 is the path; 0->2->3 dangles (3 has no out-edge), so 2 and 3 go.
    let s = spec(&[&[0, 1, 1, 0, 0], &[0, 0, 0, 0, 1], &[0, 0, 0, 1, 0], &[0, 0, 0, 0, 0], &[0, 0, 0, 0, 0]], &["input", C1, C3, MP, "output"]);
    let p = s.prune().unwrap();
    assert_eq!(p.kept, vec![0, 1, 4]);
    assert_eq!(p.cell.to_spec(), spec(&[&[0, 1, 0], &[0, 0, 1], &[0, 0, 0]], &["input", C1, "output"]));
    assert_eq!(p.cell.num_edges(), 2);
}

#[test]
fn vertex_fed_only_by_an_unreachable_vertex_is_removed() {
    // 1 has no in-edge, so 1 and 2 (fed only by 1) are unreachable although 2 reaches the output.
    let s = spec(&[&[0, 0, 0, 1, 0], &[0, 0, 1, 0, 0], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 0]], &["input", C3, C3, MP, "output"]);
    let p = s.prune().unwrap();
    assert_eq!(p.kept, vec![0, 3, 4]);
    assert_eq!(p.cell.ops(), &[Op::Input, Op::MaxPool3x3, Op::Output]);
}

#[test]
fn pruned_spec_hashes_like_the_spec_written_pruned() {
    let unpruned = spec(&[&[0, 1, 1, 0, 1], &[0, 0, 0, 0, 1], &[0, 0, 0, 1, 0], &[0, 0, 0, 0, 0], &[0, 0, 0, 0, 0]], &["input", MP, C1, C3, "output"]);
    let pruned = spec(&[&[0, 1, 1], &[0, 0, 1], &[0, 0, 0]], &["input", MP, "output"]);
    assert_eq!(unpruned.validate().unwrap(), pruned.validate().unwrap());
    assert_eq!(unpruned.validate().unwrap().hash(), pruned.validate().unwrap().hash());
}

#[test]
fn input_not_reaching_output_is_invalid_even_with_interior_edges() {
    // 0->1->2 and 3->4, but nothing links the two halves.
    let s = spec(&[&[0, 1, 0, 0, 0], &[0, 0, 1, 0, 0], &[0, 0, 0, 0, 0], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 0]], &["input", C3, C1, MP, "output"]);
    assert_eq!(s.validate(), Err(SpecError::Disconnected));
    // A matrix with no edge at all.
    assert_eq!(spec(&[&[0, 0], &[0, 0]], &["input", "output"]).validate(), Err(SpecError::Disconnected));
    let msg = SpecError::Disconnected.to_string();
    assert!(msg.contains("not connected"), "{msg}");
}

#[test]
fn edge_limit_counts_only_edges_that_survive_pruning() {
    // 10 edges before pruning, 9 after: the dangling vertex 5 carries one edge (0 -> 5).
    let mut adj = vec![vec![0u8; 7]; 7];
    for (a, b) in [(0, 1), (0, 2), (0, 3), (1, 4), (2, 4), (3, 4), (4, 6), (1, 6), (2, 6), (0, 5)] {
        adj[a][b] = 1;
    }
    let ops: Vec<String> = ["input", C3, C3, C1, MP, C1, "output"].iter().map(|s| s.to_string()).collect();
    let p = CellSpec::new(adj.clone(), ops.clone()).prune().unwrap();
    assert_eq!(p.cell.num_edges(), 9);
    assert_eq!(p.kept, vec![0, 1, 2, 3, 4, 6]);
    // Make 5 reach the output: 11 edges survive, which is too many.
    adj[5][6] = 1;
    assert_eq!(CellSpec::new(adj, ops).validate(), Err(SpecError::TooManyEdges(11)));
}

#[test]
fn validated_cell_round_trips_through_its_spec() {
    let s = common::readme_cell();
    let c = s.validate().unwrap();
    assert_eq!(c.to_spec(), s);
    assert_eq!(c.to_spec().validate().unwrap(), c);
}

#[test]
fn error_messages_name_the_problem_and_place() {
    let cases = [
        (r#"{"module_adjacency": [[0,1],[0,0]], "module_operations": ["input","conv5x5"]}"#, "unknown op \"conv5x5\" at vertex 1"),
        (r#"{"module_adjacency": [[0,1,0],[0,0,1]], "module_operations": ["input","output"]}"#, "not square"),
        (r#"{"module_adjacency": [[0,1],[1,0]], "module_operations": ["input","output"]}"#, "[1][0]"),
        (r#"{"module_adjacency": [[0,3],[0,0]], "module_operations": ["input","output"]}"#, "[0][1] is 3"),
        (r#"{"module_adjacency": [[0,1],[0,0]], "module_operations": ["input"]}"#, "1 labels but module_adjacency has 2"),
        (r#"{"module_adjacency": [[0,1],[0,0]]}"#, "missing field module_operations"),
        (r#"[[0,1],[0,0]]"#, "expected an object"),
        (r#"{"module_adjacency": [[0,1],[0,0]], "module_operations": ["output","input"]}"#, "vertex 0 must be \"input\""),
    ];
    for (text, needle) in cases {
        let e = CellSpec::from_json_str(text).and_then(|s| s.validate()).unwrap_err().to_string();
        assert!(e.contains(needle), "{text}: {e:?} lacks {needle:?}");
    }
}
