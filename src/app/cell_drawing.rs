//! The Draw page's touch and mouse editor: the cell drawn as an SVG DAG (vertices in
//! topological order, in a row on wide windows and in a column on narrow ones, so that each
//! stays a 44 px tap target; forward edges as arrows and arcs), tap a vertex to select it
//! (then set its op or remove it), tap a second vertex to toggle the edge between them, add
//! vertices, start over. Vertices that pruning removes are drawn faded and dashed. Edits go
//! through [`super::cell_editor::Draft`] and are written back to the page's JSON text.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::cell_editor::{op_name, short_label, tap, verdict, Draft, TapOutcome, Verdict};
use super::format::spec_json;
use crate::space::{CellSpec, Op};

const R: f64 = 28.0;

/// Where the drawing's vertices go: in a row, left to right (wide screens), or in a column,
/// top to bottom (narrow ones, so that a vertex stays a 44 px tap target down to 320 px).
/// Positions are stated along the row or column and off its base line, on the side the arcs
/// of longer edges bulge to (up for a row, right for a column).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub vertical: bool,
}

impl Layout {
    /// Below this window width (CSS px) the drawing is a column.
    pub const NARROW_PX: f64 = 480.0;
    /// Length of the row or column of vertices, in drawing units.
    const ALONG: f64 = 480.0;
    /// The row's base line (y), or the column's (x).
    const BASE_ROW: f64 = 206.0;
    const BASE_COLUMN: f64 = 62.0;

    pub fn for_width(px: f64) -> Layout {
        Layout { vertical: px < Self::NARROW_PX }
    }

    /// The SVG view box.
    pub fn view_box(self) -> String {
        if self.vertical {
            format!("0 0 236 {}", Self::ALONG)
        } else {
            format!("0 0 {} 262", Self::ALONG)
        }
    }

    /// Position of vertex `v` of `n` along the row or column.
    fn along(self, v: usize, n: usize) -> f64 {
        let n = n.max(2);
        32.0 + v as f64 * (Self::ALONG - 64.0) / (n - 1) as f64
    }

    /// The SVG point `off` units from the base line at `along`.
    fn point(self, along: f64, off: f64) -> (f64, f64) {
        if self.vertical {
            (Self::BASE_COLUMN + off, along)
        } else {
            (along, Self::BASE_ROW - off)
        }
    }

    /// The centre of vertex `v` of `n`.
    pub fn centre(self, v: usize, n: usize) -> (f64, f64) {
        self.point(self.along(v, n), 0.0)
    }

    /// Where vertex `v`'s index is written: under it in a row, left of it in a column.
    fn index_at(self, v: usize, n: usize) -> (f64, f64) {
        let (x, y) = self.centre(v, n);
        if self.vertical {
            (x - R - 14.0, y + 4.0)
        } else {
            (x, y + R + 16.0)
        }
    }

    /// The SVG path of the edge `a -> b`: a straight arrow between neighbours, an arc (bulging
    /// further for longer jumps) otherwise.
    fn edge_path(self, a: usize, b: usize, n: usize) -> String {
        let (la, lb) = (self.along(a, n), self.along(b, n));
        let p = |along, off| {
            let (x, y) = self.point(along, off);
            format!("{x:.1},{y:.1}")
        };
        if b == a + 1 {
            format!("M{} L{}", p(la + R, 0.0), p(lb - R - 4.0, 0.0))
        } else {
            let bulge = 1.2 * R + 44.0 * (b - a) as f64;
            format!("M{} Q{} {}", p(la + R * 0.5, R * 0.8), p((la + lb) / 2.0, bulge), p(lb - R * 0.5, R * 0.8 + 5.0))
        }
    }
}

/// Puts the keyboard focus back on vertex `v` once the drawing has re-rendered (after an op
/// choice, so that focus stays in the editor rather than falling to the page).
fn focus_vertex(v: usize) {
    gloo_timers::callback::Timeout::new(0, move || {
        let el = web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector(&format!("svg.cell-drawing [data-vertex=\"{v}\"]")).ok().flatten());
        if let Some(el) = el {
            if let Ok(focus) = js_sys::Reflect::get(&el, &"focus".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
                let _ = focus.call0(&el);
            }
        }
    })
    .forget();
}

