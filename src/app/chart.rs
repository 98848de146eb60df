//! The live chart of the Measure page: measured latency against the network's MACs, both on log
//! scales, drawn on a canvas (anchors as filled squares, sampled cells as circles).

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::explore_plots::tick_label;

/// One measured cell on the chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub macs: f64,
    pub latency_ms: f64,
    pub anchor: bool,
}

/// Log-scale axis bounds covering `values` (rounded out to powers of ten).
pub fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (1.0, 10.0);
    }
    // A little room around the points before rounding out, so none sits on the frame.
    let (lo, hi) = ((lo / 1.25).log10().floor(), (hi * 1.25).log10().ceil());
    (10f64.powf(lo), 10f64.powf(if hi <= lo { lo + 1.0 } else { hi }))
}

/// Draws `text` centred on `x`, moved in as far as needed to stay within `0..width`.
pub fn fill_text_within(ctx: &CanvasRenderingContext2d, text: &str, x: f64, y: f64, width: f64) {
    let half = ctx.measure_text(text).map(|m| m.width() / 2.0).unwrap_or(0.0);
    ctx.set_text_align("center");
    let _ = ctx.fill_text(text, x.clamp(half + 1.0, (width - half - 1.0).max(half + 1.0)), y);
}

/// Draws `points` onto `canvas`, sized to its CSS box at the device's pixel ratio; with no
/// points, only a line saying where they will appear (no axes without data).
pub fn draw(canvas: &HtmlCanvasElement, points: &[Point]) {
    let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok()) else {
        return;
    };
    let dpr = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).max(1.0);
    let (w, h) = (canvas.client_width().max(1) as f64, canvas.client_height().max(1) as f64);
    canvas.set_width((w * dpr) as u32);
    canvas.set_height((h * dpr) as u32);
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, w, h);
    if points.is_empty() {
        ctx.set_font("13px system-ui, sans-serif");
        ctx.set_fill_style_str("#667085");
        ctx.set_text_align("center");
        let _ = ctx.fill_text("Measured cells will appear here.", w / 2.0, h / 2.0);
        return;
    }
    let (left, right, top, bottom) = (52.0, 10.0, 22.0, 34.0);
    let (pw, ph) = ((w - left - right).max(10.0), (h - top - bottom).max(10.0));
    let (x0, x1) = log_bounds(points.iter().map(|p| p.macs));
    let (y0, y1) = log_bounds(points.iter().map(|p| p.latency_ms));
    let sx = |v: f64| left + (v.log10() - x0.log10()) / (x1.log10() - x0.log10()) * pw;
    let sy = |v: f64| top + ph - (v.log10() - y0.log10()) / (y1.log10() - y0.log10()) * ph;

    ctx.set_font("12px system-ui, sans-serif");
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str("#d0d5dd");
    ctx.set_fill_style_str("#475467");
    let mut d = x0;
    while d <= x1 * 1.0001 {
        let x = sx(d);
        ctx.begin_path();
        ctx.move_to(x, top);
        ctx.line_to(x, top + ph);
        ctx.stroke();
        fill_text_within(&ctx, &tick_label(d), x, top + ph + 14.0, w);
        d *= 10.0;
    }
    let mut d = y0;
    while d <= y1 * 1.0001 {
        let y = sy(d);
        ctx.begin_path();
        ctx.move_to(left, y);
        ctx.line_to(left + pw, y);
        ctx.stroke();
        ctx.set_text_align("right");
        let _ = ctx.fill_text(&tick_label(d), left - 4.0, y + 4.0);
        d *= 10.0;
    }
    let _ = ctx.fill_text("ms", left - 4.0, top - 8.0);
    ctx.set_text_align("center");
    let _ = ctx.fill_text("MACs (multiply-accumulates per inference)", left + pw / 2.0, h - 4.0);

    for p in points.iter().filter(|p| p.macs > 0.0 && p.latency_ms > 0.0) {
        let (x, y) = (sx(p.macs), sy(p.latency_ms));
        if p.anchor {
            ctx.set_fill_style_str("#b54708");
            ctx.fill_rect(x - 4.0, y - 4.0, 8.0, 8.0);
        } else {
            ctx.set_fill_style_str("rgba(21, 94, 239, 0.75)");
            ctx.begin_path();
            let _ = ctx.arc(x, y, 3.5, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
    }
}
