//! Seeded uniform sampling of distinct cells from the enumerated space.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::enumerate::{Space, SpaceEntry};

/// `n` distinct cells drawn uniformly from `space` with a seeded generator: the same seed
/// gives the same cells in the same order on every platform. `n` is capped at the space size.
pub fn sample(space: &Space, n: usize, seed: u64) -> Vec<SpaceEntry> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = n.min(space.len());
    rand::seq::index::sample(&mut rng, space.len(), n).into_iter().map(|i| space.entries[i]).collect()
}