/// The edges as SVG paths, faded where an end is pruned away.
fn edges_view(d: &Draft, pruned: &[usize], layout: Layout) -> impl IntoView {
    let n = d.num_vertices();
    d.edges()
        .into_iter()
        .map(|(a, b)| {
            let faded = pruned.contains(&a) || pruned.contains(&b);
            view! {
                <path class=if faded { "edge pruned" } else { "edge" } d=layout.edge_path(a, b, n) marker-end="url(#arrow)">
                    <title>{format!("edge {a} → {b}")}</title>
                </path>
            }
        })
        .collect_view()
}

/// Vertex `v` as a focusable SVG button that `on_vertex` handles (click, Enter or Space).
fn vertex_view(d: &Draft, v: usize, layout: Layout, pruned: bool, selected: bool, on_vertex: impl Fn(usize) + Copy + 'static) -> impl IntoView {
    let (op, n) = (d.op(v), d.num_vertices());
    let mut class = format!("vertex op-{}", short_label(op).replace('×', "x"));
    if pruned {
        class.push_str(" pruned");
    }
    if selected {
        class.push_str(" selected");
    }
    let label = format!("vertex {v}: {}{}{}", op_name(op), if pruned { ", removed by pruning" } else { "" }, if selected { ", selected" } else { "" });
    let (x, y) = layout.centre(v, n);
    let (ix, iy) = layout.index_at(v, n);
    view! {
        <g class=class data-vertex=v.to_string() role="button" tabindex="0" aria-label=label
            on:click=move |ev| { ev.stop_propagation(); on_vertex(v) }
            on:keydown=move |ev| if ev.key() == "Enter" || ev.key() == " " { ev.prevent_default(); on_vertex(v) }>
            <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r=R></circle>
            <text x=format!("{x:.1}") y=format!("{:.1}", y + 5.0) text-anchor="middle">{short_label(op)}</text>
            <text class="index" x=format!("{ix:.1}") y=format!("{iy:.1}") text-anchor="middle">{v.to_string()}</text>
        </g>
    }
}

/// An edit of the draft: its result message, or why it was refused.
type EditFn<'a> = &'a dyn Fn(&mut Draft) -> Result<String, String>;

/// The buttons under the drawing: the selected interior vertex's ops and removal, or adding a
/// vertex and starting over when none is selected.
fn actions_view(
    d: &Draft,
    interior: Option<usize>,
    edit: impl Fn(EditFn) + Copy + 'static,
    selected: RwSignal<Option<usize>>,
    start_over: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let n = d.num_vertices();
    let ops = interior.map(|v| {
        let current = d.op(v);
        view! {
            {Op::INTERIOR.into_iter().map(|op| view! {
                <button class:chosen={current == op} on:click=move |_| {
                    edit(&|d| d.set_op(v, op).map(|_| format!("Vertex {v} is now {}.", op_name(op))).map_err(|e| e.to_string()));
                    selected.set(None);
                    focus_vertex(v);
                }>{op_name(op)}</button>
            }).collect_view()}
            <button class="danger" on:click=move |_| {
                edit(&|d| d.remove_vertex(v).map(|_| format!("Vertex {v} removed.")).map_err(|e| e.to_string()));
                selected.set(None);
            }>"Remove vertex"</button>
        }
    });
    let whole = interior.is_none().then(|| {
        view! {
            <button disabled={n >= crate::space::MAX_VERTICES} on:click=move |_| {
                edit(&|d| d.add_vertex(Op::Conv3x3).map(|v| format!("Vertex {v} (conv 3×3) added before the output: tap it, then another vertex, to connect it.")).map_err(|e| e.to_string()));
            }>"Add vertex"</button>
            <button on:click=move |_| start_over()>"Start over"</button>
        }
    });
    view! {
        <div class="buttons editor-actions" role="group" aria-label="Edit the selected vertex">
            {ops}
            {whole}
        </div>
    }
}

