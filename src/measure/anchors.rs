//! The fixed anchor set: the same cells, in the same order, measured first on every device, so
//! devices can be compared directly and a new device can be calibrated from a few timings.
//!
//! These are the first 20 cells of the predictors' anchor order
//! (`predict::anchor_set` over the enumerated space, printed by `leti anchors`): spread over the
//! cost features, so any prefix is a good few-shot calibration set. They are stored here as
//! generator codes so the browser needs neither the enumeration nor the space file to get them;
//! `tests/anchors.rs` re-derives them. Anchor 0 doubles as the thermal probe.

use crate::space::{decode_cell, Cell};

/// Generator codes ([`crate::space::SpaceEntry::code`]) of the anchors, in measuring order.
pub const ANCHOR_CODES: [u32; 20] = [
    0xb1c2251a, 0x00000100, 0x80789550, 0x60022500, 0x80466f00, 0x8047d500, 0x80439550, 0x804e6b50, 0x60023d00, 0x40002505, 0xb142b5f2, 0xb34215d8, 0x8047cb50,
    0xb04b35f2, 0xb042b700, 0x80422550, 0xb5406b79, 0x20000500, 0xb0422535, 0x8043f528,
];

/// The anchor cells, in measuring order.
pub fn anchor_cells() -> Vec<Cell> {
    ANCHOR_CODES.iter().map(|&c| decode_cell(c).expect("anchor codes are valid generator codes")).collect()
}
