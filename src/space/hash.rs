//! The NAS-Bench-101 module hash, bit-identical to the dataset's: an MD5-based
//! Weisfeiler-Lehman refinement over in- and out-neighbours, as the shared note describes.

use std::fmt;
use std::sync::OnceLock;

use md5::{Digest, Md5};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::spec::{Cell, MAX_VERTICES};

/// A module hash: 16 bytes, shown and serialised as 32 lowercase hex digits.
/// Ordering by bytes equals ordering by the hex text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleHash(pub [u8; 16]);

impl ModuleHash {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex digits (either case).
    pub fn from_hex(s: &str) -> Option<ModuleHash> {
        let mut out = [0u8; 16];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(ModuleHash(out))
    }
}

impl fmt::Display for ModuleHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ModuleHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModuleHash({})", self.to_hex())
    }
}

impl Serialize for ModuleHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ModuleHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ModuleHash::from_hex(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a 32-digit hex module hash")))
    }
}

/// Lowercase hex text of an MD5 digest.
pub(crate) type Hex = [u8; 32];

fn to_hex(digest: &[u8]) -> Hex {
    let mut out = [0u8; 32];
    hex::encode_to_slice(digest, &mut out).expect("32 bytes hold 16 hex-encoded bytes");
    out
}

/// The starting value of a vertex: MD5 hex of the Python tuple text `(out, in, label)`.
/// Only 7 x 7 x 5 combinations exist, so they are computed once.
pub(crate) fn initial_value(out_degree: usize, in_degree: usize, label: i8) -> &'static Hex {
    static TABLE: OnceLock<Vec<Hex>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = Vec::with_capacity(MAX_VERTICES * MAX_VERTICES * 5);
        for o in 0..MAX_VERTICES {
            for i in 0..MAX_VERTICES {
                for l in -2i8..=2 {
                    t.push(to_hex(&Md5::digest(format!("({o}, {i}, {l})").as_bytes())));
                }
            }
        }
        t
    });
    &table[(out_degree * MAX_VERTICES + in_degree) * 5 + (label + 2) as usize]
}

/// One refinement step for one vertex: MD5 hex of sorted in-values, `|`, sorted out-values, `|`, own.
#[inline]
pub(crate) fn refine(values: &[Hex], in_bits: u8, out_bits: u8, own: &Hex) -> Hex {
    let mut ins: [&Hex; MAX_VERTICES] = [own; MAX_VERTICES];
    let mut outs: [&Hex; MAX_VERTICES] = [own; MAX_VERTICES];
    let (mut ni, mut no) = (0, 0);
    for (w, value) in values.iter().enumerate() {
        if in_bits >> w & 1 == 1 {
            ins[ni] = value;
            ni += 1;
        }
        if out_bits >> w & 1 == 1 {
            outs[no] = value;
            no += 1;
        }
    }
    ins[..ni].sort_unstable();
    outs[..no].sort_unstable();
    let mut h = Md5::new();
    for v in &ins[..ni] {
        h.update(v.as_slice());
    }
    h.update(b"|");
    for v in &outs[..no] {
        h.update(v.as_slice());
    }
    h.update(b"|");
    h.update(own.as_slice());
    to_hex(&h.finalize())
}

/// The final step: MD5 of the Python list text of the sorted values, `['..', '..']`.
pub(crate) fn fingerprint(values: &mut [Hex]) -> ModuleHash {
    values.sort_unstable();
    let mut h = Md5::new();
    h.update(b"[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            h.update(b", ");
        }
        h.update(b"'");
        h.update(v.as_slice());
        h.update(b"'");
    }
    h.update(b"]");
    ModuleHash(h.finalize().into())
}

/// The module hash of a graph given as out-edge bit rows, in-edge bit columns and hash labels.
pub(crate) fn hash_graph(n: usize, out_bits: &[u8], in_bits: &[u8], labels: &[i8]) -> ModuleHash {
    let mut cur = [[0u8; 32]; MAX_VERTICES];
    for v in 0..n {
        cur[v] = *initial_value(out_bits[v].count_ones() as usize, in_bits[v].count_ones() as usize, labels[v]);
    }
    let mut next = cur;
    for _ in 0..n {
        for v in 0..n {
            next[v] = refine(&cur[..n], in_bits[v], out_bits[v], &cur[v]);
        }
        std::mem::swap(&mut cur, &mut next);
    }
    fingerprint(&mut cur[..n])
}

/// Memoised refinement for hashing many graphs: the first `rounds` refinement steps are
/// looked up by the multiset of neighbour values (as interned ids), so each distinct step
/// costs one MD5 however many graphs share it. Later rounds, whose values are nearly unique
/// per graph, are computed directly. Gives the same hashes as [`hash_graph`].
pub(crate) struct HashMemo {
    rounds: usize,
    values: Vec<Hex>,
    ids: rustc_hash::FxHashMap<[u32; 2 * MAX_VERTICES], u32>,
}

impl HashMemo {
    pub(crate) fn new(rounds: usize) -> HashMemo {
        HashMemo { rounds, values: Vec::new(), ids: Default::default() }
    }

