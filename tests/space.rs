//! The whole space: enumeration (count, distinct hashes, every cell re-hashes to its stored
//! hash and is already pruned), the known smallest hash, seeded sampling, and the pack/unpack
//! round trip. One enumeration is shared by every test in this file.

mod common;

use std::collections::HashSet;
use std::sync::OnceLock;

use leti::space::{enumerate, pack, sample, unpack, ModuleHash, PackError, Space, SpaceEntry, NUM_UNIQUE_CELLS, PACK_MAGIC, PACK_VERSION};
use rayon::prelude::*;

fn space() -> &'static Space {
    static SPACE: OnceLock<Space> = OnceLock::new();
    SPACE.get_or_init(enumerate)
}

#[test]
fn enumeration_has_every_unique_cell_once() {
    let s = space();
    assert_eq!(s.len(), 423_624);
    assert_eq!(NUM_UNIQUE_CELLS, 423_624);
    let hashes: HashSet<ModuleHash> = s.entries.iter().map(|e| e.hash).collect();
    assert_eq!(hashes.len(), s.len(), "duplicate hashes");
    let codes: HashSet<u32> = s.entries.iter().map(|e| e.code).collect();
    assert_eq!(codes.len(), s.len(), "duplicate codes");
}

#[test]
fn smallest_hash_and_readme_cell_are_in_the_space() {
    let s = space();
    let min = s.entries.iter().map(|e| e.hash).min().unwrap();
    assert_eq!(min.to_hex(), "00005c142e6f48ac74fdcf73e3439874");
    let readme = ModuleHash::from_hex(common::README_HASH).unwrap();
    assert!(s.entries.iter().any(|e| e.hash == readme));
}

#[test]
fn every_enumerated_cell_rehashes_to_its_hash_and_is_already_pruned() {
    // The plain (unmemoised) hash path, from the spec as a user would write it.
    let bad: Vec<String> = space()
        .entries
        .par_iter()
        .filter_map(|e| {
            let spec = e.cell.to_spec();
            match spec.prune() {
                Ok(p) if p.cell == e.cell && p.kept.len() == spec.module_adjacency.len() && p.cell.hash() == e.hash => None,
                other => Some(format!("{spec:?}: {other:?}")),
            }
        })
        .collect();
    assert!(bad.is_empty(), "{} cells fail, e.g. {}", bad.len(), bad[0]);
}

#[test]
fn every_enumerated_cell_is_in_the_generators_own_labeling() {
    let moved: Vec<String> = space().entries.par_iter().filter(|e| e.cell.canonical() != e.cell).map(|e| format!("{:?}", e.cell.to_spec())).collect();
    assert!(moved.is_empty(), "{} cells are not in their canonical labeling, e.g. {}", moved.len(), moved[0]);
}

#[test]
fn first_cells_follow_the_generator_order() {
    // The generator starts at 2 vertices (input -> output), then 3 vertices with each op.
    let e = &space().entries;
    assert_eq!(e[0].cell.to_spec(), common::spec(&[&[0, 1], &[0, 0]], &["input", "output"]));
    let ops: Vec<String> = e[1..4].iter().map(|x| x.cell.to_spec().module_operations[1].clone()).collect();
    assert_eq!(ops, ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"]);
    assert!(e.windows(2).all(|w| w[0].cell.num_vertices() <= w[1].cell.num_vertices()));
}

#[test]
fn sampling_is_seeded_uniform_and_distinct() {
    let s = space();
    let a = sample(s, 1000, 42);
    let b = sample(s, 1000, 42);
    let c = sample(s, 1000, 43);
    assert_eq!(a, b, "same seed, same cells in the same order");
    assert_ne!(a, c, "different seeds differ");
    let distinct: HashSet<ModuleHash> = a.iter().map(|e| e.hash).collect();
    assert_eq!(distinct.len(), 1000);
    // Uniform over cells: the share of 7-vertex cells in the sample is close to the space's.
    let seven = a.iter().filter(|e| e.cell.num_vertices() == 7).count() as f64 / 1000.0;
    let share = s.entries.iter().filter(|e| e.cell.num_vertices() == 7).count() as f64 / s.len() as f64;
    assert!((seven - share).abs() < 0.05, "sample share {seven} vs space {share}");
    assert_eq!(sample(s, 10_000_000, 1).len(), s.len(), "n is capped at the space size");
}

#[test]
fn pack_round_trips_the_whole_space() {
    let s = space();
    let plain = pack(&s.entries, false);
    // Version 2 codes rise mostly by 1: about a byte a cell, where version 1 took 4.
    assert!(plain.len() < 20 + s.len() * 11 / 10, "the whole space packs into {} bytes", plain.len());
    for with_hashes in [false, true] {
        let bytes = pack(&s.entries, with_hashes);
        assert_eq!(bytes.len(), plain.len() + if with_hashes { 16 * s.len() } else { 0 });
        assert_eq!(&bytes[..8], PACK_MAGIC);
        assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), PACK_VERSION);
        let u = unpack(&bytes).unwrap();
        assert_eq!(u.cells.len(), s.len());
        assert!(u.cells.iter().zip(&s.entries).all(|(c, e)| *c == e.cell), "cells differ or are reordered");
        assert!(u.codes.iter().zip(&s.entries).all(|(c, e)| *c == e.code));
        match (with_hashes, &u.hashes) {
            (false, None) => {}
            (true, Some(h)) => assert!(h.iter().zip(&s.entries).all(|(h, e)| *h == e.hash)),
            other => panic!("hashes present = {:?} with_hashes = {with_hashes}", other.1.is_some()),
        }
    }
}

