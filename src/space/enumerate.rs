//! Enumeration of the whole NAS-Bench-101 space: every unique cell (423,624), each with its
//! module hash and the spec the original generator saw first for that hash.
//!
//! Order of work, cheapest first: list the valid matrices; give every labeled graph a canonical
//! key (integer colour refinement, then a minimum over the few orderings colours leave tied)
//! so isomorphic graphs meet without any MD5; keep the first graph of each class in generator
//! order; only then compute the (expensive, MD5-based) module hash of the 423,624 survivors.
//! Both phases split their work over threads natively; on wasm32 they run on one.

use rustc_hash::FxHashSet;

use super::hash::{HashMemo, ModuleHash};
use super::op::Op;
use super::spec::{Cell, MAX_EDGES, MAX_VERTICES};

/// Number of unique cells in NAS-Bench-101.
pub const NUM_UNIQUE_CELLS: usize = 423_624;

/// One cell of the space with its hash and its generator code (see [`SpaceEntry::code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceEntry {
    pub cell: Cell,
    pub hash: ModuleHash,
    /// `(V - 2) << 29 | edge_bits << 8 | labeling`: the vertex count, the generator's
    /// upper-triangle bitmask (edge x -> y is bit x + y(y-1)/2) and the index of the interior
    /// labeling in `itertools.product` order. Four bytes that rebuild the cell.
    pub code: u32,
}

/// The whole space, in the order the NAS-Bench-101 generator first saw each cell.
#[derive(Clone, Debug, Default)]
pub struct Space {
    pub entries: Vec<SpaceEntry>,
}

