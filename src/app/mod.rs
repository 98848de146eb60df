//! The web app (wasm32 only): a Leptos client-side-rendered app with three routes. Measure
//! checks WebGPU, measures cells on this device, keeps every record in IndexedDB and uploads
//! them to the collector; Draw edits a cell and shows its cost and predicted latency; Explore
//! predicts and plots the whole space.
//!
//! One file per job: [`layout`] (shell and router), [`webgpu_check`], [`client_hints`] (the
//! phone model the browser reports), [`engine_port`] (the seam to the GPU engine), [`plan`] (which cell next), [`run_state`] and [`run_controller`]
//! (the measurement loop), [`store`] (IndexedDB), [`upload`] (batched uploads with backoff),
//! [`download`] (JSONL / CSV), [`chart`], [`wake_lock`], [`battery`] (the charger), [`settings`],
//! and the pages. Draw is
//! split into [`cell_editor`] (the editor's state logic), [`cell_drawing`] (the SVG editor),
//! [`draw_history`] (Undo and Redo), [`draw_onnx`] (the ONNX download) and [`draw_estimates`] (model estimates, measuring the
//! drawn cell; models from [`bundled_models`]); this device's own model, fitted in the page as
//! it measures, is [`device_model`] (state, prospective accuracy), [`fit_worker`] (the fit in a
//! Web Worker) and [`model_card`] (its card on Measure); Explore into [`explore_data`]
//! (filters, binning, Pareto fronts), [`explore_plots`] (canvases), [`explore_pointer`]
//! (hover, long press, opening a cell), [`explore_accuracy`] (accuracy against latency),
//! [`space_worker`] (the Web Worker client) and [`space_worker_api`] (what the worker calls).
//! NAS-Bench-101's accuracies, for Explore and Draw, are [`nasbench_data`].

pub mod battery;
pub mod bench_api;
pub mod bundled_models;
pub mod cell_drawing;
pub mod cell_editor;
pub mod chart;
pub mod client_hints;
pub mod device_model;
pub mod download;
pub mod draw_estimates;
pub mod draw_history;
pub mod draw_onnx;
pub mod draw_page;
pub mod engine_measurer;
pub mod engine_port;
pub mod explore_accuracy;
pub mod explore_data;
pub mod explore_page;
pub mod explore_plots;
pub mod explore_pointer;
pub mod explore_sections;
pub mod fit_worker;
pub mod format;
pub mod layout;
pub mod measure_page;
pub mod measure_runtime;
pub mod model_card;
pub mod nasbench_data;
pub mod plan;
pub mod run_controller;
pub mod run_state;
pub mod settings;
pub mod space_file;
pub mod space_worker;
pub mod space_worker_api;
pub mod store;
pub mod upload;
pub mod wake_lock;
pub mod webgpu_check;

use wasm_bindgen::prelude::*;

/// Mounts the app on the page's `<body>`. Called by `www/index.html` after loading the module
/// (an explicit export rather than `#[wasm_bindgen(start)]`, so the library's wasm tests can
/// load the same module without starting the app).
#[wasm_bindgen]
pub fn start_app() {
    leptos::mount::mount_to_body(layout::App);
}
