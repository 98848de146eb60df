//! The Explore page: the whole space (`space-full.bin`, with module hashes) predicted by a
//! listed model (this device's own first: [`bundled_models::page_order`]) in Web Workers
//! ([`super::space_worker`]), and plotted on canvases: predicted latency vs MACs
//! (density-shaded), the latency histogram, and latency vs parameters with its Pareto front,
//! and the cells measured in this browser (the Measure page's records) against their
//! predictions. Filters by op counts and latency range, search by hash, and a click on
//! the latency/MACs plot opens the nearest shown cell in Draw.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use super::bundled_models::{self, Bundled};
use super::device_model::DeviceModels;
use super::cell_editor::draw_url;
use super::draw_estimates::ms;
use super::draw_page::{pretty, thousands};
use super::explore_data::{find_hash, hash_query, histogram, measured_vs_predicted, nearest, op_counts, pareto_front, split_packed, Filter, LogAxis};
use super::explore_plots::{Frame, LEFT, TOP};
use super::measure_runtime::MeasureUi;
use super::space_worker::{self, SpaceWorker};
use super::webgpu_check::WebGpuStatus;
use crate::space::{unpack, Cell, ModuleHash};

/// The packed space with hashes, written by `.ci/build-web` (`leti space pack --with-hashes`).
pub const FULL_SPACE_URL: &str = "/space-full.bin";

/// Bins of the latency histogram.
const HIST_BINS: usize = 60;

/// The loaded space, as the main thread keeps it.
struct Space {
    /// The space split into one packed slice per worker.
    chunks: Vec<Vec<u8>>,
    cells: Vec<Cell>,
    hashes: Option<Vec<ModuleHash>>,
    ops: Vec<[u8; 3]>,
}

/// MACs and parameters of every cell, with their axes.
struct CostData {
    macs: Vec<f32>,
    params: Vec<f32>,
    macs_axis: LogAxis,
    params_axis: LogAxis,
    ms: f64,
}

/// One model's predictions.
struct Prediction {
    model: String,
    latency: Vec<f32>,
    axis: LogAxis,
    /// From sending the model to the workers to having every cell's prediction on the page (ms).
    predict_ms: f64,
    /// The slowest worker's own time for its slice (ms).
    worker_ms: f64,
    workers: usize,
}

async fn fetch_space(workers: usize) -> Result<Space, String> {
    let resp = gloo_net::http::Request::get(FULL_SPACE_URL).send().await.map_err(|e| format!("could not fetch {FULL_SPACE_URL}: {e}"))?;
    if !resp.ok() {
        return Err(format!("could not fetch {FULL_SPACE_URL}: HTTP {} (build it with `leti space pack --with-hashes --out www/space-full.bin`)", resp.status()));
    }
    let bytes = resp.binary().await.map_err(|e| format!("could not read {FULL_SPACE_URL}: {e}"))?;
    let u = unpack(&bytes).map_err(|e| format!("{FULL_SPACE_URL}: {e}"))?;
    let ops = u.cells.iter().map(op_counts).collect();
    let chunks = split_packed(&u.cells, &u.codes, workers);
    Ok(Space { chunks, cells: u.cells, hashes: u.hashes, ops })
}

fn parse_ms(s: &str) -> Result<Option<f32>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f32>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        _ => Err(format!("{s:?} is not a latency in ms (a number, 0 or more)")),
    }
}

fn op_select(label: &'static str, id: &'static str, value: RwSignal<Option<u8>>) -> impl IntoView {
    view! {
        <label class="field inline">
            <span>{label}</span>
            <select id=id on:change=move |ev| value.set(event_target_value(&ev).parse().ok())>
                <option value="any">"any"</option>
                {(0..=5u8).map(|k| view! { <option value=k.to_string()>{k.to_string()}</option> }).collect_view()}
            </select>
        </label>
    }
}

