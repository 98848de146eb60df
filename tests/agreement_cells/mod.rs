//! Cells whose networks exercise every construction rule, shared by the native and the
//! browser GPU-versus-CPU tests.
#![allow(dead_code)]

use crate::common::{readme_cell, spec};
use leti::space::CellSpec;

pub fn cases() -> Vec<(&'static str, CellSpec)> {
    vec![
        ("readme", readme_cell()),
        ("two-vertex (projection only)", spec(&[&[0, 1], &[0, 0]], &["input", "output"])),
        (
            // out feeders v1 (6 ch of 16), v2, v3 (5 each): v1 -> v2 truncates 6 -> 5.
            "uneven split with truncation",
            spec(
                &[&[0, 1, 0, 1, 0], &[0, 0, 1, 0, 1], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 1], &[0, 0, 0, 0, 0]],
                &["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "output"],
            ),
        ),
        (
            // v1's input is only its projection; input -> output projection added to the concat.
            "input->output edge added to a concat",
            spec(&[&[0, 1, 1, 1], &[0, 0, 0, 1], &[0, 0, 0, 1], &[0, 0, 0, 0]], &["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "output"]),
        ),
        (
            // v4 sums v1, v2 and v3: a 3-input add, fused into v3's conv epilogue under plan
            // 3; the projections of v1, v2 and v3 run as one launch.
            "a 3-way sum fused into a conv",
            spec(
                &[&[0, 1, 1, 1, 0, 0], &[0, 0, 0, 0, 1, 0], &[0, 0, 0, 0, 1, 0], &[0, 0, 0, 0, 1, 0], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 0]],
                &["input", "conv3x3-bn-relu", "maxpool3x3", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"],
            ),
        ),
        (
            // The same with v3 a 1x1 conv (the vec4 1x1 kernel's two-residual epilogue).
            "a 3-way sum fused into a 1x1 conv",
            spec(
                &[&[0, 1, 1, 1, 0, 0], &[0, 0, 0, 0, 1, 0], &[0, 0, 0, 0, 1, 0], &[0, 0, 0, 0, 1, 0], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 0]],
                &["input", "conv3x3-bn-relu", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu", "output"],
            ),
        ),
        (
            // max-pools in a chain; v4 sums v1, v2, v3 and a projection.
            "max-pool vertices and a 4-way sum",
            spec(
                &[&[0, 1, 0, 0, 1, 0], &[0, 0, 1, 0, 1, 0], &[0, 0, 0, 1, 1, 0], &[0, 0, 0, 0, 1, 1], &[0, 0, 0, 0, 0, 1], &[0, 0, 0, 0, 0, 0]],
                &["input", "maxpool3x3", "maxpool3x3", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"],
            ),
        ),
    ]
}
