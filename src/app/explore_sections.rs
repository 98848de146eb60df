//! The Explore page's sections, one component each, taking the page state
//! ([`super::explore_page::Explore`], a `Copy` set of signals) as a prop: the model and
//! progress card, the filters and hash search, and the four plots.

use leptos::html::Canvas;
use leptos::prelude::*;

use super::explore_data::{budgets, capacity_front, find_hash, hash_query, histogram, largest_under, LogAxis};
use super::explore_page::{Explore, Prediction};
use super::explore_plots::Frame;
use super::explore_pointer::{PlotAxes, PointablePlot};
use super::format::{ms, thousands};

/// Bins of the latency histogram.
const HIST_BINS: usize = 60;

#[component]
pub fn Intro() -> impl IntoView {
    view! {
        <section class="card intro">
            <h1>"Explore the space"</h1>
            <p>"All 423,624 distinct NAS-Bench-101 cells, each predicted by a bundled latency model right in this page (in background workers). See how latency follows MACs — and where it does not — find the fastest cells for a parameter budget, and open any cell in Draw."</p>
        </section>
    }
}

/// The model menu (with load errors and this device's note) and the progress of the work.
#[component]
pub fn ModelSection(st: Explore) -> impl IntoView {
    let m = st.models;
    view! {
        <section class="card" aria-labelledby="model-h">
            <h2 id="model-h">"Model and progress"</h2>
            {move || match m.loaded.get() {
                None => view! { <p role="status">"Loading the bundled models…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{format!("The models could not be loaded: {e}")}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    {list.iter().filter_map(|b| b.model.as_ref().err().map(|e| view! { <p class="error">{e.clone()}</p> })).collect_view()}
                    {m.ordered.get().is_empty().then(|| view! { <p class="notice">"The server bundles no usable latency model (leti serve --models-dir)."</p> })}
                    <ModelMenu st=st/>
                }.into_any(),
            }}
            <ProgressSteps st=st/>
            {move || (st.predicting.get().is_some() || st.costs.with(|c| c.is_none()) && st.space.with(|s| !matches!(s, Some(Err(_))))).then(|| view! {
                <progress class="working" aria-label="Working on the whole space"></progress>
            })}
        </section>
    }
}

/// How the workers shared the prediction, for the page's `data-` attributes (the e2e tests
/// report it; the page itself shows no timings).
fn workers_note(p: &Prediction) -> String {
    if p.workers == 1 {
        format!("one background worker, {:.0} ms of it predicting", p.worker_ms)
    } else {
        format!("{} background workers in parallel, the slowest {:.0} ms predicting its share", p.workers, p.worker_ms)
    }
}

#[component]
fn ModelMenu(st: Explore) -> impl IntoView {
    let m = st.models;
    view! {
        <label class="field inline">
            <span>"Model"</span>
            <select id="model" disabled=move || st.predicting.get().is_some() on:change=move |ev| m.chosen.set(Some(event_target_value(&ev)))>
                {move || {
                    let cur = m.current.get().map(|c| c.name);
                    m.ordered.get().into_iter().map(|l| {
                        let sel = cur.as_deref() == Some(l.name.as_str());
                        view! { <option value=l.name selected=sel>{l.label}</option> }
                    }).collect_view()
                }}
            </select>
        </label>
        {move || m.here.get().filter(|(n, _)| m.current.get().is_some_and(|c| c.name == *n)).map(|(_, note)| view! { <p class="help model-note">{format!("This device: {note}.")}</p> })}
        {move || (m.adapter_known.get() && m.here.with(|h| h.is_none()) && m.current.with(|c| c.is_some())).then(|| view! {
            <p class="notice no-model">"No model for your GPU yet: "<a href="/">"measure for a few minutes"</a>" to get one. The predictions below are for the chosen device, not yours."</p>
        })}
    }
}

