//! The Draw page's "Download ONNX" button: the drawn cell's network (the page's configuration,
//! NAS-Bench-101's) with the seeded weights `leti measure` runs, batch norm folded, as the same
//! file `leti export-onnx` writes for it, named `cell-<hash8>.onnx`.

use leptos::prelude::*;

use super::download::save_bytes;
use crate::engine::{onnx, MEASURE_SEED};
use crate::net::{build, NetConfig};
use crate::space::Cell;

/// The button; disabled while the text is not a valid cell. A failed download says why.
#[component]
pub fn OnnxDownload(cell: Signal<Option<Cell>>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let download = move |_| {
        let Some(cell) = cell.get_untracked() else { return };
        let bytes = onnx::export(&build(&cell, &NetConfig::default()), MEASURE_SEED);
        error.set(save_bytes(&onnx::file_name(&cell), "application/octet-stream", &bytes).err());
    };
    view! {
        <div class="buttons">
            <button class="onnx" on:click=download disabled=move || cell.with(Option::is_none)
                title="This network with the seeded weights the engine measures with (batch norm folded), ONNX opset 17">
                "Download ONNX"
            </button>
        </div>
        {move || error.get().map(|e| view! { <p class="error">{format!("The ONNX download failed: {e}")}</p> })}
    }
}
