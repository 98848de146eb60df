//! Explore's accuracy section: with NAS-Bench-101's trained accuracies loaded
//! ([`super::nasbench_data`]), test error (1 - mean test accuracy at 108 epochs, log scale)
//! against predicted latency for every shown cell, the Pareto front of the most accurate cell
//! at each latency, and "the most accurate cell under X ms" for a latency picked on a slider.
//! Without them, one line on how to get the file, and a file picker.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::explore_data::{capacity_front, largest_under, LogAxis};
use super::explore_page::Explore;
use super::explore_plots::Frame;
use super::explore_pointer::{PlotAxes, PointablePlot};
use super::format::ms;
use super::nasbench_data::{NasbenchData, NasbenchState, SHOWN_EPOCHS};

/// Steps of the latency slider (log-spaced over the latency axis).
const SLIDER_STEPS: u32 = 1000;

/// Reads the file the user picked and hands it to the page's accuracies.
fn on_pick(nb: NasbenchData, ev: leptos::ev::Event) {
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    let name = file.name();
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
            Ok(buf) => nb.open(name, js_sys::Uint8Array::new(&buf).to_vec()),
            Err(_) => nb.open_error.set(Some(format!("{name} could not be read"))),
        }
    });
}

/// The file picker, with the last opening error.
#[component]
fn PickFile(nb: NasbenchData) -> impl IntoView {
    view! {
        <label class="field inline">
            <span>"Open an accuracy file (nb101.bin)"</span>
            <input id="nasbench-file" type="file" accept=".bin,application/octet-stream" on:change=move |ev| on_pick(nb, ev)/>
        </label>
        {move || nb.open_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// The section: the plot and the answer when accuracies are loaded, how to get them otherwise.
#[component]
pub fn AccuracySection(st: Explore) -> impl IntoView {
    let nb = expect_context::<NasbenchData>();
    nb.ensure();
    // The front, once per prediction, filter and file (the slider only reads it), and how long
    // it took (a data attribute the e2e test prints; the page shows no timings).
    let front_ms = RwSignal::new(None::<f64>);
    let front = Memo::new(move |_| -> Option<Arc<Vec<u32>>> {
        let (Some(Ok(p)), Some(idx), Some(a)) = (st.prediction.get(), st.shown.get(), st.accuracy.get()) else { return None };
        let t0 = crate::engine::now_ms();
        let f = Arc::new(a.front(&p.latency, &idx));
        front_ms.set(Some(crate::engine::now_ms() - t0));
        Some(f)
    });
    view! {
        <section class="card" aria-labelledby="accuracy-h" data-front-ms=move || front_ms.get().map(|t| format!("{t:.0}"))
            data-parse-ms=move || nb.ready().map(|l| format!("{:.0}", l.parse_ms))>
            <h2 id="accuracy-h">"Accuracy against latency"</h2>
            {move || match nb.state.get() {
                NasbenchState::Idle | NasbenchState::Loading => view! { <p role="status">"Looking for NAS-Bench-101 accuracies…"</p> }.into_any(),
                NasbenchState::Absent => view! {
                    <p class="hint no-accuracy">"No NAS-Bench-101 accuracies here yet: download the dataset's nasbench_only108.tfrecord (0.5 GB, from the NAS-Bench-101 project), run "<code>"leti nasbench import nasbench_only108.tfrecord --out nb101.bin"</code>", then open nb101.bin below (this browser keeps it) or serve it with "<code>"leti serve --nasbench nb101.bin"</code>"."</p>
                }.into_any(),
                NasbenchState::Failed(e) => view! { <p class="error" role="alert">{format!("The accuracies could not be loaded: {e}")}</p> }.into_any(),
                NasbenchState::Ready(l) => view! {
                    {move || (st.accuracy.with(|a| a.is_none()) && st.space.with(|s| matches!(s, Some(Ok(_))))).then(|| view! {
                        <p class="error" role="alert">"This accuracy file lists other cells than this page's space file: import it again with this version of leti."</p>
                    })}
                    <p class="hint">{format!("Test error (1 − mean test accuracy of the dataset's training runs at {SHOWN_EPOCHS} epochs, log scale) against predicted latency, from {}. In red, the Pareto front: no cell is both faster and more accurate.", l.source)}</p>
                    <AccuracyPlot st=st front=front/>
                    <BestUnder st=st front=front/>
                }.into_any(),
            }}
            <PickFile nb=nb/>
        </section>
    }
}

/// The density plot with its front.
#[component]
fn AccuracyPlot(st: Explore, front: Memo<Option<Arc<Vec<u32>>>>) -> impl IntoView {
    let node = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let (Some(el), Some(Ok(p)), Some(idx), Some(a), Some(f)) = (node.get(), st.prediction.get(), st.shown.get(), st.accuracy.get(), front.get()) else {
            return;
        };
        let Some(fr) = Frame::new(&el) else { return };
        fr.density(&p.latency, &a.error, &idx, p.axis, a.error_axis);
        fr.axes(p.axis, a.error_axis, "Predicted latency (ms, log)", "error");
        fr.polyline(&p.latency, &a.error, &f, p.axis, a.error_axis, "#d92d20");
        if a.covered(&idx) == 0 {
            fr.message("No shown cell has an accuracy in the file.");
        }
    });
    view! {
        <PointablePlot st=st node=node axes=PlotAxes::LatencyError id="plot-accuracy" label="Density plot of test error against predicted latency with the Pareto front"/>
    }
}

/// The slider and its answer: the most accurate shown cell predicted at or under the latency.
#[component]
fn BestUnder(st: Explore, front: Memo<Option<Arc<Vec<u32>>>>) -> impl IntoView {
    let nb = expect_context::<NasbenchData>();
    let step = RwSignal::new(SLIDER_STEPS / 2);
    let budget =
        Memo::new(move |_| st.prediction.with(|p| p.as_ref().and_then(|p| p.as_ref().ok()).map(|p| p.axis.at(step.get() as f64 / SLIDER_STEPS as f64))));
    let answer = move || {
        let (Some(Ok(s)), Some(Ok(p)), Some(f), Some(b), Some(l)) = (st.space.get(), st.prediction.get(), front.get(), budget.get(), nb.ready()) else {
            return None;
        };
        let best = largest_under(&f, &p.latency, b as f32);
        Some(match best.and_then(|i| l.mean(i as usize).map(|m| (i, m))) {
            None => view! { <p id="best-under">{format!("No shown cell with an accuracy is predicted under {}.", ms(b))}</p> }.into_any(),
            Some((i, m)) => {
                let (name, href) = (format!("cell {}", s.short_name(i)), s.draw_href(i));
                view! {
                    <p id="best-under">{format!("Most accurate under {}: ", ms(b))}<a href=href><code>{name}</code></a>
                        {format!(", {:.2}% test accuracy ({:.2}% validation, mean of {} runs), predicted {}.", 100.0 * m.test_accuracy, 100.0 * m.validation_accuracy, m.repeats, ms(p.latency[i as usize] as f64))}</p>
                }.into_any()
            }
        })
    };
    view! {
        <label class="field">
            <span>{move || budget.get().map_or_else(|| "Latency budget".to_string(), |b| format!("Latency budget: {}", ms(b)))}</span>
            <input id="latency-budget" type="range" min="0" max=SLIDER_STEPS.to_string() prop:value=move || step.get().to_string()
                on:input=move |ev| if let Ok(v) = event_target_value(&ev).parse() { step.set(v) }/>
        </label>
        <div role="status" aria-live="polite">{answer}</div>
    }
}

/// Test error of every cell, with its axis: what the accuracy plot shows.
#[derive(PartialEq)]
pub struct AccuracyView {
    /// 1 - mean test accuracy (NaN where the file lacks the cell).
    pub error: Vec<f32>,
    /// Mean test accuracy (NaN likewise): what the front maximises; the loaded file's column.
    pub test: Arc<[f32]>,
    pub error_axis: LogAxis,
}

impl AccuracyView {
    pub fn new(test: Arc<[f32]>) -> AccuracyView {
        let error: Vec<f32> = test.iter().map(|t| 1.0 - t).collect();
        let finite: Vec<f32> = error.iter().copied().filter(|e| e.is_finite() && *e > 0.0).collect();
        AccuracyView { error_axis: LogAxis::covering(&finite), error, test }
    }

    /// The shown cells no other beats on both: at least as fast and at least as accurate.
    pub fn front(&self, latency: &[f32], idx: &[u32]) -> Vec<u32> {
        capacity_front(&self.test, latency, idx)
    }

    /// Shown cells with an accuracy.
    pub fn covered(&self, idx: &[u32]) -> usize {
        idx.iter().filter(|&&i| self.test[i as usize].is_finite()).count()
    }
}
