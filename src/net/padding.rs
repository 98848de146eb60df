//! TensorFlow "same" padding, as NAS-Bench-101's networks use it: the output has
//! ceil(n / stride) positions, and the padding a window needs is split with the smaller half
//! before. The GPU planner and the CPU reference both take it from here.

/// Padding before the window for a k-window with stride `stride` over `n` values.
pub fn same_pad_before(n: usize, k: usize, stride: usize) -> usize {
    let out = n.div_ceil(stride);
    ((out - 1) * stride + k).saturating_sub(n) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_matches_tensorflow() {
        assert_eq!(same_pad_before(32, 3, 1), 1);
        assert_eq!(same_pad_before(32, 2, 2), 0);
        assert_eq!(same_pad_before(7, 2, 2), 0); // total 1, all after
        assert_eq!(same_pad_before(8, 1, 1), 0);
    }
}