/// The editor for the spec in `text`.
#[component]
pub fn CellDrawing(text: RwSignal<String>) -> impl IntoView {
    let draft =
        Memo::new(move |_| text.with(|t| CellSpec::from_json_str(t).map_err(|e| e.to_string()).and_then(|s| Draft::from_spec(&s).map_err(|e| e.to_string()))));
    // The last draft the text held, kept while the JSON is broken so the drawing stays.
    let last_ok = Memo::new(move |prev: Option<&Option<Draft>>| match draft.get() {
        Ok(d) => Some(d),
        Err(_) => prev.cloned().flatten(),
    });
    let selected = RwSignal::new(None::<usize>);
    let message = RwSignal::new(None::<String>);
    // The selection of a vertex that no longer exists (the JSON was edited) is dropped.
    let current = move || {
        let n = last_ok.with(|d| d.as_ref().map(|d| d.num_vertices()).unwrap_or(0));
        selected.get().filter(|&v| v < n)
    };
    let edit = move |f: EditFn| {
        let Some(mut d) = last_ok.get_untracked() else { return };
        match f(&mut d).map(|msg| (msg, verdict(&d))) {
            Ok((_, Verdict::Refused(why))) => message.set(Some(format!("Not done: {why}. The cell is unchanged."))),
            Ok((msg, v)) => {
                text.set(spec_json(&d.to_spec()));
                message.set(Some(match v {
                    Verdict::Incomplete(why) => format!("{msg} Not a valid cell yet: {why}."),
                    _ => msg,
                }));
            }
            Err(e) => message.set(Some(e)),
        }
    };
    let start_over = move || {
        selected.set(None);
        text.set(spec_json(&Draft::minimal().to_spec()));
        message.set(Some("Started over: input joined to output.".into()));
    };
    // Escape cancels a selection (on the window: the drawing re-renders as the selection changes).
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && selected.try_get_untracked().flatten().is_some() {
            selected.set(None);
            message.set(Some("Selection cancelled.".into()));
        }
    });
    // A column of vertices on narrow windows, a row on wide ones.
    let width = || web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|w| w.as_f64()).unwrap_or(Layout::NARROW_PX);
    let layout = RwSignal::new(Layout::for_width(width()));
    let resize = window_event_listener(leptos::ev::resize, move |_| {
        let l = Layout::for_width(width());
        if layout.try_get_untracked().is_some_and(|cur| cur != l) {
            layout.set(l);
        }
    });
    on_cleanup(move || {
        escape.remove();
        resize.remove();
    });
    let on_vertex = move |v: usize| match tap(current(), v) {
        TapOutcome::Selected(v) => {
            selected.set(Some(v));
            focus_vertex(v);
            message.set(Some(format!(
                "Vertex {v} selected: tap another vertex to add or remove the edge between them{}.",
                if last_ok.with_untracked(|d| d.as_ref().is_some_and(|d| v > 0 && v + 1 < d.num_vertices())) { ", or choose its op below" } else { "" }
            )));
        }
        TapOutcome::Deselected => {
            selected.set(None);
            message.set(None);
        }
        TapOutcome::ToggleEdge(a, b) => {
            selected.set(None);
            focus_vertex(b);
            edit(&|d| {
                let on = d.toggle_edge(a, b).map_err(|e| e.to_string())?;
                let (from, to) = (a.min(b), a.max(b));
                Ok(if on { format!("Edge {from} → {to} added.") } else { format!("Edge {from} → {to} removed.") })
            });
        }
    };
    view! {
        {move || match last_ok.get() {
            // Nothing valid yet (a broken shared link): Start over still works.
            None => view! {
                <div class="buttons editor-actions"><button on:click=move |_| start_over()>"Start over"</button></div>
            }.into_any(),
            Some(d) => {
                let (n, pruned, sel) = (d.num_vertices(), d.pruned_away(), current());
                let layout = layout.get();
                let vertices = (0..n).map(|v| vertex_view(&d, v, layout, pruned.contains(&v), sel == Some(v), on_vertex)).collect_view();
                view! {
                    <svg class="cell-drawing" class:stale=move || draft.with(|d| d.is_err()) viewBox=layout.view_box() class:vertical=layout.vertical role="group" aria-label="Cell drawing: tap a vertex, then another to toggle the edge between them; Escape cancels a selection"
                        on:click=move |_| { selected.set(None); }>
                        <defs>
                            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                                <path d="M0,0 L10,5 L0,10 z" class="arrowhead"></path>
                            </marker>
                        </defs>
                        {edges_view(&d, &pruned, layout)}
                        {vertices}
                    </svg>
                    {actions_view(&d, sel.filter(|&v| v > 0 && v + 1 < n), edit, selected, start_over)}
                }.into_any()
            }
        }}
        <p class="hint" role="status" aria-live="polite">{move || message.get().unwrap_or_else(|| "Tap a vertex to choose its op or remove it; tap two vertices to add or remove the edge between them (edges always run from the lower number to the higher).".into())}</p>
    }
}
