//! Which cell to measure next: the fixed anchor set first (in its fixed order), then cells
//! drawn at random from the whole space, never one this device has already measured; and
//! how much work is ahead (the MACs of the anchors left, a random cell's MACs), from which the
//! run estimates its time left.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashSet;

use crate::measure::anchors::anchor_cells;
use crate::space::{Cell, ModuleHash};

/// Random draws before falling back to a scan when nearly every cell is done.
const MAX_DRAWS: usize = 256;

/// Space cells whose mean MACs stand for a random cell's (every n-th cell of the space).
const MACS_SAMPLE: usize = 512;

/// Multiply-accumulates of one inference of `cell`'s network (the default network).
pub fn cell_macs(cell: &Cell) -> f64 {
    crate::predict::features(cell)[crate::predict::idx::MACS]
}

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
    /// Mean MACs of a random space cell (0 until the space is loaded).
    space_macs: f64,
    done: FxHashSet<ModuleHash>,
    rng: ChaCha8Rng,
}

impl Plan {
    /// A plan over `space` (may be empty until the space file is loaded), skipping `done`.
    pub fn new(space: Vec<Cell>, done: impl IntoIterator<Item = ModuleHash>, seed: u64) -> Plan {
        Plan {
            anchors: anchor_cells().into_iter().map(|c| (c, c.hash())).collect(),
            space_macs: mean_macs(&space),
            space,
            done: done.into_iter().collect(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub fn set_space(&mut self, space: Vec<Cell>) {
        self.space_macs = mean_macs(&space);
        self.space = space;
    }

    /// MACs of the anchors not measured yet, in all.
    pub fn anchor_macs_left(&self) -> f64 {
        self.anchors.iter().filter(|(_, h)| !self.done.contains(h)).map(|(c, _)| cell_macs(c)).sum()
    }

    /// Mean MACs of the cells to come: the anchors left, else a random space cell's; `None`
    /// when neither is known.
    pub fn macs_ahead(&self) -> Option<f64> {
        let left = self.anchors_left();
        if left > 0 {
            Some(self.anchor_macs_left() / left as f64)
        } else {
            (self.space_macs > 0.0).then_some(self.space_macs)
        }
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

/// Mean MACs over an even sample of `space` (0 for an empty space).
fn mean_macs(space: &[Cell]) -> f64 {
    if space.is_empty() {
        return 0.0;
    }
    let step = space.len().div_ceil(MACS_SAMPLE);
    let sample: Vec<f64> = space.iter().step_by(step).map(cell_macs).collect();
    sample.iter().sum::<f64>() / sample.len() as f64
}