    fn initial_id(&mut self, hex: &Hex) -> u32 {
        // Initial values are interned under a key that no refinement key can equal
        // (a refinement key's last slot holds the neighbour count, at most 2 * 6).
        let mut key = [u32::MAX; 2 * MAX_VERTICES];
        key[0] = u32::from_le_bytes(hex[..4].try_into().unwrap());
        key[1] = u32::from_le_bytes(hex[4..8].try_into().unwrap());
        key[2] = u32::from_le_bytes(hex[8..12].try_into().unwrap());
        key[3] = u32::from_le_bytes(hex[12..16].try_into().unwrap());
        let next = self.values.len() as u32;
        let id = *self.ids.entry(key).or_insert(next);
        if id == next {
            self.values.push(*hex);
        }
        id
    }

    pub(crate) fn hash_graph(&mut self, n: usize, out_bits: &[u8], in_bits: &[u8], labels: &[i8]) -> ModuleHash {
        let rounds = self.rounds.min(n);
        let mut ids = [0u32; MAX_VERTICES];
        for v in 0..n {
            let hex = *initial_value(out_bits[v].count_ones() as usize, in_bits[v].count_ones() as usize, labels[v]);
            ids[v] = self.initial_id(&hex);
        }
        let mut next = ids;
        for _ in 0..rounds {
            for v in 0..n {
                // key: own id, sorted in-ids, u32::MAX - 1 separator, sorted out-ids, padding, count.
                let mut key = [u32::MAX; 2 * MAX_VERTICES];
                key[0] = ids[v];
                let mut k = 1;
                let start = k;
                for w in 0..n {
                    if in_bits[v] >> w & 1 == 1 {
                        key[k] = ids[w];
                        k += 1;
                    }
                }
                key[start..k].sort_unstable();
                key[k] = u32::MAX - 1;
                k += 1;
                let start = k;
                for w in 0..n {
                    if out_bits[v] >> w & 1 == 1 {
                        key[k] = ids[w];
                        k += 1;
                    }
                }
                key[start..k].sort_unstable();
                key[2 * MAX_VERTICES - 1] = k as u32;
                next[v] = match self.ids.get(&key) {
                    Some(&id) => id,
                    None => {
                        let mut vals = [[0u8; 32]; MAX_VERTICES];
                        for w in 0..n {
                            vals[w] = self.values[ids[w] as usize];
                        }
                        let hex = refine(&vals[..n], in_bits[v], out_bits[v], &vals[v]);
                        let id = self.values.len() as u32;
                        self.values.push(hex);
                        self.ids.insert(key, id);
                        id
                    }
                };
            }
            std::mem::swap(&mut ids, &mut next);
        }
        let mut cur = [[0u8; 32]; MAX_VERTICES];
        for v in 0..n {
            cur[v] = self.values[ids[v] as usize];
        }
        let mut nxt = cur;
        for _ in rounds..n {
            for v in 0..n {
                nxt[v] = refine(&cur[..n], in_bits[v], out_bits[v], &cur[v]);
            }
            std::mem::swap(&mut cur, &mut nxt);
        }
        fingerprint(&mut cur[..n])
    }
}

/// The NAS-Bench-101 module hash of a validated, pruned cell.
pub fn module_hash(cell: &Cell) -> ModuleHash {
    let n = cell.num_vertices();
    let mut out_bits = [0u8; MAX_VERTICES];
    let mut in_bits = [0u8; MAX_VERTICES];
    let mut labels = [0i8; MAX_VERTICES];
    for v in 0..n {
        out_bits[v] = cell.out_bits(v);
        in_bits[v] = cell.in_bits(v);
        labels[v] = cell.op(v).hash_label();
    }
    hash_graph(n, &out_bits, &in_bits, &labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::CellSpec;

    pub(crate) fn readme_cell() -> CellSpec {
        CellSpec::new(
            vec![
                vec![0, 1, 1, 1, 0, 1, 0],
                vec![0, 0, 0, 0, 0, 0, 1],
                vec![0, 0, 0, 0, 0, 0, 1],
                vec![0, 0, 0, 0, 1, 0, 0],
                vec![0, 0, 0, 0, 0, 0, 1],
                vec![0, 0, 0, 0, 0, 0, 1],
                vec![0, 0, 0, 0, 0, 0, 0],
            ],
            ["input", "conv1x1-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "output"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )
    }

    #[test]
    fn readme_cell_hash_matches_dataset() {
        let cell = readme_cell().validate().unwrap();
        assert_eq!(cell.hash().to_hex(), "28cfc7874f6d200472e1a9dcd8650aa0");
    }

    #[test]
    fn initial_value_is_md5_of_python_tuple_text() {
        // md5("(2, 0, -1)")
        let expect = to_hex(&Md5::digest(b"(2, 0, -1)"));
        assert_eq!(initial_value(2, 0, -1), &expect);
    }

    #[test]
    fn hex_round_trip() {
        let h = ModuleHash::from_hex("00005c142e6f48ac74fdcf73e3439874").unwrap();
        assert_eq!(h.to_hex(), "00005c142e6f48ac74fdcf73e3439874");
        assert!(ModuleHash::from_hex("xyz").is_none());
        let j = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<ModuleHash>(&j).unwrap(), h);
    }
}
