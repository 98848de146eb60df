//! The app's anchor set is what its documentation says: the first cells of the predictors'
//! anchor order over the whole space, all distinct and valid.

use leti::measure::anchors::{anchor_cells, ANCHOR_CODES};
use leti::predict::anchor_set;
use leti::space::enumerate;

#[test]
fn anchors_are_the_first_of_the_predictors_anchor_order() {
    let space = enumerate();
    let cells: Vec<_> = space.entries.iter().map(|e| e.cell).collect();
    let order = anchor_set(&cells);
    let codes: Vec<u32> = order.iter().take(ANCHOR_CODES.len()).map(|&i| space.entries[i].code).collect();
    assert_eq!(&ANCHOR_CODES[..], &codes[..]);
    let mut hashes: Vec<_> = anchor_cells().iter().map(|c| c.hash()).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), ANCHOR_CODES.len(), "anchors are distinct");
}
