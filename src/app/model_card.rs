//! The Measure page's card of this device's own model: how many cells it is fitted on, its
//! prospective accuracy (cells measured after each fit, predicted before the model learned
//! from them), how it was chosen, and "Download model" (the model file `leti predict --model`
//! reads).

use leptos::prelude::*;

use super::device_model::{self, DeviceModels, OwnModel, MIN_CELLS};
use super::download;
use super::format::pct;

/// The headline: cells and prospective accuracy, in words.
pub fn headline(m: &OwnModel) -> String {
    let n = m.saved.fit.n_cells;
    let t = m.saved.tally;
    match t.share() {
        Some(s) => format!("Your GPU's model: {n} cells, {} of the {} cells measured after it was fitted were within ±10%", pct(s), t.checked),
        None => {
            format!("Your GPU's model: {n} cells. Its accuracy appears as more cells are measured: each new cell is predicted before the model learns from it.")
        }
    }
}

fn download_model(m: &OwnModel, status: RwSignal<String>) {
    let name = device_model::file_name(&m.saved.device);
    if let Err(e) = download::save_text(&name, "application/json", &m.saved.fit.model_json) {
        status.set(format!("The download failed: {e}"));
    }
}

#[component]
pub fn ModelCard() -> impl IntoView {
    let ctx = expect_context::<DeviceModels>();
    let shown = move || ctx.own.with(Option::is_some) || ctx.cells.get() > 0 || !ctx.status.get().is_empty();
    view! {
        {move || shown().then(|| view! {
            <section class="card model-card" aria-labelledby="model-h">
                <h2 id="model-h">"Your GPU's own model"</h2>
                {move || match ctx.own.get() {
                    None => view! {
                        <p class="status" role="status">{format!("It is fitted once the {MIN_CELLS} anchor cells are measured ({} of {MIN_CELLS} so far), and again after every new cell.", ctx.cells.get().min(MIN_CELLS))}</p>
                    }.into_any(),
                    Some(m) => own_view(m, ctx.status).into_any(),
                }}
                {move || (!ctx.status.get().is_empty()).then(|| view! { <p class="help" role="status">{ctx.status.get()}</p> })}
            </section>
        })}
    }
}

fn own_view(m: OwnModel, status: RwSignal<String>) -> impl IntoView {
    let line = headline(&m);
    let in_sample = m
        .saved
        .fit
        .cv_within_10
        .map(|s| format!(" Cross-validated on its own training cells (an in-sample estimate, not the accuracy above): {} within ±10%.", pct(s)));
    let how = format!("Chosen fit: {}.{}", m.saved.fit.method, in_sample.unwrap_or_default());
    view! {
        <p class="model-line" role="status" aria-live="polite"><strong>{line}</strong></p>
        <p class="help">"Draw and Explore list it first, as this device's. "{how}</p>
        <div class="buttons">
            <button on:click=move |_| download_model(&m, status)>"Download model"</button>
        </div>
        <p class="help">"A model file for "<code>"leti predict --model FILE"</code>"."</p>
    }
}
