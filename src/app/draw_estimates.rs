//! The Draw page's latency side: the estimate of every listed model for the drawn cell (point
//! and range; this device's own model first, else a model learned on this GPU, else the
//! model matching this browser's adapter: [`bundled_models::page_order`]), the FLOPs baseline for
//! contrast, and "Measure on this device": the drawn network run by the engine on this
//! browser's WebGPU adapter, measured next to predicted, with the per-layer times as a bar chart.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::bundled_models::{self, Bundled};
use super::device_model::DeviceModels;
use super::engine_measurer::EngineMeasurer;
use super::engine_port::CellMeasurer;
use super::format::{ms, thousands};
use super::measure_runtime::MeasureUi;
use super::webgpu_check::WebGpuStatus;
use crate::measure::{AdapterInfo, LayerTime, MeasurementRecord};
use crate::net::Precision;
use crate::predict::{Interval, Model, Target};
use crate::space::Cell;

fn target_name(t: Target) -> &'static str {
    match t {
        Target::WallMedianMs => "wall clock",
        Target::GpuMedianMs => "GPU time",
    }
}

fn adapter(ui: &MeasureUi) -> Option<AdapterInfo> {
    match ui.gpu.get() {
        Some(WebGpuStatus::Ready(a)) => Some(a.info),
        _ => None,
    }
}

/// The models in page order and the name of this device's (see [`bundled_models::page_order`]).
fn ordered(models: &[Bundled], ui: &MeasureUi, own: &DeviceModels) -> (Vec<Bundled>, Option<String>) {
    let adapter = adapter(ui);
    let own = own.own.with(|o| o.as_ref().map(|m| m.listed()));
    let (list, here) = bundled_models::page_order(models, own, adapter.as_ref(), &ui.label.get());
    let name = here.then(|| list[0].name.clone());
    (list, name)
}

/// What the page says under this device's model when it is its own or a learned one (with its
/// measured accuracy), as a sentence.
fn here_note(m: &Bundled) -> Option<String> {
    (m.kind != bundled_models::ModelKind::Bundled).then(|| {
        let note = bundled_models::here_note(m);
        let mut c = note.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>() + ".").unwrap_or_default()
    })
}

/// The range's stated coverage: "80% range" (held-out cells of the model's own device).
fn range_label(model: &Model) -> String {
    match model.file.interval {
        Interval::Residual { level, .. } => format!("{:.0}% range", level * 100.0),
        Interval::None => "no range".to_string(),
    }
}

/// One model's estimate of `cell`. The model of this device (`here`) is named as the page
/// knows it; another device's is labelled by that device, in words.
fn estimate_item(m: &Bundled, cell: &Cell, here: bool) -> impl IntoView {
    let model = match m.model.as_ref() {
        Ok(x) => x,
        Err(e) => return view! { <li class="error">{e.clone()}</li> }.into_any(),
    };
    let p = match model.predict(cell) {
        Ok(p) => p,
        Err(e) => return view! { <li class="error">{format!("{}: {e}", m.name)}</li> }.into_any(),
    };
    let note = here.then(|| here_note(m)).flatten();
    let title = match (here, &note) {
        (true, Some(_)) => m.name.clone(),
        (true, None) => format!("This device ({})", m.device_name()),
        (false, _) => format!("On {}", m.device_name()),
    };
    let target = target_name(model.file.target);
    view! {
        <li class="estimate" class:here=here data-model=m.name.clone()>
            <span class="model">{title}</span>
            <span class="point">{ms(p.ms)}</span>
            <span class="range">{format!("{} {}–{}", range_label(model), ms(p.lo_ms), ms(p.hi_ms))}</span>
            <span class="device">{format!("{target}, model {} trained on {}", m.name, m.device())}</span>
            {note.map(|n| view! { <span class="note">{n}</span> })}
        </li>
    }
    .into_any()
}

