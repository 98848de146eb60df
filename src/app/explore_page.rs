//! The Explore page: the whole space (`space.bin`, the Measure page's file) predicted by a
//! listed model (this device's own first: [`bundled_models::page_order`]) in Web Workers
//! ([`super::space_worker`]), and plotted on canvases: predicted latency vs MACs
//! (density-shaded), the latency histogram, and latency vs parameters with its Pareto front,
//! and the cells measured in this browser (the Measure page's records) against their
//! predictions, and (with NAS-Bench-101's accuracies loaded) accuracy against latency
//! ([`super::explore_accuracy`]). Filters by op counts and latency range, search by hash (the
//! workers hash every cell once the first prediction is plotted); pointing at a plotted cell
//! shows it, and a click opens it in Draw.
//!
//! This file holds the page's state ([`Explore`], one `Copy` set of signals) and the work
//! behind it (loading the space, predicting when the model changes); the sections that show
//! it are components in [`super::explore_sections`], each taking the state as a prop.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use super::bundled_models::{self, Bundled};
use super::cell_editor::draw_url;
use super::device_model::DeviceModels;
use super::explore_accuracy::{AccuracySection, AccuracyView};
use super::explore_data::{op_counts, split_packed, ExploreView, Filter, LogAxis};
use super::explore_sections::{FilterSection, HistogramSection, Intro, ModelSection, ParetoSection, ScatterSection, VersusSection};
use super::format::spec_json;
use super::measure_runtime::MeasureUi;
use super::nasbench_data::NasbenchData;
use super::space_file;
use super::space_worker::{self, SpaceWorker};
use super::webgpu_check::WebGpuStatus;
use crate::space::{Cell, ModuleHash};

/// The loaded space, as the main thread keeps it.
pub struct Space {
    /// The space split into one packed slice per worker.
    pub chunks: Vec<Vec<u8>>,
    pub cells: Vec<Cell>,
    /// The cells' generator codes (an accuracy file must list the same).
    pub codes: Vec<u32>,
    pub ops: Vec<[u8; 3]>,
}

impl Space {
    /// Cell `i`'s module hash, in hex (computed: one cell's hash takes microseconds).
    pub fn hash_hex(&self, i: u32) -> String {
        self.cells[i as usize].hash().to_hex()
    }

    /// Cell `i` as the page names it: the first 12 digits of its hash.
    pub fn short_name(&self, i: u32) -> String {
        self.hash_hex(i)[..12].to_string()
    }

    /// The Draw address that opens cell `i`.
    pub fn draw_href(&self, i: u32) -> String {
        draw_url(&spec_json(&self.cells[i as usize].to_spec()))
    }
}

/// MACs and parameters of every cell, with their axes.
pub struct CostData {
    pub macs: Vec<f32>,
    pub params: Vec<f32>,
    pub macs_axis: LogAxis,
    pub params_axis: LogAxis,
    pub ms: f64,
}

/// One model's predictions.
pub struct Prediction {
    pub model: String,
    pub latency: Vec<f32>,
    pub axis: LogAxis,
    /// From sending the model to the workers to having every cell's prediction on the page (ms).
    pub predict_ms: f64,
    /// The slowest worker's own time for its slice (ms).
    pub worker_ms: f64,
    pub workers: usize,
}

/// Every cell's module hash, in file order, as the workers computed them.
pub struct SpaceHashes {
    pub list: Vec<ModuleHash>,
    /// The slowest worker's time (ms).
    pub ms: f64,
}

/// A step that is still running (`None`), done, or failed with a message for the page.
pub type Step<T> = Option<Result<Arc<T>, String>>;

/// A listed model: its name, what the menu calls it, and the model file's bytes.
#[derive(Clone, PartialEq)]
pub struct Listed {
    pub name: String,
    /// The device in words, with the model's name: "NVIDIA H200 (h200-vulkan.model)".
    pub label: String,
    pub bytes: Arc<Vec<u8>>,
}

/// The filter as typed: op counts (any, or exactly k) and the latency range's text.
#[derive(Clone, Copy)]
pub struct FilterInput {
    pub ops: [RwSignal<Option<u8>>; 3],
    pub min_text: RwSignal<String>,
    pub max_text: RwSignal<String>,
}

