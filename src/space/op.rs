//! Vertex operation labels of a NAS-Bench-101 cell.

use serde::{Deserialize, Serialize};

/// The op of one cell vertex. Interior ops are listed in NAS-Bench-101's canonical order
/// (`conv3x3-bn-relu` = 0, `conv1x1-bn-relu` = 1, `maxpool3x3` = 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "input")]
    Input,
    #[serde(rename = "conv3x3-bn-relu")]
    Conv3x3,
    #[serde(rename = "conv1x1-bn-relu")]
    Conv1x1,
    #[serde(rename = "maxpool3x3")]
    MaxPool3x3,
    #[serde(rename = "output")]
    Output,
}

impl Op {
    /// The three interior ops in canonical order.
    pub const INTERIOR: [Op; 3] = [Op::Conv3x3, Op::Conv1x1, Op::MaxPool3x3];

    /// NAS-Bench-101's label string.
    pub fn label(self) -> &'static str {
        match self {
            Op::Input => "input",
            Op::Conv3x3 => "conv3x3-bn-relu",
            Op::Conv1x1 => "conv1x1-bn-relu",
            Op::MaxPool3x3 => "maxpool3x3",
            Op::Output => "output",
        }
    }

    /// Parses a NAS-Bench-101 label string.
    pub fn from_label(s: &str) -> Option<Op> {
        Some(match s {
            "input" => Op::Input,
            "conv3x3-bn-relu" => Op::Conv3x3,
            "conv1x1-bn-relu" => Op::Conv1x1,
            "maxpool3x3" => Op::MaxPool3x3,
            "output" => Op::Output,
            _ => return None,
        })
    }

    /// The integer label the module hash uses: input -1, output -2, interior its canonical index.
    pub fn hash_label(self) -> i8 {
        match self {
            Op::Input => -1,
            Op::Output => -2,
            Op::Conv3x3 => 0,
            Op::Conv1x1 => 1,
            Op::MaxPool3x3 => 2,
        }
    }

    /// Canonical index of an interior op; `None` for input/output.
    pub fn interior_index(self) -> Option<u8> {
        match self {
            Op::Conv3x3 => Some(0),
            Op::Conv1x1 => Some(1),
            Op::MaxPool3x3 => Some(2),
            _ => None,
        }
    }

    pub fn is_interior(self) -> bool {
        self.interior_index().is_some()
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
