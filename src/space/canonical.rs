//! The generator's own labeling of a cell. A cell can be written in as many vertex orders as
//! it has topological orders (those that keep its matrix upper-triangular); the NAS-Bench-101
//! generator meets each cell first in one of them, the one with the smallest edge bitmask
//! (bit `x + y(y-1)/2` for the edge `x -> y`) and then the smallest interior labeling index (in
//! `itertools.product` order), and the space holds every cell in that order. Mapping any
//! drawing of a cell to it makes everything that reads vertex positions (the predictors'
//! adjacency and op-slot features) agree between isomorphic drawings, and with the space.

use super::op::Op;
use super::spec::{Cell, MAX_VERTICES};

/// `(edge bitmask, labeling index)` of a cell as labeled: the generator's order key.
fn generator_key(n: usize, edge: impl Fn(usize, usize) -> bool, op: impl Fn(usize) -> Op) -> (u32, u32) {
    let mut bits = 0u32;
    for y in 1..n {
        for x in 0..y {
            if edge(x, y) {
                bits |= 1 << (x + y * (y - 1) / 2);
            }
        }
    }
    let labeling = (1..n - 1).fold(0u32, |acc, v| acc * 3 + Op::INTERIOR.iter().position(|&o| o == op(v)).unwrap_or(0) as u32);
    (bits, labeling)
}

/// Walks every topological order of the interior vertices: `order[k]` is the old vertex at new
/// position `k` (the input stays first, the output last), `placed` the old vertices placed.
fn orders(cell: &Cell, order: &mut [usize; MAX_VERTICES], k: usize, placed: u8, f: &mut impl FnMut(&[usize; MAX_VERTICES])) {
    let n = cell.num_vertices();
    if k == n - 1 {
        f(order);
        return;
    }
    for v in 1..n - 1 {
        if placed >> v & 1 == 0 && cell.in_bits(v) & !placed == 0 {
            order[k] = v;
            orders(cell, order, k + 1, placed | 1 << v, f);
        }
    }
}

impl Cell {
    /// The generator's order key of this cell as labeled (see the module doc).
    pub fn generator_key(&self) -> (u32, u32) {
        generator_key(self.num_vertices(), |x, y| self.has_edge(x, y), |v| self.op(v))
    }

    /// The generator code of this cell as labeled (see [`super::SpaceEntry::code`]); the
    /// code of [`Cell::canonical`] is the one the space holds.
    pub fn generator_code(&self) -> u32 {
        let (bits, labeling) = self.generator_key();
        ((self.num_vertices() as u32 - 2) << 29) | (bits << 8) | labeling
    }

    /// This cell relabeled so that `order[k]` (an old vertex) becomes vertex `k`.
    fn relabeled(&self, order: &[usize; MAX_VERTICES]) -> Cell {
        let n = self.num_vertices();
        let mut new_of = [0usize; MAX_VERTICES];
        for (k, &old) in order[..n].iter().enumerate() {
            new_of[old] = k;
        }
        let mut rows = [0u8; MAX_VERTICES];
        let mut ops = [Op::Output; MAX_VERTICES];
        for (k, &old) in order[..n].iter().enumerate() {
            ops[k] = self.op(old);
            rows[k] = (0..n).filter(|&j| self.has_edge(old, j)).fold(0, |r, j| r | 1 << new_of[j]);
        }
        Cell::from_parts(n, rows, ops)
    }

    /// The same cell in the generator's labeling: the one the space holds (equal to `self`
    /// when it already is).
    pub fn canonical(&self) -> Cell {
        let n = self.num_vertices();
        let mut order = [0usize; MAX_VERTICES];
        order[n - 1] = n - 1;
        let mut best: Option<((u32, u32), [usize; MAX_VERTICES])> = None;
        orders(self, &mut order, 1, 1, &mut |o| {
            let key = generator_key(n, |x, y| self.has_edge(o[x], o[y]), |v| self.op(o[v]));
            if best.as_ref().is_none_or(|(b, _)| key < *b) {
                best = Some((key, *o));
            }
        });
        match best {
            Some((key, o)) if key != self.generator_key() => self.relabeled(&o),
            _ => *self,
        }
    }
}
