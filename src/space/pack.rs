//! The compact binary encoding of a list of cells (normally the whole space) that the web app
//! loads to predict over every cell.
//!
//! Layout, little-endian: `magic "LETISPAC"` (8 bytes), `version: u16`, `flags: u16` (bit 0:
//! hashes present), `count: u32`, then
//! - version 2 (written): `codes_len: u32`, then `codes_len` bytes holding the `count` generator
//!   codes (see [`SpaceEntry::code`]) as differences from the one before (the first from 0),
//!   each a signed LEB128 number;
//! - version 1 (still read): `count` codes as `u32` each;
//!
//! then, when flag bit 0 is set, `count` module hashes (16 raw bytes each). The space's codes
//! rise in file order, 98% of them by 1, so version 2 stores the whole space in 1.01 bytes a
//! cell (426,747 bytes, against 1,694,512 at 4 bytes), which gzip takes to 4.8 KiB (version 1:
//! 1.1 MiB). Hashes, when stored, are 16 incompressible bytes a cell.

use super::enumerate::{entry, is_full_dag, labeling, matrix_from_bits, SpaceEntry};
use super::hash::ModuleHash;
use super::op::Op;
use super::spec::{Cell, MAX_VERTICES};

pub const PACK_MAGIC: &[u8; 8] = b"LETISPAC";
/// The version [`pack`] writes; [`unpack`] reads it and version 1.
pub const PACK_VERSION: u16 = 2;
const HEADER: usize = 16;
const FLAG_HASHES: u16 = 1;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("not a LETI space file (bad magic bytes)")]
    BadMagic,
    #[error("space file version {0} is not supported (this build reads versions 1 and {PACK_VERSION})")]
    Version(u16),
    #[error("space file is truncated: expected {expected} bytes, found {found}")]
    Truncated { expected: usize, found: usize },
    #[error("space file has {0} trailing bytes")]
    Trailing(usize),
    #[error("the space file's code stream is damaged at cell {index}")]
    CodeStream { index: usize },
    #[error("cell {index} has an invalid code {code:#010x}")]
    BadCode { index: usize, code: u32 },
    #[error("cell {index}: stored hash differs from the hash of its cell")]
    HashMismatch { index: usize },
}

/// Encodes `entries` (version 2); with `with_hashes` the 16-byte module hashes are stored too.
pub fn pack(entries: &[SpaceEntry], with_hashes: bool) -> Vec<u8> {
    let mut codes = Vec::with_capacity(entries.len() + 16);
    let mut prev = 0i64;
    for e in entries {
        leb128::write::signed(&mut codes, e.code as i64 - prev).expect("writing to a Vec");
        prev = e.code as i64;
    }
    let mut out = Vec::with_capacity(HEADER + 4 + codes.len() + if with_hashes { 16 * entries.len() } else { 0 });
    out.extend_from_slice(PACK_MAGIC);
    out.extend_from_slice(&PACK_VERSION.to_le_bytes());
    out.extend_from_slice(&(if with_hashes { FLAG_HASHES } else { 0 }).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    out.extend_from_slice(&(codes.len() as u32).to_le_bytes());
    out.extend_from_slice(&codes);
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

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Checks that `bytes` is exactly `expected` long.
fn exact_length(bytes: &[u8], expected: usize) -> Result<(), PackError> {
    match bytes.len() {
        n if n < expected => Err(PackError::Truncated { expected, found: n }),
        n if n > expected => Err(PackError::Trailing(n - expected)),
        _ => Ok(()),
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
    let has_hashes = u16::from_le_bytes([bytes[10], bytes[11]]) & FLAG_HASHES != 0;
    let count = u32_at(bytes, 12) as usize;
    // Saturating: a damaged count must not overflow (usize is 32 bits in wasm).
    let hash_bytes = if has_hashes { count.saturating_mul(16) } else { 0 };
    let (codes, at) = match version {
        1 => {
            exact_length(bytes, HEADER.saturating_add(hash_bytes).saturating_add(count.saturating_mul(4)))?;
            (bytes[HEADER..HEADER + 4 * count].chunks_exact(4).map(|c| u32_at(c, 0)).collect(), HEADER + 4 * count)
        }
        2 => {
            if bytes.len() < HEADER + 4 {
                return Err(PackError::Truncated { expected: HEADER + 4, found: bytes.len() });
            }
            let len = u32_at(bytes, HEADER) as usize;
            exact_length(bytes, (HEADER + 4).saturating_add(len).saturating_add(hash_bytes))?;
            (code_stream(&bytes[HEADER + 4..HEADER + 4 + len], count)?, HEADER + 4 + len)
        }
        v => return Err(PackError::Version(v)),
    };
    let mut out = Unpacked { cells: Vec::with_capacity(count), codes, hashes: None };
    for (index, &code) in out.codes.iter().enumerate() {
        out.cells.push(decode_cell(code).ok_or(PackError::BadCode { index, code })?);
    }
    if has_hashes {
        out.hashes = Some(bytes[at..].chunks_exact(16).map(|h| ModuleHash(h.try_into().expect("chunks of 16"))).collect());
    }
    Ok(out)
}

/// Decodes version 2's `count` codes from `stream`, which they must fill exactly.
fn code_stream(mut stream: &[u8], count: usize) -> Result<Vec<u32>, PackError> {
    if count > stream.len() {
        return Err(PackError::CodeStream { index: stream.len() });
    }
    let mut codes = Vec::with_capacity(count);
    let mut prev = 0i64;
    for index in 0..count {
        let delta = leb128::read::signed(&mut stream).map_err(|_| PackError::CodeStream { index })?;
        let code = prev.checked_add(delta).and_then(|c| u32::try_from(c).ok()).ok_or(PackError::CodeStream { index })?;
        codes.push(code);
        prev = code as i64;
    }
    if !stream.is_empty() {
        return Err(PackError::CodeStream { index: count });
    }
    Ok(codes)
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
