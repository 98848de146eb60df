//! Which cell to measure next: the fixed anchor set first (in its fixed order), then cells
//! drawn at random from the whole space, never one this device has already measured.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

use crate::measure::anchors::anchor_cells;
use crate::space::{Cell, ModuleHash};

/// Random draws before falling back to a scan when nearly every cell is done.
const MAX_DRAWS: usize = 256;

/// A cell chosen for measuring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    pub cell: Cell,
    pub hash: ModuleHash,
    pub anchor: bool,
}

pub struct Plan {
    anchors: Vec<(Cell, ModuleHash)>,
    space: Vec<Cell>,
    done: FxHashSet<ModuleHash>,
    rng: ChaCha8Rng,
}

impl Plan {
    /// A plan over `space` (may be empty until the space file is loaded), skipping `done`.
    pub fn new(space: Vec<Cell>, done: impl IntoIterator<Item = ModuleHash>, seed: u64) -> Plan {
        Plan {
            anchors: anchor_cells().into_iter().map(|c| (c, c.hash())).collect(),
            space,
            done: done.into_iter().collect(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub fn set_space(&mut self, space: Vec<Cell>) {
        self.space = space;
    }

    pub fn has_space(&self) -> bool {
        !self.space.is_empty()
    }

    /// The thermal probe: the first anchor, measured again during a run.
    pub fn probe(&self) -> Cell {
        self.anchors[0].0
    }

    /// Whether the next cell is an anchor (so the space file is not needed yet).
    pub fn anchors_left(&self) -> usize {
        self.anchors.iter().filter(|(_, h)| !self.done.contains(h)).count()
    }

    pub fn done_count(&self) -> usize {
        self.done.len()
    }

    /// The next cell, without marking it: anchors in order, then random space cells. `None`
    /// when every anchor is done and the space is not loaded or is exhausted.
    pub fn next_cell(&mut self) -> Option<Planned> {
        if let Some(&(cell, hash)) = self.anchors.iter().find(|(_, h)| !self.done.contains(h)) {
            return Some(Planned { cell, hash, anchor: true });
        }
        if self.space.is_empty() {
            return None;
        }
        for _ in 0..MAX_DRAWS {
            let cell = self.space[self.rng.random_range(0..self.space.len())];
            let hash = cell.hash();
            if !self.done.contains(&hash) {
                return Some(Planned { cell, hash, anchor: false });
            }
        }
        let start = self.rng.random_range(0..self.space.len());
        (0..self.space.len())
            .map(|i| self.space[(start + i) % self.space.len()])
            .map(|cell| (cell, cell.hash()))
            .find(|(_, h)| !self.done.contains(h))
            .map(|(cell, hash)| Planned { cell, hash, anchor: false })
    }

    /// Marks a cell measured on this device.
    pub fn mark_done(&mut self, hash: ModuleHash) {
        self.done.insert(hash);
    }
}
