//! Cells shared by the integration tests.
#![allow(dead_code)]

use leti::space::CellSpec;

pub fn spec(adj: &[&[u8]], ops: &[&str]) -> CellSpec {
    CellSpec::new(adj.iter().map(|r| r.to_vec()).collect(), ops.iter().map(|s| s.to_string()).collect())
}

/// The Inception-like cell from the NAS-Bench-101 README.
pub fn readme_cell() -> CellSpec {
    spec(
        &[
            &[0, 1, 1, 1, 0, 1, 0],
            &[0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 1, 0, 0],
            &[0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 1],
            &[0, 0, 0, 0, 0, 0, 0],
        ],
        &["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"],
    )
}

pub const README_HASH: &str = "28cfc7874f6d200472e1a9dcd8650aa0";
pub const README_PARAMS: u64 = 2_694_282;