/// The models in page order (this device's first), the chosen one, and the note on this
/// device's model.
#[derive(Clone, Copy)]
pub struct Models {
    pub loaded: LocalResource<Result<Vec<Bundled>, String>>,
    pub ordered: Memo<Vec<Listed>>,
    /// `(name, note)` when the first listed model is this device's.
    pub here: Memo<Option<(String, String)>>,
    pub chosen: RwSignal<Option<String>>,
    /// The model in use: the chosen one, else the first listed.
    pub current: Memo<Option<Listed>>,
    /// Whether the WebGPU check is done (until then, whether a model is this device's is unknown).
    pub adapter_known: Memo<bool>,
}

/// Everything the Explore sections read.
#[derive(Clone, Copy)]
pub struct Explore {
    pub space: RwSignal<Step<Space>>,
    pub costs: RwSignal<Step<CostData>>,
    pub prediction: RwSignal<Step<Prediction>>,
    /// Every cell's hash, computed once the first prediction is done (search, measured cells).
    pub hashes: RwSignal<Step<SpaceHashes>>,
    /// Whether hashing has started (it runs once).
    pub hashing: StoredValue<bool>,
    /// The model being predicted with, while the workers run.
    pub predicting: RwSignal<Option<String>>,
    pub models: Models,
    pub input: FilterInput,
    pub filter: Memo<Result<Filter, String>>,
    /// Indices of the cells that pass the filter, once predicted.
    pub shown: Memo<Option<Arc<Vec<u32>>>>,
    /// The hash search's result.
    pub found: RwSignal<Option<Result<Vec<u32>, String>>>,
    /// This browser's measured cells against the current prediction: `(predicted, measured)` ms.
    pub checked: Memo<Vec<(f64, f64)>>,
    /// Test error of every cell, once NAS-Bench-101 accuracies for this space are loaded.
    pub accuracy: Memo<Option<Arc<AccuracyView>>>,
}

async fn fetch_space(workers: usize) -> Result<Space, String> {
    let u = space_file::load_unpacked().await?;
    let ops = u.cells.iter().map(op_counts).collect();
    let chunks = split_packed(&u.cells, &u.codes, workers);
    Ok(Space { chunks, cells: u.cells, codes: u.codes, ops })
}

/// A latency bound as typed: empty for none, else a number of ms, 0 or more.
pub fn parse_ms(s: &str) -> Result<Option<f32>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f32>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        _ => Err(format!("{s:?} is not a latency in ms (a number, 0 or more)")),
    }
}

/// The filter as typed, or why it cannot be applied.
pub fn filter_of(ops: [Option<u8>; 3], min_text: &str, max_text: &str) -> Result<Filter, String> {
    let (min_ms, max_ms) = (parse_ms(min_text)?, parse_ms(max_text)?);
    if let (Some(lo), Some(hi)) = (min_ms, max_ms) {
        if lo > hi {
            return Err(format!("The latency range is empty: from {lo} ms is above to {hi} ms."));
        }
    }
    Ok(Filter { ops, min_ms, max_ms })
}

/// Loads the space, starts the workers and computes the costs of every cell.
fn load_space(space: RwSignal<Step<Space>>, costs: RwSignal<Step<CostData>>, workers: StoredValue<Option<Arc<Vec<SpaceWorker>>>, LocalStorage>) {
    spawn_local(async move {
        let n = space_worker::pool_size();
        let (s, pool) = match (fetch_space(n).await, space_worker::start_pool(n)) {
            (Ok(s), Ok(p)) => (Arc::new(s), Arc::new(p)),
            (Err(e), _) | (_, Err(e)) => {
                space.set(Some(Err(e)));
                return;
            }
        };
        workers.set_value(Some(pool.clone()));
        let _ = space.try_set(Some(Ok(s.clone())));
        let c = space_worker::costs(&pool, &s.chunks).await.map(|c| {
            Arc::new(CostData { macs_axis: LogAxis::covering(&c.macs), params_axis: LogAxis::covering(&c.params), macs: c.macs, params: c.params, ms: c.ms })
        });
        let _ = costs.try_set(Some(c));
    });
}

