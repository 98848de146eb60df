//! Pointing at the cells of an Explore plot: with a mouse, hovering shows the cell under the
//! pointer (hash, MACs, parameters, predicted latency) and a click opens it in Draw; on a touch
//! screen, a long press (half a second, finger still) shows it and a tap opens it. A click or
//! tap on empty space does nothing. The cell is the shown cell nearest the pointer within a
//! fingertip's reach ([`super::explore_data::nearest`]).

use leptos::html::Canvas;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::explore_data::{nearest, LogAxis, PlotArea};
use super::explore_page::Explore;
use super::explore_plots::{BOTTOM, LEFT, RIGHT, TOP};
use super::format::{ms, thousands};

/// How near (CSS pixels) the pointer must be to a shown cell to point at it.
const REACH_PX: f64 = 16.0;
/// How long a finger must stay down, still, to show the cell under it (ms).
const LONG_PRESS_MS: u32 = 500;
/// How far a finger may drift during a long press (CSS pixels).
const STILL_PX: f64 = 10.0;

/// What a plot's axes show: predicted latency against MACs or parameters, or test error
/// against predicted latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotAxes {
    MacsLatency,
    ParamsLatency,
    LatencyError,
}

/// The cell pointed at and where (CSS pixels in the canvas).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pointed {
    cell: u32,
    x: f64,
    y: f64,
}

/// The shown cell nearest the canvas point `(ox, oy)`, within reach.
fn cell_at(st: Explore, el: &web_sys::HtmlCanvasElement, axes: PlotAxes, ox: f64, oy: f64) -> Option<u32> {
    let (Some(Ok(p)), Some(Ok(c)), Some(idx)) = (st.prediction.get_untracked(), st.costs.get_untracked(), st.shown.get_untracked()) else { return None };
    let acc = st.accuracy.get_untracked();
    let (xs, x, ys, y): (&[f32], LogAxis, &[f32], LogAxis) = match axes {
        PlotAxes::MacsLatency => (&c.macs, c.macs_axis, &p.latency, p.axis),
        PlotAxes::ParamsLatency => (&c.params, c.params_axis, &p.latency, p.axis),
        PlotAxes::LatencyError => {
            let a = acc.as_ref()?;
            (&p.latency, p.axis, &a.error, a.error_axis)
        }
    };
    let (w, h) = (el.client_width() as f64 - LEFT - RIGHT, el.client_height() as f64 - TOP - BOTTOM);
    nearest(xs, ys, &idx, PlotArea { x, y, w, h }, ox - LEFT, oy - TOP, REACH_PX)
}

/// What the card says of cell `i`.
fn describe(st: Explore, i: u32) -> Option<(String, String)> {
    let (Some(Ok(s)), Some(Ok(p)), Some(Ok(c))) = (st.space.get_untracked(), st.prediction.get_untracked(), st.costs.get_untracked()) else { return None };
    let name = format!("cell {}", s.short_name(i));
    let accuracy = st.accuracy.get_untracked().map(|a| a.test[i as usize]).filter(|t| t.is_finite());
    let facts = format!(
        "{} MACs · {} parameters · predicted {}{}",
        thousands(c.macs[i as usize] as u64),
        thousands(c.params[i as usize] as u64),
        ms(p.latency[i as usize] as f64),
        accuracy.map_or_else(String::new, |t| format!(" · {:.2}% test accuracy", 100.0 * t))
    );
    Some((name, facts))
}

/// A plot canvas whose cells can be pointed at and opened in Draw.
#[component]
pub fn PointablePlot(st: Explore, node: NodeRef<Canvas>, axes: PlotAxes, id: &'static str, label: &'static str) -> impl IntoView {
    let pointed = RwSignal::new(None::<Pointed>);
    // The long press in progress: its timer and where the finger went down.
    let press = StoredValue::new_local(None::<(gloo_timers::callback::Timeout, f64, f64)>);
    // Set by a long press, so that lifting the finger does not also open the cell.
    let swallow_click = StoredValue::new(false);
    let point = move |ox: f64, oy: f64| {
        let cell = node.get_untracked().and_then(|el| cell_at(st, &el, axes, ox, oy));
        pointed.set(cell.map(|cell| Pointed { cell, x: ox, y: oy }));
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        let (ox, oy) = (ev.offset_x() as f64, ev.offset_y() as f64);
        if ev.pointer_type() == "mouse" {
            point(ox, oy);
        } else if press.with_value(|p| p.as_ref().is_some_and(|(_, x0, y0)| (ox - x0).hypot(oy - y0) > STILL_PX)) {
            press.set_value(None);
        }
    };
    let on_down = move |ev: web_sys::PointerEvent| {
        // A long press may end without a click (the browser's own long-press gesture): each
        // press starts afresh.
        swallow_click.set_value(false);
        if ev.pointer_type() == "mouse" {
            return;
        }
        let (ox, oy) = (ev.offset_x() as f64, ev.offset_y() as f64);
        let timer = gloo_timers::callback::Timeout::new(LONG_PRESS_MS, move || {
            swallow_click.set_value(true);
            point(ox, oy);
        });
        press.set_value(Some((timer, ox, oy)));
    };
    let navigate = use_navigate();
    let on_click = move |ev: web_sys::MouseEvent| {
        if std::mem::take(&mut *swallow_click.write_value()) {
            return;
        }
        let Some(el) = node.get_untracked() else { return };
        let Some(i) = cell_at(st, &el, axes, ev.offset_x() as f64, ev.offset_y() as f64) else { return };
        let Some(Ok(s)) = st.space.get_untracked() else { return };
        navigate(&s.draw_href(i), Default::default());
    };
    // A new prediction or filter moves the cells: the card would describe a stale point.
    Effect::new(move |_| {
        st.shown.track();
        pointed.set(None);
    });
    view! {
        <div class="plot-wrap">
            <canvas node_ref=node class="plot big" id=id role="img" aria-label=label
                on:pointermove=on_move
                on:pointerdown=on_down
                on:pointerup=move |_| press.set_value(None)
                on:pointercancel=move |_| press.set_value(None)
                on:pointerleave=move |ev: web_sys::PointerEvent| if ev.pointer_type() == "mouse" { pointed.set(None) }
                on:contextmenu=move |ev: web_sys::MouseEvent| ev.prevent_default()
                on:click=on_click></canvas>
            {move || pointed.get().and_then(|p| {
                let (name, facts) = describe(st, p.cell)?;
                let width = node.get_untracked().map_or(320.0, |el| el.client_width() as f64);
                let style = format!("left:{:.0}px;top:{:.0}px", (p.x + 12.0).min(width - 230.0).max(0.0), p.y + 14.0);
                Some(view! {
                    <div class="pointed" role="status" style=style>
                        <strong>{name}</strong><br/>{facts}<br/><span class="help">"Click or tap the point to open it in Draw."</span>
                    </div>
                })
            })}
        </div>
    }
}