#[component]
fn ProgressSteps(st: Explore) -> impl IntoView {
    view! {
        <ul class="progress-steps" role="status" aria-live="polite"
            data-predict-ms=move || st.prediction.with(|p| p.as_ref().and_then(|p| p.as_ref().ok()).map(|p| format!("{:.0}", p.predict_ms)))
            data-costs-ms=move || st.costs.with(|c| c.as_ref().and_then(|c| c.as_ref().ok()).map(|c| format!("{:.0}", c.ms)))
            data-predict-workers=move || st.prediction.with(|p| p.as_ref().and_then(|p| p.as_ref().ok()).map(|p| workers_note(p)))>
            <li>{move || match st.space.get() {
                None => "Loading the packed space…".to_string(),
                Some(Ok(s)) => format!("Space loaded: {} cells.", thousands(s.cells.len() as u64)),
                Some(Err(e)) => e,
            }}</li>
            <li>{move || match st.costs.get() {
                None => "Computing MACs and parameters of every cell…".to_string(),
                Some(Ok(_)) => "MACs and parameters of every cell computed.".to_string(),
                Some(Err(e)) => format!("Costs failed: {e}"),
            }}</li>
            <li>{move || match (st.predicting.get(), st.prediction.get()) {
                (Some(m), _) => format!("Predicting every cell with {m}…"),
                (None, None) => "Waiting for the space and a model…".to_string(),
                (None, Some(Ok(p))) => format!("Predicted {} cells with {}.", thousands(p.latency.len() as u64), p.model),
                (None, Some(Err(e))) => e,
            }}</li>
            <li data-hash-ms=move || st.hashes.with(|h| h.as_ref().and_then(|h| h.as_ref().ok()).map(|h| format!("{:.0}", h.ms)))>
                {move || match st.hashes.get() {
                    None => "Hashing every cell for the search comes after the first prediction.".to_string(),
                    Some(Ok(h)) => format!("Hashed {} cells: search by hash is ready.", thousands(h.list.len() as u64)),
                    Some(Err(e)) => e,
                }}
            </li>
        </ul>
    }
}

