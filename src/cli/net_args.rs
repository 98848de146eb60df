//! The network-shape options `leti inspect` and `leti export-onnx` share: image size, stem
//! channels, stacks and cells per stack, as a [`NetConfig`].

use clap::Args;

use crate::net::NetConfig;

#[derive(Debug, Args)]
pub struct NetArgs {
    /// Height and width of the input image.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub input_size: u64,
    /// Output channels of the stem convolution (and of the first stack's cells); at least 5,
    /// so that every vertex of a 5-way channel split gets a channel.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(5..=4096))]
    pub stem_channels: u64,
    /// Number of stacks; before each stack after the first, the image is halved and the
    /// channels doubled.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=6))]
    pub stacks: u64,
    /// Cells in each stack.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub cells_per_stack: u64,
}

impl NetArgs {
    /// The network configuration these options give (NAS-Bench-101's classes and image
    /// channels, one image per batch).
    pub fn config(&self) -> NetConfig {
        NetConfig {
            input_size: self.input_size as usize,
            stem_channels: self.stem_channels as usize,
            num_stacks: self.stacks as usize,
            cells_per_stack: self.cells_per_stack as usize,
            ..NetConfig::default()
        }
    }
}