/// The listed models: the bundled ones that load, in page order with this device's own first.
fn models(ui: MeasureUi, own: DeviceModels, chosen: Option<String>) -> Models {
    let loaded = LocalResource::new(bundled_models::load_all);
    let listing = Memo::new(move |_| -> (Vec<Listed>, Option<(String, String)>) {
        let Some(Ok(list)) = loaded.get() else { return (Vec::new(), None) };
        let adapter = match ui.gpu.get() {
            Some(WebGpuStatus::Ready(a)) => Some(a.info),
            _ => None,
        };
        let ok: Vec<Bundled> = list.iter().filter(|m| m.model.is_ok()).cloned().collect();
        let mine = own.own.with(|o| o.as_ref().map(|m| m.listed()));
        let (ordered, here) = bundled_models::page_order(&ok, mine, adapter.as_ref(), &ui.label.get());
        let note = here.then(|| (ordered[0].name.clone(), bundled_models::here_note(&ordered[0])));
        let listed = ordered
            .into_iter()
            .map(|m| {
                let label = if m.kind == bundled_models::ModelKind::Own { m.name.clone() } else { format!("{} ({})", m.device_name(), m.name) };
                Listed { name: m.name, label, bytes: m.bytes }
            })
            .collect();
        (listed, note)
    });
    let ordered = Memo::new(move |_| listing.with(|l| l.0.clone()));
    let here = Memo::new(move |_| listing.with(|l| l.1.clone()));
    let chosen = RwSignal::new(chosen);
    let current = Memo::new(move |_| {
        let list = ordered.get();
        chosen.get().and_then(|w| list.iter().find(|l| l.name == w).cloned()).or_else(|| list.first().cloned())
    });
    let adapter_known = Memo::new(move |_| ui.gpu.with(|g| g.is_some()));
    Models { loaded, ordered, here, chosen, current, adapter_known }
}

/// Predicts once the costs are done (the workers are free, so the time is the prediction's
/// alone), and again whenever the model changes.
fn predict_on_change(st: Explore, workers: StoredValue<Option<Arc<Vec<SpaceWorker>>>, LocalStorage>) {
    Effect::new(move |_| {
        let (Some(Ok(s)), Some(_), Some(Listed { name, bytes, .. })) = (st.space.get(), st.costs.get(), st.models.current.get()) else { return };
        let Some(pool) = workers.get_value() else { return };
        if st.prediction.with_untracked(|p| matches!(p, Some(Ok(p)) if p.model == name)) {
            return;
        }
        st.predicting.set(Some(name.clone()));
        spawn_local(async move {
            let t0 = crate::engine::now_ms();
            let r = space_worker::predict(&pool, &bytes, &s.chunks).await.map(|p| {
                let predict_ms = crate::engine::now_ms() - t0;
                let axis = LogAxis::covering(&p.latency_ms);
                Arc::new(Prediction { model: name.clone(), axis, latency: p.latency_ms, predict_ms, worker_ms: p.ms, workers: pool.len() })
            });
            let _ = st.prediction.try_set(Some(r.map_err(|e| format!("predicting with {name} failed: {e}"))));
            let _ = st.predicting.try_set(None);
        });
    });
}

/// Hashes every cell once the first prediction is on the page, in a pool of workers of its
/// own (the prediction pool stays free for a change of model).
fn hash_after_first_prediction(st: Explore) {
    Effect::new(move |_| {
        let (Some(Ok(s)), Some(Ok(_))) = (st.space.get(), st.prediction.get()) else { return };
        if st.hashes.with_untracked(|h| h.is_some()) || st.hashing.get_value() {
            return;
        }
        st.hashing.set_value(true);
        spawn_local(async move {
            let r = match space_worker::start_pool(s.chunks.len()) {
                Ok(pool) => space_worker::hashes(&pool, &s.chunks).await,
                Err(e) => Err(e),
            };
            let r = r.map(|(list, ms)| Arc::new(SpaceHashes { list, ms })).map_err(|e| format!("hashing the cells failed: {e}"));
            let _ = st.hashes.try_set(Some(r));
        });
    });
}

