//! The fixed anchor set: the same cells, in the same order, measured first on every device, so
//! devices can be compared directly and a new device can be calibrated from a few timings.
//!
//! Anchor 0 is the NAS-Bench-101 README cell (a mid-sized network, also used as the thermal
//! probe); the others are `space::sample(&space::enumerate(), 15, ANCHOR_SEED)`, stored here as
//! generator codes so the browser needs neither the enumeration nor the space file to get
//! them. `tests/anchors.rs` re-derives the list from the enumeration.

use crate::space::{decode_cell, Cell};

/// The seed of the sampled anchors.
pub const ANCHOR_SEED: u64 = 0x4c45_5449;

/// Generator codes ([`crate::space::SpaceEntry::code`]) of the anchors, in measuring order.
pub const ANCHOR_CODES: [u32; 16] = [
    0xb7404b2d, 0x8071373d, 0xb441e511, 0xb640a518,
    0xb3424d15, 0x804b4f4b, 0xb0c635ce, 0xb0c6a355,
    0xb6486515, 0xb4c22d45, 0xb2692556, 0xb540b575,
    0xb0cb0b34, 0x8052ed3f, 0xb2e215b3, 0xb6422556,
];

/// The anchor cells, in measuring order.
pub fn anchor_cells() -> Vec<Cell> {
    ANCHOR_CODES.iter().map(|&c| decode_cell(c).expect("anchor codes are valid generator codes")).collect()
}
