//! The Draw page: a cell drawn by taps ([`super::cell_drawing`]) or written as NAS-Bench-101
//! JSON (typed in or from a preset), validated as it changes with the same typed errors as the
//! CLI, its pruned form, module hash and cost (trainable parameters, MACs, layer counts, peak
//! activation memory) with its ONNX download ([`super::draw_onnx`]), and the latency estimates
//! ([`super::draw_estimates`]). The cell is kept in the page address (`?cell=`, a short code,
//! or `?spec=` for JSON the drawing cannot show), so a link shares it; each drawing edit is a
//! history entry, so Back (or Undo) undoes it and Forward (or Redo) redoes it
//! ([`super::draw_history`]).

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use super::cell_drawing::CellDrawing;
use super::cell_editor::{draw_url, Draft};
use super::draw_estimates::Estimates;
use super::draw_history::EditHistory;
use super::draw_onnx::OnnxDownload;
use super::format::{duration, mib, spec_json, thousands};
use super::nasbench_data::{NasbenchData, SHOWN_EPOCHS};
use crate::net::{build, Cost, NetConfig};
use crate::space::{Cell, CellSpec, SpecError};

/// `(name, spec JSON)` of the presets.
pub const PRESETS: [(&str, &str); 3] = [
    (
        "NAS-Bench-101 README cell",
        r#"{"module_adjacency":[[0,1,1,1,0,1,0],[0,0,0,0,0,0,1],[0,0,0,0,0,0,1],[0,0,0,0,1,0,0],[0,0,0,0,0,0,1],[0,0,0,0,0,0,1],[0,0,0,0,0,0,0]],"module_operations":["input","conv1x1-bn-relu","conv3x3-bn-relu","conv3x3-bn-relu","conv3x3-bn-relu","maxpool3x3","output"]}"#,
    ),
    (
        "ResNet-like chain",
        r#"{"module_adjacency":[[0,1,0,1],[0,0,1,0],[0,0,0,1],[0,0,0,0]],"module_operations":["input","conv3x3-bn-relu","conv3x3-bn-relu","output"]}"#,
    ),
    (
        "Wide Inception-like cell",
        r#"{"module_adjacency":[[0,1,1,1,1,0],[0,0,0,0,0,1],[0,0,0,0,0,1],[0,0,0,0,0,1],[0,0,0,0,0,1],[0,0,0,0,0,0]],"module_operations":["input","conv1x1-bn-relu","conv3x3-bn-relu","conv1x1-bn-relu","maxpool3x3","output"]}"#,
    ),
];

/// Everything the page shows about a valid spec.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// The pruned cell.
    pub cell: Cell,
    pub hash: String,
    pub vertices: usize,
    pub edges: usize,
    /// Vertices of the spec as written that pruning removes.
    pub removed: Vec<usize>,
    pub pruned_json: String,
    pub cost: Cost,
}

/// Parses, validates, prunes and costs a spec given as JSON text.
pub fn analyse(text: &str) -> Result<Analysis, SpecError> {
    let spec = CellSpec::from_json_str(text)?;
    let pruned = spec.prune()?;
    let removed = (0..spec.module_operations.len()).filter(|v| !pruned.kept.contains(v)).collect();
    let cell = pruned.cell;
    Ok(Analysis {
        cell,
        hash: cell.hash().to_hex(),
        vertices: cell.num_vertices(),
        edges: cell.num_edges(),
        removed,
        pruned_json: spec_json(&cell.to_spec()),
        cost: Cost::of(&build(&cell, &NetConfig::default())),
    })
}

/// The JSON text a Draw address holds: its `cell` code, else its `spec` JSON (pretty-printed
/// when it parses); `None` without either, an error for a broken code.
pub fn text_of_query(cell: Option<String>, spec: Option<String>) -> Option<Result<String, String>> {
    match (cell, spec) {
        (Some(code), _) => Some(Draft::from_code(&code).map(|d| spec_json(&d.to_spec()))),
        (None, Some(json)) => Some(Ok(preset_text(&json))),
        (None, None) => None,
    }
}