#[component]
pub fn Estimates(cell: Signal<Option<(Cell, u64)>>) -> impl IntoView {
    let ui = expect_context::<MeasureUi>();
    let own = expect_context::<DeviceModels>();
    let models = LocalResource::new(bundled_models::load_all);
    view! {
        <section class="card" aria-labelledby="est-h">
            <h2 id="est-h">"Latency estimate"</h2>
            {move || {
                let Some((cell, macs)) = cell.get() else {
                    return view! { <p>"Draw a valid cell to see estimates."</p> }.into_any();
                };
                match models.get() {
                    None => view! { <p role="status">"Loading the bundled models…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error" role="alert">{format!("The models could not be loaded: {e}")}</p> }.into_any(),
                    Some(Ok(list)) => {
                        let (list, best) = ordered(&list, &ui, &own);
                        let flops = list.iter().find(|m| m.is_flops()).and_then(|m| m.model.as_ref().ok().map(|x| (m.name.clone(), x.predict(&cell))));
                        let none_here = best.is_none() && !list.is_empty() && ui.gpu.with(|g| g.is_some());
                        view! {
                            {list.is_empty().then(|| view! { <p class="notice">"The server bundles no latency models (leti serve --models-dir)."</p> })}
                            {none_here.then(|| view! {
                                <p class="notice no-model">"No model for your GPU yet: "<a href="/">"measure for a few minutes"</a>" to get one. The estimates below are for other devices, not yours."</p>
                            })}
                            <ul class="estimates">
                                {list.into_iter().filter(|m| !m.is_flops()).map(|m| estimate_item(&m, &cell, best.as_deref() == Some(m.name.as_str()))).collect_view()}
                            </ul>
                            <p class="hint range-help">"Each range holds for the model's own device: that share of its measured cells, each left out of the fit, fell within it. On another GPU it says nothing."</p>
                            <p class="flops">{match flops {
                                Some((name, Ok(p))) => format!("FLOPs baseline ({name}): {} from {} MACs alone; the models above also see the cell's memory traffic and layer count.", ms(p.ms), thousands(macs)),
                                _ => format!("FLOPs baseline: {} MACs. A FLOPs-only estimate ranks cells by this number alone; the models above also see memory traffic and layer count.", thousands(macs)),
                            }}</p>
                            <MeasureHere cell=cell models=models/>
                        }.into_any()
                    }
                }
            }}
        </section>
    }
}

/// The precision a measurement ran at, as the pages say it.
pub fn precision_text(p: Precision) -> &'static str {
    match p {
        Precision::F16 => "f16 (half precision, as phones deploy networks; this GPU has shader-f16)",
        Precision::F32 => "f32",
    }
}

/// One measurement of the drawn cell on this device.
#[derive(Clone)]
struct Measured {
    cell: Cell,
    record: Arc<MeasurementRecord>,
}

#[component]
fn MeasureHere(cell: Cell, models: LocalResource<Result<Vec<Bundled>, String>>) -> impl IntoView {
    let ui = expect_context::<MeasureUi>();
    let busy = RwSignal::new(false);
    let result = RwSignal::new(None::<Result<Measured, String>>);
    let run = move |_| {
        let (info, software) = match ui.gpu.get_untracked() {
            Some(WebGpuStatus::Ready(a)) => (Some(a.info.clone()), a.is_fallback),
            _ => (None, false),
        };
        busy.set(true);
        result.set(None);
        spawn_local(async move {
            let outcome = async {
                let mut m = EngineMeasurer::new(info, software, true).await?;
                // At the device's own precision (f16 where it has it), as its model describes.
                let own = m.precisions()[0];
                m.measure(&cell, own, &|| false).await.map_err(|e| e.to_string())
            }
            .await;
            // The cell may have changed meanwhile (this view then is gone): nothing to show.
            let _ = result.try_set(Some(outcome.map(|r| Measured { cell, record: Arc::new(r) })));
            let _ = busy.try_set(false);
        });
    };
    let ready = move || matches!(ui.gpu.get(), Some(WebGpuStatus::Ready(_)));
    view! {
        <div class="measure-here">
            <button class="primary" disabled=move || busy.get() || !ready() on:click=run>
                {move || if busy.get() { "Measuring…" } else { "Measure on this device" }}
            </button>
            {move || (!ready()).then(|| view! { <p class="hint">"Measuring needs WebGPU; the Measure page says what this browser lacks."</p> })}
            {move || busy.get().then(|| view! { <p role="status">"Running the network on this GPU (warm-up, then timed runs; seconds on a software adapter)…"</p> })}
            {move || match result.get() {
                None => None,
                Some(Err(e)) => Some(view! { <p class="error" role="alert">{format!("Measuring failed: {e}")}</p> }.into_any()),
                Some(Ok(m)) if m.cell != cell => None,
                Some(Ok(m)) => Some(measured_view(&m, models.get().and_then(|r| r.ok()).unwrap_or_default()).into_any()),
            }}
        </div>
    }
}

