//! The Measure page (the default route): WebGPU checks with explanations, the adapter found,
//! what will be sent and consent, the budget, the run's progress with a live chart, this
//! device's own model as it is learned ([`super::model_card`]), and this device's stored
//! records with upload state and downloads.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::chart::{self, Point};
use super::format::{duration, human_bytes};
pub use super::measure_runtime::provide_runtime;
use super::measure_runtime::{MeasureUi, Measuring, Summary};
use super::model_card::ModelCard;
use super::run_state::{Budget, RunState, RunStatus, COOL_DOWN_RATIO, QUICK_CAP_MS};
use super::settings;
use super::webgpu_check::{Adapter, WebGpuStatus};
use crate::engine::now_ms;
use crate::measure::anchors::ANCHOR_CODES;

#[component]
pub fn MeasurePage() -> impl IntoView {
    super::layout::page_title("Measure your GPU");
    let ui = expect_context::<MeasureUi>();
    let gpu_ready = Memo::new(move |_| matches!(ui.gpu.get(), Some(WebGpuStatus::Ready(_))));
    view! {
        <section class="card intro">
            <h1>"Measure this device"</h1>
            <p>"LETI runs small image-classification networks from the NAS-Bench-101 space on your GPU, one after the other, and times them. The timings teach a latency model of this GPU, here in the page, and, once uploaded, models for every device with the same GPU."</p>
        </section>
        {move || ui.notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        {move || ui.storage_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        // The sections keep their order; when a run starts, the page scrolls to it (RunCard).
        <GpuCard/>
        {move || gpu_ready.get().then(|| view! { <ContributeCard/> })}
        <RunCard/>
        <ModelCard/>
        <ResultsCard/>
    }
}

#[component]
fn GpuCard() -> impl IntoView {
    let ui = expect_context::<MeasureUi>();
    view! {
        <section class="card" aria-labelledby="gpu-h">
            <h2 id="gpu-h">"1. Your GPU"</h2>
            {move || match ui.gpu.get() {
                None => view! { <p role="status">"Checking WebGPU…"</p> }.into_any(),
                Some(WebGpuStatus::NotSecure { origin }) => view! {
                    <div class="error" role="alert">
                        <p><strong>"WebGPU needs a secure page."</strong>" This page was opened as "<code>{origin}</code>", which is plain HTTP on another machine. Browsers only offer WebGPU over HTTPS or on localhost."</p>
                        <p>"Start the server with "<code>"leti serve --tls"</code>" and open the https:// address it prints (accept the self-signed certificate), or open the page on the machine itself as "<code>"http://localhost"</code>"."</p>
                    </div>
                }.into_any(),
                Some(WebGpuStatus::NoApi) => view! {
                    <div class="error" role="alert">
                        <p><strong>"This browser has no WebGPU."</strong></p>
                        <p>"WebGPU is on by default in Chrome and Edge 113 or later on Windows, macOS and ChromeOS, in Chrome 121 or later on Android 12+ phones with recent Qualcomm or ARM GPUs, and in Safari 26 on iPhone, iPad and Mac. Firefox has it on Windows from version 141. On Linux and older phones it may be behind a flag (chrome://flags, \"Unsafe WebGPU Support\"). Update the browser or try another one."</p>
                    </div>
                }.into_any(),
                Some(WebGpuStatus::NoAdapter { detail }) => view! {
                    <div class="error" role="alert">
                        <p><strong>"WebGPU is there, but no GPU adapter is available."</strong>" ("{detail}")"</p>
                        <p>"Hardware acceleration may be switched off in the browser settings, or the browser may block this GPU. In Chrome, chrome://gpu shows why."</p>
                    </div>
                }.into_any(),
                Some(WebGpuStatus::CompatibilityOnly { shortfalls }) => compatibility_view(shortfalls).into_any(),
                Some(WebGpuStatus::Ready(a)) => adapter_view(a).into_any(),
            }}
        </section>
    }
}

/// A browser with only a compatibility-mode adapter: what it would take to measure there.
fn compatibility_view(shortfalls: Vec<String>) -> impl IntoView {
    let limits = if shortfalls.is_empty() {
        "Its limits would fit LETI's kernels".to_string()
    } else {
        format!("Its limits also fall short: {}", shortfalls.join("; "))
    };
    view! {
        <div class="error compat" role="alert">
            <p><strong>"This browser offers WebGPU only in compatibility mode"</strong>" (a GPU whose driver has OpenGL ES only)."</p>
            <p>{limits}", but LETI's engine cannot open a compatibility-mode device yet, so this device cannot measure. Draw and Explore work here."</p>
        </div>
    }
}

fn or_unknown(s: &str) -> String {
    if s.is_empty() {
        "not reported".into()
    } else {
        s.to_string()
    }
}

fn adapter_view(a: Adapter) -> impl IntoView {
    let ts = if a.timestamp_query {
        "yes: GPU-side timing; the resolution the browser allows is recorded with each measurement (Chrome rounds to 100 µs unless developer features are on)"
    } else {
        "no: wall-clock timing only (submit to completion)"
    };
    let f16 = if a.shader_f16 {
        "yes: networks are measured at f16, as phones deploy them (TFLite's GPU delegate, ONNX Runtime Web); f32 too if you allow it below"
    } else {
        "no: networks are measured at f32"
    };
    view! {
        <p class="ok" role="status">"WebGPU works here."</p>
        <dl class="facts">
            <dt>"Vendor"</dt><dd>{or_unknown(&a.info.vendor)}</dd>
            <dt>"Architecture"</dt><dd>{or_unknown(&a.info.architecture)}</dd>
            <dt>"Device"</dt><dd>{or_unknown(&a.info.device)}</dd>
            <dt>"Description"</dt><dd>{or_unknown(&a.info.description)}</dd>
            <dt>"Timestamp queries"</dt><dd>{ts}</dd>
            <dt>"Half precision ("<code>"shader-f16"</code>")"</dt><dd class="precision">{f16}</dd>
        </dl>
        {a.is_fallback.then(|| view! { <p class="notice">"This is a software adapter (the GPU is emulated on the CPU): its timings describe this computer's processor, not a graphics chip."</p> })}
        <details>
            <summary>"Limits that matter for our networks"</summary>
            <dl class="facts">
                {a.limits.into_iter().map(|(name, desc, v)| {
                    let value = if name.contains("Size") && !name.contains("WorkgroupSize") { human_bytes(v) } else { format!("{v}") };
                    view! { <dt>{desc}" ("<code>{name}</code>")"</dt><dd>{value}</dd> }
                }).collect_view()}
            </dl>
        </details>
    }
}

#[component]
fn ContributeCard() -> impl IntoView {
    let ui = expect_context::<MeasureUi>();
    let m = expect_context::<Measuring>();
    let ua = web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default();
    let hints = LocalResource::new(super::client_hints::client_hints);
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let busy = move || ui.looping.get() || ui.run.get().is_some_and(|r| r.status.is_open()) || !ui.loaded.get();
    let has_f16 = move || matches!(ui.gpu.get(), Some(WebGpuStatus::Ready(a)) if a.shader_f16);
    view! {
        <section class="card" aria-labelledby="contrib-h">
            <h2 id="contrib-h">"2. What is sent, and your consent"</h2>
            <label class="field">
                <span>"Device name (optional)"</span>
                <input type="text" maxlength=settings::MAX_LABEL_CHARS.to_string() placeholder="e.g. Pixel 7"
                    aria-describedby="label-help"
                    prop:value=move || ui.label.get()
                    on:change=move |ev| { let v = settings::clean_label(&event_target_value(&ev)); settings::set_device_label(&v); ui.label.set(v); }/>
            </label>
            <p id="label-help" class="help">"Helps tell devices apart when the browser reports little about the GPU. Do not enter anything personal."</p>
            <details open>
                <summary>"Each measurement record contains"</summary>
                <ul class="sent">
                    <li>"the network measured (its cell, hash, size and precision) and its timings (median, spread, number of runs; per-layer times when the GPU has timestamps)"</li>
                    <li>"the GPU adapter shown above"</li>
                    <li>"your browser's user agent: "<code class="ua">{ua}</code></li>
                    {move || hints.get().flatten().map(|h| view! {
                        <li>"the device model and OS your browser reports (User-Agent Client Hints), which tell phones with the same GPU apart: "<code class="hints">{super::client_hints::describe(&h)}</code></li>
                    })}
                    <li>"the device name above, if you give one"</li>
                    <li>"a random run id, the record's position in the run, the thermal ratio and GPU reset count, and whether the device was charging (where the browser tells)"</li>
                </ul>
                <p class="help">"Nothing else: no account, no location, no other identifiers."</p>
            </details>
            <label class="check">
                <input type="checkbox" prop:checked=move || ui.consent.get()
                    on:change=move |ev| { let v = event_target_checked(&ev); settings::set_consent(v); ui.consent.set(v); }/>
                <span>"Upload my measurements to "<code>{origin}</code>". Without this they stay on this device, and you can still download them."</span>
            </label>
            <fieldset class="budget" disabled=busy>
                <legend>"How long to measure"</legend>
                {Budget::ALL.into_iter().map(|b| view! {
                    <label class="radio">
                        <input type="radio" name="budget" value=b.key()
                            prop:checked=move || ui.budget.get() == b
                            on:change=move |_| ui.budget.set(b)/>
                        <span>{b.label()}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            {move || has_f16().then(|| view! {
                <label class="check">
                    <input type="checkbox" class="also-f32" prop:checked=move || ui.also_f32.get() disabled=busy
                        on:change=move |ev| { let v = event_target_checked(&ev); settings::set_also_f32(v); ui.also_f32.set(v); }/>
                    <span>"Also measure every cell at f32 (takes about twice as long). Each cell is measured at f16 first; f16 and f32 timings are kept apart, as two devices."</span>
                </label>
            })}
            {move || (ui.budget.get() != Budget::Quick && ui.charging.get() == Some(false)).then(|| view! {
                <p class="notice charger" role="status">"This device is on battery: plug in the charger for a long run. A phone on battery may slow its GPU to save power, and a long run drains it."</p>
            })}
            <p class="help">{format!("A run first measures {} anchor cells (the same on every device, so devices can be compared), then cells drawn at random from all 423,624; a cell this device has measured is never measured again. The first anchor is measured again every few cells to see whether the GPU slows down as it warms up.", ANCHOR_CODES.len())}</p>
            <button class="primary" disabled=busy on:click=move |_| m.start(ui.budget.get_untracked())>"Start measuring"</button>
        </section>
    }
}

/// What the run card says of the run's state.
fn status_text(run: &RunState, looping: bool, pause_requested: bool) -> String {
    match run.status {
        RunStatus::Running if pause_requested => "Finishing the GPU run in flight…".to_string(),
        RunStatus::Running if looping => "Measuring".to_string(),
        RunStatus::Running => "Interrupted".to_string(),
        RunStatus::Paused => "Paused".to_string(),
        RunStatus::Stopped => "Stopped".to_string(),
        RunStatus::Finished => "Finished".to_string(),
        RunStatus::Failed => format!("Failed: {}", run.error.clone().unwrap_or_default()),
    }
}

/// The time left, for an open run whose active time is `used_ms`.
fn eta_text(run: &RunState, used_ms: f64) -> String {
    match (run.remaining_ms_at(used_ms), run.cells_left_at(used_ms)) {
        (Some(ms), Some(n)) if run.status.is_open() => format!("about {} left (~{n} more cells)", duration(ms)),
        (Some(ms), None) if run.status.is_open() => format!("about {} left", duration(ms)),
        (None, _) => "no time limit: stop whenever you like".to_string(),
        _ => String::new(),
    }
}

/// What Quick does about the anchors on this adapter, once the time per MAC is known: it
/// stretches to finish them, or says it cannot within its cap.
fn quick_note(run: &RunState) -> Option<(&'static str, String)> {
    if run.budget != Budget::Quick || !run.status.is_open() || run.anchor_macs_left <= 0.0 {
        return None;
    }
    if let Some(need) = run.anchors_beyond_cap_ms() {
        return Some(("notice", format!(
            "At this GPU's speed the {} anchors need about {} in all, more than Quick's {} at most: the run will stop before they are done and no model of your GPU can be fitted. Stop and choose \"Until I stop it\" to finish them.",
            ANCHOR_CODES.len(),
            duration(need),
            duration(QUICK_CAP_MS)
        )));
    }
    let limit = run.limit_ms()?;
    (limit > Budget::Quick.limit_ms()? + 1_000.0)
        .then(|| ("help", format!("Quick runs until the {} anchors are done: about {} in all on this GPU.", ANCHOR_CODES.len(), duration(limit))))
}

fn thermal_text(run: &RunState) -> String {
    match run.thermal_ratio {
        Some(r) if r > COOL_DOWN_RATIO && run.cool_downs > 0 => {
            format!("{r:.2}× the starting time: the GPU has slowed down; {} cool-down pauses so far", run.cool_downs)
        }
        Some(r) if r > 1.1 => format!("{r:.2}× the starting time: the GPU has slowed down (thermal throttling likely)"),
        Some(r) => format!("{r:.2}× the starting time: no sign of throttling"),
        None if run.thermal_base_ms.is_some() => "baseline taken; compared again every few cells".to_string(),
        None => "measured at the start of the run".to_string(),
    }
}

/// Brings the run card into view and focuses its heading when a run starts.
fn scroll_to_run_on_start(ui: MeasureUi) {
    Effect::new(move |was: Option<bool>| {
        let looping = ui.looping.get();
        if looping && was == Some(false) {
            // After the card has rendered (the run state arrives in the same turn).
            gloo_timers::callback::Timeout::new(100, || {
                let heading = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("run-h"));
                if let Some(h) = heading {
                    h.parent_element().unwrap_or_else(|| h.clone()).scroll_into_view();
                    if let Ok(h) = h.dyn_into::<web_sys::HtmlElement>() {
                        let _ = h.focus();
                    }
                }
            })
            .forget();
        }
        looping
    });
}

/// The run's active time, ticking every second while a cell is being measured (the state
/// itself only changes when a cell ends).
fn ticking_active_ms(ui: MeasureUi) -> Signal<f64> {
    let now = RwSignal::new(now_ms());
    let ticker = gloo_timers::callback::Interval::new(1_000, move || now.set(now_ms()));
    // Dropped, and so stopped, with the component.
    StoredValue::new_local(ticker);
    let since = Memo::new(move |_| {
        ui.run.track();
        now_ms()
    });
    Signal::derive(move || {
        let Some(run) = ui.run.get() else { return 0.0 };
        let measuring = run.status == RunStatus::Running && ui.looping.get() && !ui.pause_requested.get();
        run.active_ms + if measuring { (now.get() - since.get()).max(0.0) } else { 0.0 }
    })
}

#[component]
fn RunCard() -> impl IntoView {
    let ui = expect_context::<MeasureUi>();
    let m = expect_context::<Measuring>();
    scroll_to_run_on_start(ui);
    let used = ticking_active_ms(ui);
    view! {
        {move || ui.run.get().map(|run| {
            let open = run.status.is_open();
            let looping = ui.looping.get();
            let (cells, run2, run3) = (run.next_sequence, run.clone(), run.clone());
            let limit = run.limit_ms();
            let pct = Signal::derive(move || run3.progress_at(used.get()).unwrap_or(0.0) * 100.0);
            view! {
                <section class="card" aria-labelledby="run-h">
                    <h2 id="run-h" tabindex="-1">"3. This run"</h2>
                    <p class="status" role="status" aria-live="polite"><strong>{status_text(&run, looping, ui.pause_requested.get())}</strong>
                        {move || format!(" · {cells} cells measured · {} used", duration(used.get()))}</p>
                    {limit.map(|_| view! {
                        <div class="bar" role="progressbar" aria-label="Budget used" aria-valuemin="0" aria-valuemax="100"
                            aria-valuenow=move || pct.get().round().to_string()>
                            <div class="fill" style=move || format!("width:{:.0}%", pct.get())></div>
                        </div>
                    })}
                    <p class="help">{move || eta_text(&run2, used.get())}</p>
                    {quick_note(&run).map(|(class, t)| view! { <p class=class>{t}</p> })}
                    {move || ui.resumed_from.get().map(|n| view! {
                        <p class="notice">{format!("The page was reloaded during this run; it resumes where it stopped ({n} cells of the run were already stored).")}</p>
                    })}
                    <dl class="facts">
                        {looping.then(|| view! { <dt>"Now"</dt><dd class="current">{move || ui.current.get().unwrap_or_else(|| "Starting…".into())}</dd> })}
                        <dt>"Anchor cells left"</dt><dd>{move || ui.anchors_left.get().to_string()}</dd>
                        <dt>"Thermal probe"</dt><dd>{thermal_text(&run)}</dd>
                        <dt>"GPU resets"</dt><dd>{run.device_lost_events.to_string()}</dd>
                    </dl>
                    {move || (!ui.wake.get().is_empty()).then(|| view! { <p class="help">{ui.wake.get()}</p> })}
                    <div class="buttons">
                        {(open && looping).then(|| view! { <button on:click=move |_| m.pause() disabled=move || ui.pause_requested.get()>"Pause"</button> })}
                        {(open && !looping).then(|| view! { <button class="primary" on:click=move |_| m.resume()>"Resume"</button> })}
                        {open.then(|| view! { <button class="danger" on:click=move |_| m.stop()>"Stop"</button> })}
                    </div>
                </section>
            }
        })}
    }
}

#[component]
fn ResultsCard() -> impl IntoView {
    let ui = expect_context::<MeasureUi>();
    let m = expect_context::<Measuring>();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let points =
        move || -> Vec<Point> { ui.records.with(|r| r.iter().map(|s| Point { macs: s.macs as f64, latency_ms: s.latency_ms, anchor: s.anchor }).collect()) };
    Effect::new(move |_| {
        let p = points();
        if let Some(c) = canvas.get() {
            chart::draw(&c, &p);
        }
    });
    // The canvas bitmap follows its CSS size: redraw when the window changes size.
    let resize = window_event_listener(leptos::ev::resize, move |_| {
        if let Some(c) = canvas.get_untracked() {
            chart::draw(&c, &untrack(points));
        }
    });
    on_cleanup(move || resize.remove());
    let latest = move || ui.records.with(|r| r.iter().rev().take(8).cloned().collect::<Vec<Summary>>());
    view! {
        <section class="card" aria-labelledby="res-h">
            <h2 id="res-h">"Measured on this device"</h2>
            <canvas node_ref=canvas class="chart" role="img"
                aria-label=move || format!("Chart of latency against MACs for {} measured cells", ui.records.with(Vec::len))></canvas>
            <p class="legend"><span class="sq"></span>" anchor cell  "<span class="dot"></span>" sampled cell"</p>
            <p class="counts" role="status" aria-live="polite">{move || {
                let c = ui.counts.get();
                format!("{} stored on this device · {} uploaded · {} waiting to upload{}", c.pending + c.uploaded + c.rejected, c.uploaded, c.pending,
                    if c.rejected > 0 { format!(" · {} refused by the server", c.rejected) } else { String::new() })
            }}</p>
            {move || (!ui.upload.get().is_empty()).then(|| view! { <p class="help">{ui.upload.get()}</p> })}
            {move || (ui.counts.get().rejected > 0).then(|| view! { <button on:click=move |_| m.rejected_reasons()>"Why were records refused?"</button> })}
            <div class="buttons">
                <button on:click=move |_| m.download(false)>"Download JSONL"</button>
                <button on:click=move |_| m.download(true)>"Download CSV"</button>
            </div>
            {move || (!ui.records.with(Vec::is_empty)).then(|| view! {
                <table class="latest">
                    <caption>"Latest cells"</caption>
                    <thead><tr><th scope="col">"Cell hash"</th><th scope="col">"MACs"</th><th scope="col">"Latency"</th></tr></thead>
                    <tbody>
                        {latest().into_iter().map(|s| view! {
                            <tr>
                                <td><code>{s.hash[..8].to_string()}</code>{s.anchor.then_some(" (anchor)")}</td>
                                <td>{format!("{:.0} M", s.macs as f64 / 1e6)}</td>
                                <td>{format!("{:.1} ms", s.latency_ms)}{(!s.precision.is_f32()).then(|| format!(" ({})", s.precision.as_str()))}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
