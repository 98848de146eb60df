//! The number format a network runs in: f32 (storage and arithmetic), or f16 as phones deploy
//! networks (TFLite's GPU delegate and ONNX Runtime Web run mobile GPUs at half precision):
//! activations, weights and arithmetic in f16, on devices with WebGPU's `shader-f16`. Part of
//! the network configuration, so records, models and pages say which one was timed.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    F32,
    F16,
}

impl Precision {
    pub const ALL: [Precision; 2] = [Precision::F32, Precision::F16];

    /// The name records, the CLI and the pages use: `f32`, `f16`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
        }
    }

    /// The precision named `name` (see [`Precision::as_str`]).
    pub fn from_name(name: &str) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Bytes of one activation or weight.
    pub fn bytes(self) -> usize {
        match self {
            Precision::F32 => 4,
            Precision::F16 => 2,
        }
    }

    /// The precisions a device measures each cell at, its own first: f16 where the device has
    /// `shader-f16` (as phones deploy networks), with f32 after it when the contributor gives
    /// the time (`also_f32`); f32 alone elsewhere.
    pub fn to_measure(shader_f16: bool, also_f32: bool) -> Vec<Precision> {
        match (shader_f16, also_f32) {
            (true, true) => vec![Precision::F16, Precision::F32],
            (true, false) => vec![Precision::F16],
            (false, _) => vec![Precision::F32],
        }
    }

    /// Whether this is f32 (records leave the field out then, as before it existed).
    pub fn is_f32(&self) -> bool {
        *self == Precision::F32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serialised_names_and_parse_back() {
        for p in Precision::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
            assert_eq!(Precision::from_name(p.as_str()), Some(p));
        }
        assert_eq!(Precision::from_name("fp16"), None);
    }

    #[test]
    fn a_device_with_f16_measures_at_f16_first_and_at_f32_only_when_allowed() {
        assert_eq!(Precision::to_measure(true, false), [Precision::F16]);
        assert_eq!(Precision::to_measure(true, true), [Precision::F16, Precision::F32]);
        assert_eq!(Precision::to_measure(false, true), [Precision::F32]);
        assert_eq!(Precision::to_measure(false, false), [Precision::F32]);
    }
}