#[component]
pub fn ExplorePage() -> impl IntoView {
    let ui = expect_context::<MeasureUi>();
    let own = expect_context::<DeviceModels>();
    let navigate = use_navigate();
    let space = RwSignal::new(None::<Result<Arc<Space>, String>>);
    let costs = RwSignal::new(None::<Result<Arc<CostData>, String>>);
    let prediction = RwSignal::new(None::<Result<Arc<Prediction>, String>>);
    let predicting = RwSignal::new(None::<String>);
    let models = LocalResource::new(bundled_models::load_all);
    let chosen = RwSignal::new(None::<String>);
    let workers = StoredValue::new_local(None::<Arc<Vec<SpaceWorker>>>);

    // Filters.
    let n3 = RwSignal::new(None::<u8>);
    let n1 = RwSignal::new(None::<u8>);
    let np = RwSignal::new(None::<u8>);
    let min_text = RwSignal::new(String::new());
    let max_text = RwSignal::new(String::new());
    let filter = Memo::new(move |_| -> Result<Filter, String> {
        Ok(Filter { ops: [n3.get(), n1.get(), np.get()], min_ms: parse_ms(&min_text.get())?, max_ms: parse_ms(&max_text.get())? })
    });
    let hash_text = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Result<Vec<u32>, String>>);

    // Load the space, start the workers, compute the costs of every cell.
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

    // The models in page order (this device's first), and what is said of this device's.
    let listing = Memo::new(move |_| -> (Vec<(String, Arc<Vec<u8>>)>, Option<(String, String)>) {
        let Some(Ok(list)) = models.get() else { return (Vec::new(), None) };
        let adapter = match ui.gpu.get() {
            Some(WebGpuStatus::Ready(a)) => Some(a.info),
            _ => None,
        };
        let ok: Vec<Bundled> = list.iter().filter(|m| m.model.is_ok()).cloned().collect();
        let mine = own.own.with(|o| o.as_ref().map(|m| m.listed()));
        let (ordered, here) = bundled_models::page_order(&ok, mine, adapter.as_ref(), &ui.label.get());
        let note = here.then(|| (ordered[0].name.clone(), bundled_models::here_note(&ordered[0])));
        (ordered.into_iter().map(|m| (m.name, m.bytes)).collect(), note)
    });
    // The model to use: the chosen one, else the first.
    let ordered = Memo::new(move |_| listing.with(|l| l.0.clone()));
    let model = Memo::new(move |_| {
        let list = ordered.get();
        let want = chosen.get();
        want.and_then(|w| list.iter().find(|(n, _)| *n == w).cloned()).or_else(|| list.first().cloned())
    });

    // Predict once the costs are done (the workers are free, so the time is the prediction's
    // alone), and again whenever the model changes.
    Effect::new(move |_| {
        let (Some(Ok(s)), Some(_), Some((name, bytes))) = (space.get(), costs.get(), model.get()) else { return };
        let Some(pool) = workers.get_value() else { return };
        if prediction.with_untracked(|p| matches!(p, Some(Ok(p)) if p.model == name)) {
            return;
        }
        predicting.set(Some(name.clone()));
        spawn_local(async move {
            let t0 = super::now_ms();
            let r = space_worker::predict(&pool, &bytes, &s.chunks).await.map(|p| {
                let predict_ms = super::now_ms() - t0;
                Arc::new(Prediction { model: name.clone(), axis: LogAxis::covering(&p.latency_ms), latency: p.latency_ms, predict_ms, worker_ms: p.ms, workers: pool.len() })
            });
            let _ = prediction.try_set(Some(r.map_err(|e| format!("predicting with {name} failed: {e}"))));
            let _ = predicting.try_set(None);
        });
    });

    // The cells shown.
    let shown = Memo::new(move |_| -> Option<Arc<Vec<u32>>> {
        let (Some(Ok(s)), Some(Ok(p)), Ok(f)) = (space.get(), prediction.get(), filter.get()) else { return None };
        Some(Arc::new(f.select(&s.ops, &p.latency)))
    });

    let scatter = NodeRef::<Canvas>::new();
    let hist = NodeRef::<Canvas>::new();
    let pareto = NodeRef::<Canvas>::new();
    let front_len = RwSignal::new(0usize);
    Effect::new(move |_| {
        let (Some(el), Some(Ok(p)), Some(Ok(c)), Some(idx)) = (scatter.get(), prediction.get(), costs.get(), shown.get()) else { return };
        let Some(fr) = Frame::new(&el) else { return };
        fr.density(&c.macs, &p.latency, &idx, c.macs_axis, p.axis);
        fr.axes(c.macs_axis, p.axis, "MACs per inference (log)", " ms");
        if let Some(Ok(hits)) = found.get() {
            fr.rings(&c.macs, &p.latency, &hits, c.macs_axis, p.axis);
        }
        if idx.is_empty() {
            fr.message("No cell matches the filters.");
        }
    });
    Effect::new(move |_| {
        let (Some(el), Some(Ok(p)), Some(idx)) = (hist.get(), prediction.get(), shown.get()) else { return };
        let Some(fr) = Frame::new(&el) else { return };
        fr.histogram(&histogram(&p.latency, &idx, p.axis, HIST_BINS), p.axis, "Predicted latency (log)");
    });
    Effect::new(move |_| {
        let (Some(el), Some(Ok(p)), Some(Ok(c)), Some(idx)) = (pareto.get(), prediction.get(), costs.get(), shown.get()) else { return };
        let Some(fr) = Frame::new(&el) else { return };
        fr.density(&c.params, &p.latency, &idx, c.params_axis, p.axis);
        fr.axes(c.params_axis, p.axis, "Trainable parameters (log)", " ms");
        let front = pareto_front(&c.params, &p.latency, &idx);
        fr.polyline(&c.params, &p.latency, &front, c.params_axis, p.axis, "#d92d20");
        front_len.set(front.len());
    });

    // This device's measurements (the Measure page's records) against the predictions.
    let checked = Memo::new(move |_| -> Vec<(f64, f64)> {
        let (Some(Ok(s)), Some(Ok(p))) = (space.get(), prediction.get()) else { return Vec::new() };
        let Some(hashes) = &s.hashes else { return Vec::new() };
        let measured: Vec<(ModuleHash, f64)> = ui.records.with(|r| r.iter().filter_map(|r| ModuleHash::from_hex(&r.hash).map(|h| (h, r.latency_ms))).collect());
        if measured.is_empty() {
            return Vec::new();
        }
        measured_vs_predicted(&measured, hashes, &p.latency)
    });
    let versus = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let pts = checked.get();
        let Some(el) = versus.get() else { return };
        let Some(fr) = Frame::new(&el) else { return };
        let all: Vec<f32> = pts.iter().flat_map(|&(a, b)| [a as f32, b as f32]).collect();
        let axis = LogAxis::covering(&all);
        fr.axes(axis, axis, "Predicted latency (ms, log)", " ms");
        fr.dots_with_diagonal(&pts, axis);
    });

    let open_cell = move |i: u32| {
        if let Some(Ok(s)) = space.get_untracked() {
            navigate(&draw_url(&pretty(&s.cells[i as usize].to_spec())), Default::default());
        }
    };
    let open = open_cell.clone();
    let on_plot_click = move |ev: web_sys::MouseEvent| {
        let (Some(el), Some(Ok(p)), Some(Ok(c)), Some(idx)) = (scatter.get_untracked(), prediction.get_untracked(), costs.get_untracked(), shown.get_untracked()) else { return };
        let (w, h) = (el.client_width() as f64 - LEFT - super::explore_plots::RIGHT, el.client_height() as f64 - TOP - super::explore_plots::BOTTOM);
        let (px, py) = (ev.offset_x() as f64 - LEFT, ev.offset_y() as f64 - TOP);
        if let Some(i) = nearest(&c.macs, &p.latency, &idx, c.macs_axis, p.axis, w, h, px, py) {
            open(i);
        }
    };
    let search = move || {
        let Some(Ok(s)) = space.get_untracked() else { return };
        found.set(Some(match (hash_query(&hash_text.get_untracked()), &s.hashes) {
            (_, None) => Err(format!("{FULL_SPACE_URL} carries no hashes (pack it with --with-hashes)")),
            (None, _) => Err("Type at least 4 hex digits of a module hash.".into()),
            (Some(q), Some(h)) => Ok(find_hash(h, &q, 20)),
        }));
    };

    view! {
        <section class="card intro">
            <h1>"Explore the space"</h1>
            <p>"All 423,624 distinct NAS-Bench-101 cells, each predicted by a bundled latency model right in this page (in background workers). See how latency follows MACs — and where it does not — find the fastest cells for a parameter budget, and open any cell in Draw."</p>
        </section>
        <section class="card" aria-labelledby="model-h">
            <h2 id="model-h">"Model and progress"</h2>
            {move || match models.get() {
                None => view! { <p role="status">"Loading the bundled models…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{format!("The models could not be loaded: {e}")}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    {list.iter().filter_map(|m| m.model.as_ref().err().map(|e| view! { <p class="error">{e.clone()}</p> })).collect_view()}
                    {ordered.get().is_empty().then(|| view! { <p class="notice">"The server bundles no usable latency model (leti serve --models-dir)."</p> })}
                    <label class="field inline">
                        <span>"Model"</span>
                        <select id="model" disabled=move || predicting.get().is_some() on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>
                            {move || { let cur = model.get().map(|m| m.0); ordered.get().into_iter().map(|(n, _)| {
                                let sel = cur.as_deref() == Some(n.as_str());
                                view! { <option value=n.clone() selected=sel>{n.clone()}</option> }
                            }).collect_view() }}
                        </select>
                    </label>
                    {move || listing.with(|l| l.1.clone()).filter(|(n, _)| model.get().is_some_and(|m| m.0 == *n)).map(|(_, note)| view! { <p class="help model-note">{format!("This device: {note}.")}</p> })}
                }.into_any(),
            }}
            <ul class="progress-steps" role="status" aria-live="polite">
                <li>{move || match space.get() {
                    None => "Loading the packed space…".to_string(),
                    Some(Ok(s)) => format!("Space loaded: {} cells{}.", thousands(s.cells.len() as u64), if s.hashes.is_some() { " with their hashes" } else { "" }),
                    Some(Err(e)) => e,
                }}</li>
                <li>{move || match costs.get() {
                    None => "Computing MACs and parameters of every cell…".to_string(),
                    Some(Ok(c)) => format!("MACs and parameters of every cell computed ({:.0} ms).", c.ms),
                    Some(Err(e)) => format!("Costs failed: {e}"),
                }}</li>
                <li>{move || match (predicting.get(), prediction.get()) {
                    (Some(m), _) => format!("Predicting every cell with {m}…"),
                    (None, None) => "Waiting for the space and a model…".to_string(),
                    (None, Some(Ok(p))) => format!("Predicted {} cells with {}.", thousands(p.latency.len() as u64), p.model),
                    (None, Some(Err(e))) => e,
                }}</li>
            </ul>
            {move || (predicting.get().is_some() || costs.with(|c| c.is_none()) && space.with(|s| !matches!(s, Some(Err(_))))).then(|| view! {
                <progress class="working" aria-label="Working on the whole space"></progress>
            })}
            {move || prediction.get().and_then(|p| p.ok()).map(|p| view! {
                <p class="predict-time">"Prediction time: "<strong id="predict-ms">{format!("{:.0}", p.predict_ms)}</strong>{format!(" ms for all {} cells, from sending the model to having every prediction on the page ({}; target < 1,000 ms).", thousands(p.latency.len() as u64),
                    if p.workers == 1 { format!("one background worker, {:.0} ms of it predicting", p.worker_ms) } else { format!("{} background workers in parallel, the slowest {:.0} ms predicting its share", p.workers, p.worker_ms) })}</p>
            })}
        </section>
        <section class="card" aria-labelledby="filter-h">
            <h2 id="filter-h">"Filter"</h2>
            <div class="filters">
                {op_select("conv 3×3 vertices", "f-conv3x3", n3)}
                {op_select("conv 1×1 vertices", "f-conv1x1", n1)}
                {op_select("max-pool vertices", "f-maxpool", np)}
                <label class="field inline"><span>"Latency from (ms)"</span><input id="f-min" type="text" inputmode="decimal" placeholder="any" on:change=move |ev| min_text.set(event_target_value(&ev))/></label>
                <label class="field inline"><span>"to (ms)"</span><input id="f-max" type="text" inputmode="decimal" placeholder="any" on:change=move |ev| max_text.set(event_target_value(&ev))/></label>
            </div>
            {move || filter.get().err().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <p id="plotted" role="status">{move || match (shown.get(), space.get()) {
                (Some(idx), Some(Ok(s))) => format!("Plotted {} of {} cells.", thousands(idx.len() as u64), thousands(s.cells.len() as u64)),
                _ => "Nothing plotted yet.".to_string(),
            }}</p>
            <form class="search" on:submit=move |ev| { ev.prevent_default(); search() }>
                <label class="field inline"><span>"Module hash"</span>
                    <input id="hash-search" type="search" placeholder="e.g. 28cfc787" spellcheck="false" on:input=move |ev| hash_text.set(event_target_value(&ev))/>
                </label>
                <button type="submit">"Find"</button>
            </form>
            {move || found.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                Ok(hits) if hits.is_empty() => view! { <p>"No cell has a hash starting like that."</p> }.into_any(),
                Ok(hits) => {
                    let (s, p) = (space.get_untracked(), prediction.get_untracked());
                    view! { <ul class="hits">{hits.into_iter().map(|i| {
                        let (Some(Ok(s)), Some(Ok(p))) = (s.clone(), p.clone()) else { return None };
                        let hash = s.hashes.as_ref().map(|h| h[i as usize].to_hex()).unwrap_or_default();
                        let href = draw_url(&pretty(&s.cells[i as usize].to_spec()));
                        Some(view! { <li><a href=href><code>{hash}</code></a>{format!(" predicted {}", ms(p.latency[i as usize] as f64))}</li> })
                    }).collect_view()}</ul> }.into_any()
                }
            })}
        </section>
        <section class="card" aria-labelledby="scatter-h">
            <h2 id="scatter-h">"Predicted latency vs MACs"</h2>
            <p class="hint">"Every shown cell, shaded by how many fall on each pixel (log scale). A FLOPs-only model would put them on one line; the spread at equal MACs is what it misses. Click a point to open the nearest cell in Draw."</p>
            <canvas node_ref=scatter class="plot big" id="plot-scatter" role="img" aria-label="Density plot of predicted latency against MACs" on:click=on_plot_click></canvas>
        </section>
        <section class="card" aria-labelledby="hist-h">
            <h2 id="hist-h">"Latency histogram"</h2>
            <canvas node_ref=hist class="plot" id="plot-hist" role="img" aria-label="Histogram of predicted latency"></canvas>
        </section>
        <section class="card" aria-labelledby="versus-h">
            <h2 id="versus-h">"Measured on this device vs predicted"</h2>
            {move || {
                let pts = checked.get();
                if pts.is_empty() {
                    view! { <p class="hint">"No measurements from this browser yet: cells measured on the Measure page appear here, measured (wall clock, median) against this model's prediction."</p> }.into_any()
                } else {
                    let within = pts.iter().filter(|(p, m)| (m / p - 1.0).abs() <= 0.2).count();
                    view! { <p class="hint">{format!("{} cells measured in this browser; {} within 20% of the prediction. On the grey line, measured equals predicted.", pts.len(), within)}</p> }.into_any()
                }
            }}
            <canvas node_ref=versus class="plot" id="plot-versus" class:hidden=move || checked.with(|c| c.is_empty()) role="img" aria-label="Measured against predicted latency for the cells measured on this device"></canvas>
        </section>
        <section class="card" aria-labelledby="pareto-h">
            <h2 id="pareto-h">"Latency vs parameters: the Pareto front"</h2>
            <p class="hint">{move || format!("In red, the {} shown cells no other beats on both: nothing with at most as many parameters is faster.", front_len.get())}</p>
            <canvas node_ref=pareto class="plot big" id="plot-pareto" role="img" aria-label="Density plot of predicted latency against trainable parameters with the Pareto front"></canvas>
        </section>
    }
}
