//! The production [`CellMeasurer`]: the GPU engine on this browser's WebGPU adapter.
//! (Placeholder until the engine lands: creating it fails with a clear message.)

use super::engine_port::{CellMeasurer, MeasureError};
use crate::measure::{AdapterInfo, MeasurementRecord};
use crate::space::Cell;

pub struct EngineMeasurer {
    _private: (),
}

impl EngineMeasurer {
    pub async fn new(_browser_adapter: Option<AdapterInfo>, _software: bool) -> Result<EngineMeasurer, String> {
        Err("this build does not contain the GPU engine yet".into())
    }
}

impl CellMeasurer for EngineMeasurer {
    async fn measure(&mut self, _cell: &Cell) -> Result<MeasurementRecord, MeasureError> {
        Err(MeasureError::Failed("this build does not contain the GPU engine yet".into()))
    }

    async fn recreate(&mut self) -> Result<(), String> {
        Err("this build does not contain the GPU engine yet".into())
    }
}