/// This browser's measured cells (the Measure page's records) against the predictions.
fn checked(ui: MeasureUi, hashes: RwSignal<Step<SpaceHashes>>, prediction: RwSignal<Step<Prediction>>) -> Memo<Vec<(f64, f64)>> {
    Memo::new(move |_| {
        let (Some(Ok(h)), Some(Ok(p))) = (hashes.get(), prediction.get()) else { return Vec::new() };
        let hashes = &h.list;
        let measured: Vec<(ModuleHash, f64)> = ui.records.with(|r| r.iter().filter_map(|r| ModuleHash::from_hex(&r.hash).map(|h| (h, r.latency_ms))).collect());
        if measured.is_empty() {
            return Vec::new();
        }
        super::explore_data::measured_vs_predicted(&measured, hashes, &p.latency)
    })
}

/// The loaded accuracies as Explore plots them, when they list this space's cells.
fn accuracy_of(space: RwSignal<Step<Space>>) -> Memo<Option<Arc<AccuracyView>>> {
    let nb = expect_context::<NasbenchData>();
    Memo::new(move |_| {
        let (Some(Ok(s)), Some(l)) = (space.get(), nb.ready()) else { return None };
        (l.acc.codes == s.codes).then(|| Arc::new(AccuracyView::new(l.test.clone())))
    })
}

/// Creates the page's state and starts its work.
fn explore_state() -> Explore {
    let ui = expect_context::<MeasureUi>();
    let own = expect_context::<DeviceModels>();
    let space = RwSignal::new(None::<Result<Arc<Space>, String>>);
    let costs = RwSignal::new(None::<Result<Arc<CostData>, String>>);
    let prediction = RwSignal::new(None::<Result<Arc<Prediction>, String>>);
    let hashes = RwSignal::new(None::<Result<Arc<SpaceHashes>, String>>);
    let query = use_query_map();
    let view0 = query.with_untracked(|q| ExploreView::from_query(|k| q.get(k)));
    let input = FilterInput { ops: view0.ops.map(RwSignal::new), min_text: RwSignal::new(view0.min_text), max_text: RwSignal::new(view0.max_text) };
    let filter = Memo::new(move |_| -> Result<Filter, String> { filter_of(input.ops.map(|o| o.get()), &input.min_text.get(), &input.max_text.get()) });
    let shown = Memo::new(move |_| -> Option<Arc<Vec<u32>>> {
        let (Some(Ok(s)), Some(Ok(p)), Ok(f)) = (space.get(), prediction.get(), filter.get()) else { return None };
        Some(Arc::new(f.select(&s.ops, &p.latency)))
    });
    let st = Explore {
        space,
        costs,
        prediction,
        hashes,
        hashing: StoredValue::new(false),
        predicting: RwSignal::new(None),
        models: models(ui, own, view0.model),
        input,
        filter,
        shown,
        found: RwSignal::new(None),
        checked: checked(ui, hashes, prediction),
        accuracy: accuracy_of(space),
    };
    let workers = StoredValue::new_local(None);
    load_space(space, costs, workers);
    predict_on_change(st, workers);
    hash_after_first_prediction(st);
    keep_view_in_url(st);
    st
}

/// Writes the model, filters and latency range into the page address as they change
/// (replacing the entry), so that Back from Draw and a shared link restore them.
fn keep_view_in_url(st: Explore) {
    let navigate = use_navigate();
    let query = use_query_map();
    Effect::new(move |_| {
        let view = ExploreView {
            model: st.models.chosen.get(),
            ops: st.input.ops.map(|o| o.get()),
            min_text: st.input.min_text.get(),
            max_text: st.input.max_text.get(),
        };
        // Against the router's address (the window's may not have changed yet while a route
        // renders, and replacing it then would drop the page being left from the history).
        if query.with_untracked(|q| ExploreView::from_query(|k| q.get(k))) != view {
            navigate(&view.url(), NavigateOptions { replace: true, scroll: false, ..Default::default() });
        }
    });
}

#[component]
pub fn ExplorePage() -> impl IntoView {
    super::layout::page_title("Explore the space");
    let st = explore_state();
    view! {
        <Intro/>
        <ModelSection st=st/>
        <FilterSection st=st/>
        <ScatterSection st=st/>
        <HistogramSection st=st/>
        <VersusSection st=st/>
        <ParetoSection st=st/>
        <AccuracySection st=st/>
    }
}
