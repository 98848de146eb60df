//! Command-line values of library enums: the library stays free of clap, and the CLI names
//! each value by the enum's own `as_str()`.

use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::net::Precision;
use crate::predict::train::ModelKind;

impl ValueEnum for ModelKind {
    fn value_variants<'a>() -> &'a [Self] {
        &ModelKind::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()).help(self.about()))
    }
}

impl ValueEnum for Precision {
    fn value_variants<'a>() -> &'a [Self] {
        &Precision::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}