fn measured_view(m: &Measured, models: Vec<Bundled>) -> impl IntoView {
    let r = &m.record;
    let gpu = r.gpu.as_ref().map(|g| g.median_ms);
    let rows = models
        .iter()
        .filter_map(|b| {
            let model: &Model = b.model.as_ref().ok()?;
            let p = model.predict(&m.cell).ok()?;
            let measured = match model.file.target {
                Target::GpuMedianMs => gpu?,
                Target::WallMedianMs => r.wall.median_ms,
            };
            Some(view! {
                <tr>
                    <th scope="row">{b.name.clone()}</th>
                    <td>{format!("{} ({}–{})", ms(p.ms), ms(p.lo_ms), ms(p.hi_ms))}</td>
                    <td>{ms(measured)}</td>
                    <td>{format!("{:.2}×", measured / p.ms)}</td>
                </tr>
            })
        })
        .collect_view();
    view! {
        // The timing the record used, also as data for tests: its mode, the timer's observed
        // quantum and the GPU time if the timer resolved it.
        <dl class="facts measured" data-mode=r.mode.as_str() data-precision=r.network.precision.as_str() data-timer-ns=r.timestamp_resolution_ns.map(|q| format!("{q}")) data-gpu-ms=gpu.map(|g| format!("{g}"))>
            <dt>"Precision"</dt><dd>{precision_text(r.network.precision)}</dd>
            <dt>"Measured here (wall clock, median)"</dt><dd class="measured-ms">{ms(r.wall.median_ms)}{format!(" (p10 {}, p90 {}, {} runs)", ms(r.wall.p10_ms), ms(r.wall.p90_ms), r.wall.runs)}</dd>
            {gpu.map(|g| view! { <dt>"GPU time (timestamp queries)"</dt><dd>{ms(g)}</dd> })}
            {r.timestamp_resolution_ns.map(|q| view! { <dt>"Timer resolution"</dt><dd>{timer(q)}</dd> })}
        </dl>
        <table class="side-by-side">
            <thead><tr><th scope="col">"Model"</th><th scope="col">"Predicted"</th><th scope="col">"Measured"</th><th scope="col">"Measured / predicted"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {match &r.layers {
            Some(layers) if !layers.is_empty() => layer_chart(layers).into_any(),
            _ => view! { <p class="hint">"No per-layer breakdown: this adapter has no timestamp queries."</p> }.into_any(),
        }}
    }
}

/// A timer quantum given in ns: `65.5 µs`, `16 ns`.
fn timer(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// How many layers the timer could not resolve, for the chart's caption.
fn unresolved_note(layers: &[LayerTime]) -> String {
    match layers.iter().filter(|l| l.unresolved).count() {
        0 => String::new(),
        n => format!("; {n} under the timer's resolution, their bars faint"),
    }
}

/// The per-layer times as horizontal bars, in execution order.
fn layer_chart(layers: &[LayerTime]) -> impl IntoView {
    let max = layers.iter().map(|l| l.median_ms).fold(0.0f64, f64::max).max(1e-9);
    let total: f64 = layers.iter().map(|l| l.median_ms).sum();
    let row_h = 14.0;
    let h = row_h * layers.len() as f64 + 4.0;
    let bars = layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let y = 2.0 + i as f64 * row_h;
            let w = (l.median_ms / max * 230.0).max(0.5);
            // A layer the timer cannot resolve is drawn faint and labelled so, not given a time.
            let (label, class) = if l.unresolved { ("below timer resolution".to_string(), "layer-bar unresolved") } else { (ms(l.median_ms), "layer-bar") };
            view! {
                <g>
                    <title>{format!("{}: {label}", l.name)}</title>
                    <text x="168" y={y + 10.0} text-anchor="end" class="layer-name">{l.name.clone()}</text>
                    <rect x="172" y={y + 1.0} width=format!("{w:.1}") height={row_h - 3.0} class=class></rect>
                    <text x={172.0 + w + 4.0} y={y + 10.0} class="layer-ms">{label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="layer-chart">
            <figcaption>{format!("Per-layer GPU time, {} layers in execution order (sum {}){}", layers.len(), ms(total), unresolved_note(layers))}</figcaption>
            <svg viewBox=format!("0 0 460 {h:.0}") role="img" aria-label="Per-layer time bar chart">{bars}</svg>
        </figure>
    }
}
