//! The anchor set is what its documentation says: the README cell, then the seeded sample of
//! the enumerated space, all distinct and valid.

use leti::measure::anchors::{anchor_cells, ANCHOR_CODES, ANCHOR_SEED};
use leti::space::{enumerate, sample};

mod common;

#[test]
fn anchors_are_the_readme_cell_then_the_seeded_sample() {
    let cells = anchor_cells();
    assert_eq!(cells[0].hash().to_hex(), common::README_HASH);
    assert_eq!(cells[0].hash(), common::readme_cell().validate().unwrap().hash());
    let space = enumerate();
    let sampled: Vec<u32> = sample(&space, ANCHOR_CODES.len() - 1, ANCHOR_SEED).iter().map(|e| e.code).collect();
    assert_eq!(&ANCHOR_CODES[1..], &sampled[..]);
    let mut hashes: Vec<_> = cells.iter().map(|c| c.hash()).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), ANCHOR_CODES.len(), "anchors are distinct");
}