/// A preset's spec, pretty-printed.
pub fn preset_text(json: &str) -> String {
    CellSpec::from_json_str(json).map(|s| spec_json(&s)).unwrap_or_else(|_| json.to_string())
}

#[component]
pub fn DrawPage() -> impl IntoView {
    super::layout::page_title("Draw a cell");
    let query = use_query_map();
    let navigate = use_navigate();
    let link_error = RwSignal::new(None::<String>);
    let from_link = query.with_untracked(|q| text_of_query(q.get("cell"), q.get("spec")));
    let initial = match from_link {
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            link_error.set(Some(format!("This link's cell could not be read ({e}); showing the README cell instead.")));
            preset_text(PRESETS[0].1)
        }
        None => preset_text(PRESETS[0].1),
    };
    let text = RwSignal::new(initial);
    let analysis = Memo::new(move |_| text.with(|t| analyse(t)));
    // Keep the URL in step with the text: each drawing edit or preset is a history entry (Back
    // undoes it); typing in the JSON box replaces the current one.
    let typed = StoredValue::new(false);
    let steps = RwSignal::new(EditHistory::default());
    let nav = navigate.clone();
    Effect::new(move |prev: Option<()>| {
        let url = draw_url(&text.get());
        let replace = prev.is_none() || typed.get_value();
        typed.set_value(false);
        // The router's address (the window's may not have changed yet while a route renders).
        let shown = query.with_untracked(|q| text_of_query(q.get("cell"), q.get("spec")));
        if matches!(&shown, Some(Ok(t)) if draw_url(t) == url) {
            return;
        }
        if !replace {
            steps.update(|h| h.pushed(shown.and_then(Result::ok).map(|t| draw_url(&t)).unwrap_or_default()));
        }
        nav(&url, NavigateOptions { replace, scroll: false, ..Default::default() });
    });
    // Back and Forward bring their cell back.
    Effect::new(move |_| {
        if let Some(Ok(t)) = query.with(|q| text_of_query(q.get("cell"), q.get("spec"))) {
            let (from, to) = (text.with_untracked(|cur| draw_url(cur)), draw_url(&t));
            if from != to {
                steps.update(|h| h.moved(from, &to));
                text.set(t);
            }
        }
    });
    view! {
        <section class="card intro">
            <h1>"Draw a cell"</h1>
            <p>"Draw a cell with taps (or write it in NAS-Bench-101's JSON format), and see the network it builds (3 stacks of 3 cells on 32×32 images, 128 channels after the stem), what it costs, and how fast the bundled models expect it to run. The address of this page holds the cell: share it as a link."</p>
        </section>
        <section class="card" aria-labelledby="spec-h">
            <h2 id="spec-h">"Cell"</h2>
            {move || link_error.get().map(|e| view! { <p class="notice">{e}</p> })}
            <CellDrawing text=text/>
            <UndoRedo steps=steps/>
            <div class="buttons" role="group" aria-label="Presets">
                {PRESETS.into_iter().map(|(name, json)| view! {
                    <button on:click=move |_| text.set(preset_text(json))>{name}</button>
                }).collect_view()}
            </div>
            <label class="field">
                <span>"Spec (JSON)"</span>
                <textarea class="spec" rows="9" spellcheck="false" aria-describedby="spec-status"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        typed.set_value(true);
                        text.set(event_target_value(&ev));
                    }></textarea>
            </label>
            <div id="spec-status" role="status" aria-live="polite">
                {move || match analysis.get() {
                    Ok(a) => view! {
                        <p class="ok">{format!("Valid: {} vertices, {} edges after pruning.", a.vertices, a.edges)}</p>
                        {(!a.removed.is_empty()).then(|| view! {
                            <p class="notice">{format!("Pruning removes vertex {}: not on a path from input to output.",
                                a.removed.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "))}</p>
                        })}
                    }.into_any(),
                    Err(e) => view! { <p class="error">{format!("Not a valid cell: {e}")}</p> }.into_any(),
                }}
            </div>
        </section>
        {move || analysis.get().ok().map(|a| {
            let c = a.cost.clone();
            let lc = c.layer_counts;
            view! {
                <section class="card" aria-labelledby="cost-h">
                    <h2 id="cost-h">"Network"</h2>
                    <dl class="facts">
                        <dt>"Module hash"</dt><dd><code class="hash">{a.hash.clone()}</code></dd>
                        <dt>"Trainable parameters"</dt><dd class="params">{thousands(c.trainable_parameters)}</dd>
                        <dt>"MACs"</dt><dd class="macs">{thousands(c.macs)}</dd>
                        <dt>"Peak activation memory"</dt><dd>{mib(c.peak_activation_bytes)}</dd>
                        <dt>"Weights"</dt><dd>{mib(c.weight_bytes)}</dd>
                        <dt>"Layers"</dt><dd>{format!("{} conv 3×3, {} conv 1×1, {} projections, {} max-pool 3×3, {} downsampling pools, {} adds, {} concats, {} truncations; {} compute layers in all",
                            lc.conv3x3, lc.conv1x1, lc.projection, lc.maxpool3x3, lc.maxpool2x2, lc.add, lc.concat, lc.truncate, lc.compute_layers)}</dd>
                        <dt>"Pruned spec"</dt><dd><pre class="pruned">{a.pruned_json.clone()}</pre></dd>
                        <NasbenchFacts cell=a.cell/>
                    </dl>
                    <OnnxDownload cell=Signal::derive(move || analysis.with(|a| a.as_ref().ok().map(|a| a.cell)))/>
                </section>
            }
        })}
        <Estimates cell=Signal::derive(move || analysis.with(|a| a.as_ref().ok().map(|a| (a.cell, a.cost.macs))))/>
    }
}