/// A version 1 file (4 bytes a code), as older builds wrote it.
fn pack_v1(entries: &[SpaceEntry], with_hashes: bool) -> Vec<u8> {
    let mut out = PACK_MAGIC.to_vec();
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&u16::from(with_hashes).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    out.extend(entries.iter().flat_map(|e| e.code.to_le_bytes()));
    if with_hashes {
        out.extend(entries.iter().flat_map(|e| e.hash.0));
    }
    out
}

#[test]
fn version_1_files_still_read_the_same() {
    let s = space();
    // Out of order on purpose: version 2 stores signed differences, so any order packs.
    let entries: Vec<SpaceEntry> = s.entries.iter().rev().step_by(97).cloned().collect();
    for with_hashes in [false, true] {
        let (v1, v2) = (unpack(&pack_v1(&entries, with_hashes)).unwrap(), unpack(&pack(&entries, with_hashes)).unwrap());
        assert_eq!((&v1.cells, &v1.codes, &v1.hashes), (&v2.cells, &v2.codes, &v2.hashes));
        assert_eq!(v2.codes, entries.iter().map(|e| e.code).collect::<Vec<_>>());
    }
    let v1 = pack_v1(&s.entries[..100], false);
    assert!(matches!(unpack(&v1[..v1.len() - 1]), Err(PackError::Truncated { .. })));
}

#[test]
fn corrupted_pack_files_are_errors() {
    let s = space();
    let good = pack(&s.entries[..1000], true);
    assert!(unpack(&good).is_ok());
    let mut magic = good.clone();
    magic[0] = b'X';
    assert_eq!(unpack(&magic).unwrap_err(), PackError::BadMagic);
    let mut version = good.clone();
    version[8] = 99;
    assert_eq!(unpack(&version).unwrap_err(), PackError::Version(99));
    assert!(matches!(unpack(&good[..good.len() - 1]), Err(PackError::Truncated { .. })));
    assert!(matches!(unpack(&good[..5]), Err(PackError::Truncated { .. })));
    assert!(matches!(unpack(&good[..18]), Err(PackError::Truncated { .. })));
    assert!(matches!(unpack(&[]), Err(PackError::Truncated { .. })));
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(unpack(&longer).unwrap_err(), PackError::Trailing(1));
    // A count claiming more cells than the file holds.
    let mut count = good.clone();
    count[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(unpack(&count), Err(PackError::Truncated { .. })));
    // Without hashes, a count the code stream does not fill, or one it overfills.
    let plain = pack(&s.entries[..1000], false);
    for claimed in [1001u32, 999, u32::MAX] {
        let mut b = plain.clone();
        b[12..16].copy_from_slice(&claimed.to_le_bytes());
        assert!(matches!(unpack(&b), Err(PackError::CodeStream { .. })), "count {claimed}");
    }
    // A difference that leaves the u32 range.
    let mut neg = pack(&s.entries[..3], false);
    neg[20] = 0x7f; // -1 as the first difference: code -1
    assert_eq!(unpack(&neg).unwrap_err(), PackError::CodeStream { index: 0 });
    // Codes that are no generator graph: too many vertices, a labeling out of range, an
    // edge mask with a vertex off every path.
    for (bad, at) in [(7u32 << 29, 3usize), (0x0000_01ff, 10), (1 << 29, 500)] {
        let mut entries = s.entries[..1000].to_vec();
        entries[at].code = bad;
        assert_eq!(unpack(&pack(&entries, true)).unwrap_err(), PackError::BadCode { index: at, code: bad }, "code {bad:#x}");
    }
    // A stored hash that does not match its cell is found by verification.
    let mut h = good.clone();
    let last = h.len() - 1;
    h[last] ^= 1;
    assert_eq!(unpack(&h).unwrap().verify_hashes(), Err(PackError::HashMismatch { index: 999 }));
    assert_eq!(unpack(&good).unwrap().verify_hashes(), Ok(()));
}