impl Space {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A full DAG from the generator: rows (out bits) and columns (in bits).
#[derive(Clone, Copy)]
struct Matrix {
    n: usize,
    bits: u32,
    out: [u8; MAX_VERTICES],
    inn: [u8; MAX_VERTICES],
}

/// Decodes the generator's upper-triangle bitmask into bit rows/columns.
pub(crate) fn matrix_from_bits(n: usize, bits: u32) -> ([u8; MAX_VERTICES], [u8; MAX_VERTICES]) {
    let mut out = [0u8; MAX_VERTICES];
    let mut inn = [0u8; MAX_VERTICES];
    for y in 1..n {
        for x in 0..y {
            if bits >> (x + y * (y - 1) / 2) & 1 == 1 {
                out[x] |= 1 << y;
                inn[y] |= 1 << x;
            }
        }
    }
    (out, inn)
}

/// The generator's filter: no all-zero row but the last, no all-zero column but the first,
/// at most nine edges. In a DAG this means every vertex lies on an input-output path.
pub(crate) fn is_full_dag(n: usize, out: &[u8], inn: &[u8]) -> bool {
    (0..n - 1).all(|v| out[v] != 0) && (1..n).all(|v| inn[v] != 0) && out[..n].iter().map(|r| r.count_ones()).sum::<u32>() as usize <= MAX_EDGES
}

/// Interior labels (canonical op indices) of labeling number `index` of `n - 2` vertices,
/// in `itertools.product` order (the first interior vertex varies slowest).
pub(crate) fn labeling(n: usize, mut index: u32) -> [u8; MAX_VERTICES] {
    let mut labels = [0u8; MAX_VERTICES];
    for v in (1..n - 1).rev() {
        labels[v] = (index % 3) as u8;
        index /= 3;
    }
    labels
}

fn valid_matrices() -> Vec<Matrix> {
    let mut all = Vec::new();
    for n in 2..=MAX_VERTICES {
        let pairs = n * (n - 1) / 2;
        for bits in 0..(1u32 << pairs) {
            if bits.count_ones() as usize > MAX_EDGES {
                continue;
            }
            let (out, inn) = matrix_from_bits(n, bits);
            if is_full_dag(n, &out, &inn) {
                all.push(Matrix { n, bits, out, inn });
            }
        }
    }
    all
}

#[inline]
fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

/// A key equal for two labeled graphs exactly when they are isomorphic (input and output fixed).
/// Colours from integer refinement are isomorphism-invariant, so sorting interior vertices by
/// colour and taking the smallest encoding over the orderings that ties allow is canonical.
fn canonical_key(m: &Matrix, labels: &[u8; MAX_VERTICES]) -> u64 {
    let n = m.n;
    let mut color = [0u64; MAX_VERTICES];
    for v in 0..n {
        let l = if v == 0 {
            3
        } else if v == n - 1 {
            4
        } else {
            labels[v] as u64
        };
        color[v] = mix(l | (m.out[v].count_ones() as u64) << 8 | (m.inn[v].count_ones() as u64) << 16);
    }
    let distinct = |c: &[u64]| {
        let mut s = [0u64; MAX_VERTICES];
        s[..n].copy_from_slice(&c[..n]);
        s[..n].sort_unstable();
        1 + (1..n).filter(|&i| s[i] != s[i - 1]).count()
    };
    let mut classes = distinct(&color);
    for _ in 0..n {
        if classes == n {
            break;
        }
        let mut next = [0u64; MAX_VERTICES];
        for v in 0..n {
            let (mut si, mut so) = (0u64, 0u64);
            for w in 0..n {
                if m.inn[v] >> w & 1 == 1 {
                    si = si.wrapping_add(mix(color[w] ^ 0x51));
                }
                if m.out[v] >> w & 1 == 1 {
                    so = so.wrapping_add(mix(color[w] ^ 0xa3));
                }
            }
            next[v] = mix(color[v] ^ mix(si ^ 0x1234) ^ mix(so).rotate_left(17));
        }
        color = next;
        let c = distinct(&color);
        if c == classes {
            break;
        }
        classes = c;
    }
    // Interior vertices sorted by colour; runs of equal colour are permuted exhaustively.
    let mut order = [0usize; MAX_VERTICES];
    for (i, o) in order.iter_mut().enumerate().take(n) {
        *o = i;
    }
    order[1..n - 1].sort_unstable_by_key(|&v| color[v]);
    let mut best = u64::MAX;
    permute_ties(&mut order, 1, n, &color, &mut |ord| {
        let code = encode(m, labels, ord);
        if code < best {
            best = code;
        }
    });
    best
}

/// Calls `f` with every ordering obtained by permuting runs of equal colour in `order[start..n-1]`.
fn permute_ties(order: &mut [usize; MAX_VERTICES], start: usize, n: usize, color: &[u64; MAX_VERTICES], f: &mut impl FnMut(&[usize; MAX_VERTICES])) {
    let mut s = start;
    while s < n - 1 && (s + 1 >= n - 1 || color[order[s]] != color[order[s + 1]]) {
        s += 1;
    }
    if s >= n - 1 {
        f(order);
        return;
    }
    let mut e = s + 1;
    while e < n - 1 && color[order[e]] == color[order[s]] {
        e += 1;
    }
    // Heap's algorithm over order[s..e].
    let k = e - s;
    let mut c = [0usize; MAX_VERTICES];
    permute_ties(order, e, n, color, f);
    let mut i = 0;
    while i < k {
        if c[i] < i {
            if i % 2 == 0 {
                order.swap(s, s + i);
            } else {
                order.swap(s + c[i], s + i);
            }
            permute_ties(order, e, n, color, f);
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
}

/// Encodes the graph relabeled so that new vertex `i` is old vertex `ord[i]`.
#[inline]
fn encode(m: &Matrix, labels: &[u8; MAX_VERTICES], ord: &[usize; MAX_VERTICES]) -> u64 {
    let n = m.n;
    let mut pos = [0usize; MAX_VERTICES];
    for i in 0..n {
        pos[ord[i]] = i;
    }
    let mut code = n as u64;
    for i in 0..n {
        let old = m.out[ord[i]];
        let mut row = 0u64;
        for (w, &p) in pos.iter().enumerate().take(n) {
            if old >> w & 1 == 1 {
                row |= 1 << p;
            }
        }
        code = code << 7 | row;
        if i > 0 && i < n - 1 {
            code = code << 2 | labels[ord[i]] as u64;
        }
    }
    code
}

/// Maps `f` over `items` in chunks, keeping order: on a rayon pool of `threads` natively,
/// inline on wasm32. Small chunks keep both cores busy although later cells cost more.
fn par_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    if threads > 1 {
        use rayon::prelude::*;
        if let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            return pool.install(|| items.par_iter().with_min_len(16).map(&f).collect());
        }
    }
    let _ = threads;
    items.iter().map(f).collect()
}

/// Enumerates the whole space using every available core.
pub fn enumerate() -> Space {
    #[cfg(not(target_arch = "wasm32"))]
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    #[cfg(target_arch = "wasm32")]
    let threads = 1;
    enumerate_with_threads(threads)
}

/// Enumerates the whole space with `threads` worker threads (1 on wasm32).
pub fn enumerate_with_threads(threads: usize) -> Space {
    let matrices = valid_matrices();
    // Canonical keys of every labeled graph, in generator order.
    let keys: Vec<Vec<u64>> = par_map(&matrices, threads, |m| (0..3u32.pow(m.n as u32 - 2)).map(|l| canonical_key(m, &labeling(m.n, l))).collect());
    // First labeled graph of each isomorphism class.
    let mut seen = FxHashSet::with_capacity_and_hasher(NUM_UNIQUE_CELLS * 2, Default::default());
    let mut firsts: Vec<(u32, u32)> = Vec::with_capacity(NUM_UNIQUE_CELLS);
    for (mi, ks) in keys.iter().enumerate() {
        for (l, &k) in ks.iter().enumerate() {
            if seen.insert(k) {
                firsts.push((mi as u32, l as u32));
            }
        }
    }
    drop(keys);
    // Chunks of cells share a memo of first-round refinements (those repeat across cells;
    // later rounds are nearly unique per cell and are not worth a lookup).
    let chunks: Vec<&[(u32, u32)]> = firsts.chunks(2048).collect();
    let entries: Vec<SpaceEntry> = par_map(&chunks, threads, |fs| {
        let mut memo = HashMemo::new(1);
        fs.iter()
            .map(|&(mi, l)| {
                let m = &matrices[mi as usize];
                entry_with(m.n, m.bits, &m.out, &m.inn, l, &mut memo)
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    Space { entries }
}

/// Builds the entry of generator graph (`n`, `bits`, labeling `l`), hashing it.
pub(crate) fn entry(n: usize, bits: u32, out: &[u8; MAX_VERTICES], inn: &[u8; MAX_VERTICES], l: u32) -> SpaceEntry {
    entry_with(n, bits, out, inn, l, &mut HashMemo::new(0))
}

fn entry_with(n: usize, bits: u32, out: &[u8; MAX_VERTICES], inn: &[u8; MAX_VERTICES], l: u32, memo: &mut HashMemo) -> SpaceEntry {
    let labels = labeling(n, l);
    let mut ops = [Op::Output; MAX_VERTICES];
    let mut hl = [0i8; MAX_VERTICES];
    ops[0] = Op::Input;
    hl[0] = -1;
    hl[n - 1] = -2;
    for v in 1..n - 1 {
        ops[v] = Op::INTERIOR[labels[v] as usize];
        hl[v] = labels[v] as i8;
    }
    SpaceEntry { cell: Cell::from_parts(n, *out, ops), hash: memo.hash_graph(n, out, inn, &hl), code: ((n as u32 - 2) << 29) | (bits << 8) | l }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labeling_follows_itertools_product_order() {
        assert_eq!(&labeling(4, 0)[1..3], &[0, 0]);
        assert_eq!(&labeling(4, 1)[1..3], &[0, 1]);
        assert_eq!(&labeling(4, 3)[1..3], &[1, 0]);
        assert_eq!(&labeling(4, 8)[1..3], &[2, 2]);
    }

    #[test]
    fn matrix_bits_follow_generator_convention() {
        // Edge x -> y is bit x + y(y-1)/2: 0->1 bit 0, 0->2 bit 1, 1->2 bit 2.
        let (out, inn) = matrix_from_bits(3, 0b101);
        assert_eq!(out[0], 0b010);
        assert_eq!(out[1], 0b100);
        assert_eq!(inn[2], 0b010);
    }

    #[test]
    fn canonical_key_is_invariant_under_relabeling() {
        // 0->1, 0->2, 1->3, 2->3 with ops (conv3x3, maxpool) vs swapped vertices.
        let (out, inn) = matrix_from_bits(4, 0b110011);
        let a = Matrix { n: 4, bits: 0, out, inn };
        let la = [0, 0, 2, 0, 0, 0, 0];
        let lb = [0, 2, 0, 0, 0, 0, 0];
        assert_eq!(canonical_key(&a, &la), canonical_key(&a, &lb));
        let lc = [0, 2, 2, 0, 0, 0, 0];
        assert_ne!(canonical_key(&a, &la), canonical_key(&a, &lc));
    }
}
