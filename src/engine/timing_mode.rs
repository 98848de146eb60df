//! How a run of a program is instrumented: plain wall clock, or timestamp queries at pass or
//! dispatch boundaries. The engine runs in a mode; the measurement record stores it.

use serde::{Deserialize, Serialize};

/// How the timed runs were instrumented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingMode {
    /// No timestamp queries: wall clock from submit to completion only.
    Plain,
    /// Timestamp writes around every dispatch inside one compute pass (native only).
    PerDispatch,
    /// One compute pass per layer with timestamps at pass boundaries (the browser's way).
    PerPass,
    /// Timestamps only at the start and end of the whole inference.
    WholePass,
}

impl TimingMode {
    /// The mode's name, as records and CSV files spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            TimingMode::Plain => "plain",
            TimingMode::PerDispatch => "per_dispatch",
            TimingMode::PerPass => "per_pass",
            TimingMode::WholePass => "whole_pass",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serialised_names() {
        for m in [TimingMode::Plain, TimingMode::PerDispatch, TimingMode::PerPass, TimingMode::WholePass] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
    }
}
