//! The compact binary encoding of a list of cells (normally the whole space) that the web app
//! loads to predict over every cell.
//!
//! Layout, little-endian:
//! `magic "LETISPAC"` (8 bytes), `version: u16`, `flags: u16` (bit 0: hashes present),
//! `count: u32`, then `count` generator codes (`u32` each, see [`SpaceEntry::code`]), then,
//! when flag bit 0 is set, `count` module hashes (16 raw bytes each).
//! Without hashes the whole space is 4 bytes a cell (1.7 MB); with them, 20.

use super::enumerate::{entry, is_full_dag, labeling, matrix_from_bits, SpaceEntry};
use super::hash::ModuleHash;
use super::op::Op;
use super::spec::{Cell, MAX_VERTICES};

pub const PACK_MAGIC: &[u8; 8] = b"LETISPAC";
pub const PACK_VERSION: u16 = 1;
const HEADER: usize = 16;
const FLAG_HASHES: u16 = 1;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("not a LETI space file (bad magic bytes)")]
    BadMagic,
    #[error("space file version {0} is not supported (this build reads version {PACK_VERSION})")]
    Version(u16),
    #[error("space file is truncated: expected {expected} bytes, found {found}")]
    Truncated { expected: usize, found: usize },
    #[error("space file has {0} trailing bytes")]
    Trailing(usize),
    #[error("cell {index} has an invalid code {code:#010x}")]
    BadCode { index: usize, code: u32 },
    #[error("cell {index}: stored hash differs from the hash of its cell")]
    HashMismatch { index: usize },
}

/// Encodes `entries`; with `with_hashes` the 16-byte module hashes are stored too.
pub fn pack(entries: &[SpaceEntry], with_hashes: bool) -> Vec<u8> {
    let per = if with_hashes { 20 } else { 4 };
    let mut out = Vec::with_capacity(HEADER + per * entries.len());
    out.extend_from_slice(PACK_MAGIC);
    out.extend_from_slice(&PACK_VERSION.to_le_bytes());
    out.extend_from_slice(&(if with_hashes { FLAG_HASHES } else { 0 }).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in entries {
        out.extend_from_slice(&e.code.to_le_bytes());
    }
    if with_hashes {
        for e in entries {
            out.extend_from_slice(&e.hash.0);
        }
    }
    out
}

/// A decoded space file: the cells with their codes, and the hashes when the file stores them.
#[derive(Clone, Debug, Default)]
pub struct Unpacked {
    pub cells: Vec<Cell>,
    pub codes: Vec<u32>,
    pub hashes: Option<Vec<ModuleHash>>,
}

impl Unpacked {
    /// Recomputes every hash from its cell and compares with the stored ones (slow: one
    /// module hash per cell). `Ok` when no hashes are stored.
    pub fn verify_hashes(&self) -> Result<(), PackError> {
        if let Some(hashes) = &self.hashes {
            for (index, (c, h)) in self.cells.iter().zip(hashes).enumerate() {
                if c.hash() != *h {
                    return Err(PackError::HashMismatch { index });
                }
            }
        }
        Ok(())
    }
}

/// Decodes a space file. Every code is checked to be a valid generator graph (cheap, no
/// hashing, so the browser can load the whole space quickly).
pub fn unpack(bytes: &[u8]) -> Result<Unpacked, PackError> {
    if bytes.len() < HEADER {
        return Err(PackError::Truncated { expected: HEADER, found: bytes.len() });
    }
    if &bytes[..8] != PACK_MAGIC {
        return Err(PackError::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != PACK_VERSION {
        return Err(PackError::Version(version));
    }
    let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
    let count = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    let has_hashes = flags & FLAG_HASHES != 0;
    let per = if has_hashes { 20 } else { 4 };
    let expected = HEADER + per * count;
    if bytes.len() < expected {
        return Err(PackError::Truncated { expected, found: bytes.len() });
    }
    if bytes.len() > expected {
        return Err(PackError::Trailing(bytes.len() - expected));
    }
    let raw = &bytes[HEADER..HEADER + 4 * count];
    let mut out = Unpacked { cells: Vec::with_capacity(count), codes: Vec::with_capacity(count), hashes: None };
    for (index, c) in raw.chunks_exact(4).enumerate() {
        let code = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        out.cells.push(decode_cell(code).ok_or(PackError::BadCode { index, code })?);
        out.codes.push(code);
    }
    if has_hashes {
        let at = HEADER + 4 * count;
        out.hashes = Some(bytes[at..].chunks_exact(16).map(|h| ModuleHash(h.try_into().expect("chunks of 16"))).collect());
    }
    Ok(out)
}

/// Rebuilds the cell of one generator code, or `None` if the code is not one.
pub fn decode_cell(code: u32) -> Option<Cell> {
    decode_parts(code).map(|(n, out, l)| {
        let labels = labeling(n, l);
        let mut ops = [Op::Output; MAX_VERTICES];
        ops[0] = Op::Input;
        for v in 1..n - 1 {
            ops[v] = Op::INTERIOR[labels[v] as usize];
        }
        Cell::from_parts(n, out, ops)
    })
}

/// Rebuilds and hashes the entry of one generator code, or `None` if the code is not one.
pub fn decode(code: u32) -> Option<SpaceEntry> {
    let n = (code >> 29) as usize + 2;
    let bits = (code >> 8) & ((1 << 21) - 1);
    decode_parts(code).map(|(_, out, l)| {
        let (_, inn) = matrix_from_bits(n, bits);
        entry(n, bits, &out, &inn, l)
    })
}

fn decode_parts(code: u32) -> Option<(usize, [u8; MAX_VERTICES], u32)> {
    let n = (code >> 29) as usize + 2;
    let bits = (code >> 8) & ((1 << 21) - 1);
    let l = code & 0xff;
    if n > MAX_VERTICES || bits >> (n * (n - 1) / 2) != 0 || l >= 3u32.pow(n as u32 - 2) {
        return None;
    }
    let (out, inn) = matrix_from_bits(n, bits);
    if !is_full_dag(n, &out, &inn) {
        return None;
    }
    Some((n, out, l))
}