/// Moves `delta` steps in the browser history (-1: Back, 1: Forward).
fn history_go(delta: i32) {
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.go_with_delta(delta);
    }
}

/// Undo and Redo: Back and Forward through this page's own drawing edits.
#[component]
fn UndoRedo(steps: RwSignal<EditHistory>) -> impl IntoView {
    view! {
        <div class="buttons undo-redo" role="group" aria-label="Undo and redo drawing edits">
            <button disabled=move || steps.with(|h| !h.can_undo()) on:click=move |_| history_go(-1)>"Undo"</button>
            <button disabled=move || steps.with(|h| !h.can_redo()) on:click=move |_| history_go(1)>"Redo"</button>
        </div>
    }
}

/// The drawn cell's NAS-Bench-101 results, when accuracies are loaded (opened on Explore or
/// served by the collector).
#[component]
fn NasbenchFacts(cell: Cell) -> impl IntoView {
    let nb = expect_context::<NasbenchData>();
    nb.ensure();
    move || {
        nb.ready().map(|l| {
            let text = match l.acc.index_of(&cell).and_then(|i| l.mean(i).map(|m| (i, m))) {
                Some((i, m)) => format!(
                    "{:.2}% test accuracy, {:.2}% validation (mean of {} training runs of {SHOWN_EPOCHS} epochs on CIFAR-10), {} of training each; the dataset counts {} parameters",
                    100.0 * m.test_accuracy,
                    100.0 * m.validation_accuracy,
                    m.repeats,
                    duration(m.training_seconds * 1000.0),
                    thousands(l.acc.params[i] as u64)
                ),
                None => format!("not in the accuracy file at {SHOWN_EPOCHS} epochs"),
            };
            view! { <dt>"NAS-Bench-101"</dt><dd class="nasbench">{text}</dd> }
        })
    }
}
