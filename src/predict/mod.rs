//! Latency predictors: cell features computed analytically (`features`, over the compact
//! network form in `compact`), the FLOPs and lookup-table baselines (`lookup`), the
//! versioned model file and its inference (`model`), few-shot calibration to a new device
//! and the anchor set (`calibrate`), a device's own model from however few of its measurements
//! (`device_fit`, over `ridge_fit`), and evaluation metrics (`metrics`). All of these compile
//! for wasm32: the web app loads a model from JSON bytes and predicts the whole space.
//!
//! Native only: reading measurement files (`dataset`), training (`train`), evaluation
//! reports with SVG plots (`evaluate`, `plot`), and the synthetic latency generator used by
//! tests and benchmarks (`synthetic`, never a device model).

mod calibrate;
mod compact;
mod device_fit;
mod features;
mod linalg;
mod lookup;
mod metrics;
mod model;
mod ridge_fit;
pub mod structural;

#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod dataset;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod evaluate;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod few_shot;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
mod plot;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod synthetic;
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod train;

/// Layer configurations are the network's (re-exported here, where the lookup table uses them).
pub use crate::net::{layer_configs_of_net, LayerConfig, LayerOp};
pub use calibrate::{anchor_set, calibrate, calibrate_best, leave_one_out_rmse, spread_order, BestCalibration, CalibrationOptions, ANCHOR_SET_SIZE};
pub use compact::{CellInstance, CompactNet, LayerClass};
pub use device_fit::{fit_device, DeviceFit, CHOOSE_MIN_CELLS, FOLDS, LOO_MAX, STRUCTURAL_LAMBDA, STRUCTURAL_MEAN};
pub use features::{feature_names, features, features_from_net, features_of_canonical, features_with, idx, Features, FEATURE_SET_VERSION, NUM_FEATURES};
pub use linalg::{nnls, ridge_toward, solve_spd};
pub use lookup::{distinct_layer_configs, for_each_layer_config, LayerTable, LayerTableError, LayerTiming};
pub use metrics::{kendall_tau, Metrics};
pub use model::{
    Correction, Gbt, Interval, Model, ModelError, ModelFile, PredictSpaceError, Prediction, Predictor, Ridge, Target, TrainingInfo, Tree, MODEL_FORMAT,
    MODEL_VERSION,
};