fn op_select(label: &'static str, id: &'static str, value: RwSignal<Option<u8>>) -> impl IntoView {
    view! {
        <label class="field inline">
            <span>{label}</span>
            <select id=id prop:value=move || value.get().map_or_else(|| "any".to_string(), |k| k.to_string())
                on:change=move |ev| value.set(event_target_value(&ev).parse().ok())>
                <option value="any">"any"</option>
                {(0..=5u8).map(|k| view! { <option value=k.to_string()>{k.to_string()}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// Filters by op counts and latency range, and the hash search.
#[component]
pub fn FilterSection(st: Explore) -> impl IntoView {
    let [n3, n1, np] = st.input.ops;
    let (min_text, max_text) = (st.input.min_text, st.input.max_text);
    view! {
        <section class="card" aria-labelledby="filter-h">
            <h2 id="filter-h">"Filter"</h2>
            <div class="filters">
                {op_select("conv 3×3 vertices", "f-conv3x3", n3)}
                {op_select("conv 1×1 vertices", "f-conv1x1", n1)}
                {op_select("max-pool vertices", "f-maxpool", np)}
                <label class="field inline"><span>"Latency from (ms)"</span><input id="f-min" type="text" inputmode="decimal" placeholder="any" prop:value=move || min_text.get() on:input=move |ev| min_text.set(event_target_value(&ev))/></label>
                <label class="field inline"><span>"to (ms)"</span><input id="f-max" type="text" inputmode="decimal" placeholder="any" prop:value=move || max_text.get() on:input=move |ev| max_text.set(event_target_value(&ev))/></label>
            </div>
            {move || st.filter.get().err().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <p id="plotted" role="status">{move || match (st.shown.get(), st.space.get()) {
                (Some(idx), Some(Ok(s))) if idx.is_empty() => format!("Plotted 0 of {} cells: no cell has these op counts within this latency range.", thousands(s.cells.len() as u64)),
                (Some(idx), Some(Ok(s))) => format!("Plotted {} of {} cells.", thousands(idx.len() as u64), thousands(s.cells.len() as u64)),
                _ => "Nothing plotted yet.".to_string(),
            }}</p>
            <HashSearch st=st/>
        </section>
    }
}

#[component]
fn HashSearch(st: Explore) -> impl IntoView {
    let hash_text = RwSignal::new(String::new());
    // The query waiting for the cells' hashes (the workers compute them after the first plot).
    let pending = RwSignal::new(None::<String>);
    let search = move || match hash_query(&hash_text.get_untracked()) {
        None => st.found.set(Some(Err("Type at least 4 hex digits of a module hash.".into()))),
        Some(q) => pending.set(Some(q)),
    };
    Effect::new(move |_| {
        let Some(q) = pending.get() else { return };
        match st.hashes.get() {
            None => st.found.set(None),
            Some(r) => {
                st.found.set(Some(r.map(|h| find_hash(&h.list, &q, 20))));
                pending.set(None);
            }
        }
    });
    view! {
        <form class="search" on:submit=move |ev| { ev.prevent_default(); search() }>
            <label class="field inline"><span>"Module hash"</span>
                <input id="hash-search" type="search" placeholder="e.g. 28cfc787" spellcheck="false" on:input=move |ev| hash_text.set(event_target_value(&ev))/>
            </label>
            <button type="submit">"Find"</button>
        </form>
        {move || (pending.get().is_some() && st.hashes.with(|h| h.is_none())).then(|| view! {
            <p role="status">"Hashing every cell for the search (once per visit)…"</p>
        })}
        {move || st.found.get().map(|r| match r {
            Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            Ok(hits) if hits.is_empty() => view! { <p>"No cell has a hash starting like that."</p> }.into_any(),
            Ok(hits) => view! { <ul class="hits">{hits.into_iter().map(|i| hit_item(st, i)).collect_view()}</ul> }.into_any(),
        })}
    }
}

/// One hash-search hit: its hash linking to Draw, and its prediction.
fn hit_item(st: Explore, i: u32) -> Option<impl IntoView> {
    let (Some(Ok(s)), Some(Ok(p))) = (st.space.get_untracked(), st.prediction.get_untracked()) else { return None };
    let hash = s.hash_hex(i);
    let href = s.draw_href(i);
    Some(view! { <li><a href=href><code>{hash}</code></a>{format!(" predicted {}", ms(p.latency[i as usize] as f64))}</li> })
}

/// Predicted latency against MACs, density-shaded; pointing shows a cell, a click opens it in Draw.
#[component]
pub fn ScatterSection(st: Explore) -> impl IntoView {
    let scatter = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let (Some(el), Some(Ok(p)), Some(Ok(c)), Some(idx)) = (scatter.get(), st.prediction.get(), st.costs.get(), st.shown.get()) else { return };
        let Some(fr) = Frame::new(&el) else { return };
        fr.density(&c.macs, &p.latency, &idx, c.macs_axis, p.axis);
        fr.axes(c.macs_axis, p.axis, "MACs per inference (log)", "ms");
        if let Some(Ok(hits)) = st.found.get() {
            fr.rings(&c.macs, &p.latency, &hits, c.macs_axis, p.axis);
        }
        if idx.is_empty() {
            fr.message("No cell matches the filters.");
        }
    });
    view! {
        <section class="card" aria-labelledby="scatter-h">
            <h2 id="scatter-h">"Predicted latency vs MACs"</h2>
            <p class="hint">"Every shown cell, shaded by how many fall on each pixel (log scale). A FLOPs-only model would put them on one line; the spread at equal MACs is what it misses. Point at a cell (or press and hold) to see it; click or tap it to open it in Draw."</p>
            <PointablePlot st=st node=scatter axes=PlotAxes::MacsLatency id="plot-scatter" label="Density plot of predicted latency against MACs"/>
        </section>
    }
}

#[component]
pub fn HistogramSection(st: Explore) -> impl IntoView {
    let hist = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let (Some(el), Some(Ok(p)), Some(idx)) = (hist.get(), st.prediction.get(), st.shown.get()) else { return };
        let Some(fr) = Frame::new(&el) else { return };
        fr.histogram(&histogram(&p.latency, &idx, p.axis, HIST_BINS), p.axis, "Predicted latency (log)");
    });
    view! {
        <section class="card" aria-labelledby="hist-h">
            <h2 id="hist-h">"Latency histogram"</h2>
            <canvas node_ref=hist class="plot" id="plot-hist" role="img" aria-label="Histogram of predicted latency"></canvas>
        </section>
    }
}

/// The cells measured in this browser against the current model's predictions.
#[component]
pub fn VersusSection(st: Explore) -> impl IntoView {
    let versus = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let pts = st.checked.get();
        let Some(el) = versus.get() else { return };
        let Some(fr) = Frame::new(&el) else { return };
        let all: Vec<f32> = pts.iter().flat_map(|&(a, b)| [a as f32, b as f32]).collect();
        let axis = LogAxis::covering(&all);
        fr.axes(axis, axis, "Predicted latency (ms, log)", "ms");
        fr.dots_with_diagonal(&pts, axis);
    });
    view! {
        <section class="card" aria-labelledby="versus-h">
            <h2 id="versus-h">"Measured on this device vs predicted"</h2>
            {move || {
                let pts = st.checked.get();
                if pts.is_empty() {
                    view! { <p class="hint">"No measurements from this browser yet: cells measured on the Measure page appear here, measured (wall clock, median) against this model's prediction."</p> }.into_any()
                } else {
                    let within = pts.iter().filter(|(p, m)| (m / p - 1.0).abs() <= 0.2).count();
                    view! { <p class="hint">{format!("{} cells measured in this browser; {} within 20% of the prediction. On the grey line, measured equals predicted.", pts.len(), within)}</p> }.into_any()
                }
            }}
            <canvas node_ref=versus class="plot" id="plot-versus" class:hidden=move || st.checked.with(|c| c.is_empty()) role="img" aria-label="Measured against predicted latency for the cells measured on this device"></canvas>
        </section>
    }
}

/// Predicted latency against trainable parameters, with the Pareto front of the largest cell per
/// latency budget in red, and that cell for a few budgets.
#[component]
pub fn ParetoSection(st: Explore) -> impl IntoView {
    let pareto = NodeRef::<Canvas>::new();
    let front = RwSignal::new(Vec::<u32>::new());
    Effect::new(move |_| {
        let (Some(el), Some(Ok(p)), Some(Ok(c)), Some(idx)) = (pareto.get(), st.prediction.get(), st.costs.get(), st.shown.get()) else { return };
        let Some(fr) = Frame::new(&el) else { return };
        fr.density(&c.params, &p.latency, &idx, c.params_axis, p.axis);
        fr.axes(c.params_axis, p.axis, "Trainable parameters (log)", "ms");
        let f = capacity_front(&c.params, &p.latency, &idx);
        fr.polyline(&c.params, &p.latency, &f, c.params_axis, p.axis, "#d92d20");
        front.set(f);
    });
    view! {
        <section class="card" aria-labelledby="pareto-h">
            <h2 id="pareto-h">"The largest cell for a latency budget"</h2>
            <p class="hint">{move || format!("Predicted latency against parameters. In red, the Pareto front: the {} shown cells that no other cell matches with as many parameters at no more latency. More parameters usually buy accuracy in NAS-Bench-101.", front.with(|f| f.len()))}</p>
            <PointablePlot st=st node=pareto axes=PlotAxes::ParamsLatency id="plot-pareto" label="Density plot of predicted latency against trainable parameters with the Pareto front"/>
            <BudgetTable st=st front=front/>
        </section>
    }
}

/// For a few latency budgets (quantiles of the shown cells' latency), the front's largest cell
/// at or under it, linked to Draw.
#[component]
fn BudgetTable(st: Explore, front: RwSignal<Vec<u32>>) -> impl IntoView {
    move || {
        let (Some(Ok(s)), Some(Ok(p)), Some(Ok(c)), Some(idx)) = (st.space.get(), st.prediction.get(), st.costs.get(), st.shown.get()) else { return None };
        let rows = front.with(|f| {
            budgets(&p.latency, &idx, &[0.01, 0.1, 0.25, 0.5, 0.9])
                .into_iter()
                .filter_map(|b| largest_under(f, &p.latency, b).map(|i| (b, i)))
                .map(|(b, i)| {
                    let (name, href) = (s.short_name(i), s.draw_href(i));
                    view! {
                        <tr><td>{format!("≤ {}", ms(b as f64))}</td><td><a href=href><code>{name}</code></a></td>
                            <td class="num">{thousands(c.params[i as usize] as u64)}</td><td class="num">{ms(p.latency[i as usize] as f64)}</td></tr>
                    }
                })
                .collect_view()
        });
        Some(view! {
            <table class="budgets" id="budget-table">
                <caption>"The cell with the most parameters under each latency budget"</caption>
                <thead><tr><th scope="col">"Budget"</th><th scope="col">"Cell"</th><th scope="col">"Parameters"</th><th scope="col">"Predicted"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })
    }
}
