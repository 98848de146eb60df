//! The Explore page's canvases: a density-shaded scatter (every cell binned into the plot's
//! device pixels, log-scaled counts, so 423k points draw in one image), with an optional
//! highlighted polyline or marked cells on top; and the latency histogram. Layout constants
//! are shared with the click handler through [`Frame`].

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::chart::fmt_tick;
use super::explore_data::{bin_grid, LogAxis};

/// Margins of the plot area inside a canvas, in CSS pixels.
pub const LEFT: f64 = 58.0;
pub const RIGHT: f64 = 12.0;
pub const TOP: f64 = 10.0;
pub const BOTTOM: f64 = 36.0;

/// A canvas prepared for drawing: its context (scaled to CSS pixels), CSS size and pixel ratio.
pub struct Frame {
    pub ctx: CanvasRenderingContext2d,
    pub w: f64,
    pub h: f64,
    pub dpr: f64,
}

impl Frame {
    /// Sizes the canvas to its CSS box at the device pixel ratio and clears it.
    pub fn new(canvas: &HtmlCanvasElement) -> Option<Frame> {
        let ctx = canvas.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()?;
        let dpr = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).clamp(1.0, 3.0);
        let (w, h) = (canvas.client_width().max(1) as f64, canvas.client_height().max(1) as f64);
        canvas.set_width((w * dpr).round() as u32);
        canvas.set_height((h * dpr).round() as u32);
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        ctx.clear_rect(0.0, 0.0, w, h);
        Some(Frame { ctx, w, h, dpr })
    }

    pub fn plot_w(&self) -> f64 {
        (self.w - LEFT - RIGHT).max(10.0)
    }

    pub fn plot_h(&self) -> f64 {
        (self.h - TOP - BOTTOM).max(10.0)
    }

    fn sx(&self, a: LogAxis, v: f64) -> f64 {
        LEFT + a.frac(v) * self.plot_w()
    }

    fn sy(&self, a: LogAxis, v: f64) -> f64 {
        TOP + (1.0 - a.frac(v)) * self.plot_h()
    }

    /// Log grid lines, tick labels and axis titles.
    pub fn axes(&self, x: LogAxis, y: LogAxis, x_title: &str, y_unit: &str) {
        let ctx = &self.ctx;
        ctx.set_font("12px system-ui, sans-serif");
        ctx.set_line_width(1.0);
        ctx.set_stroke_style_str("#d0d5dd");
        ctx.set_fill_style_str("#475467");
        ctx.stroke_rect(LEFT, TOP, self.plot_w(), self.plot_h());
        for v in ticks(x) {
            let px = self.sx(x, v);
            ctx.begin_path();
            ctx.move_to(px, TOP);
            ctx.line_to(px, TOP + self.plot_h());
            ctx.stroke();
            ctx.set_text_align("center");
            let _ = ctx.fill_text(&fmt_tick(v, ""), px, TOP + self.plot_h() + 14.0);
        }
        for v in ticks(y) {
            let py = self.sy(y, v);
            ctx.begin_path();
            ctx.move_to(LEFT, py);
            ctx.line_to(LEFT + self.plot_w(), py);
            ctx.stroke();
            ctx.set_text_align("right");
            let _ = ctx.fill_text(&format!("{}{y_unit}", fmt_tick(v, "")), LEFT - 4.0, py + 4.0);
        }
        ctx.set_text_align("center");
        let _ = ctx.fill_text(x_title, LEFT + self.plot_w() / 2.0, self.h - 4.0);
    }

    /// Draws the points `(xs[i], ys[i])`, `i` in `idx`, as a density image: each device pixel
    /// of the plot shaded by the log of the number of cells in it.
    pub fn density(&self, xs: &[f32], ys: &[f32], idx: &[u32], x: LogAxis, y: LogAxis) {
        let (pw, ph) = ((self.plot_w() * self.dpr).round() as usize, (self.plot_h() * self.dpr).round() as usize);
        if pw == 0 || ph == 0 {
            return;
        }
        let grid = bin_grid(xs, ys, idx, x, y, pw, ph);
        let max = grid.iter().copied().max().unwrap_or(0);
        let scale = if max > 0 { 1.0 / (1.0 + max as f32).ln() } else { 0.0 };
        let mut rgba = vec![0u8; pw * ph * 4];
        for (px, &c) in rgba.chunks_exact_mut(4).zip(&grid) {
            if c > 0 {
                // Light blue for a single cell to deep navy for the densest pixel.
                let t = 0.25 + 0.75 * (1.0 + c as f32).ln() * scale;
                px[0] = (200.0 * (1.0 - t) + 8.0 * t) as u8;
                px[1] = (220.0 * (1.0 - t) + 40.0 * t) as u8;
                px[2] = (255.0 * (1.0 - t) + 120.0 * t) as u8;
                px[3] = 255;
            }
        }
        if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), pw as u32, ph as u32) {
            let _ = self.ctx.put_image_data(&img, (LEFT * self.dpr).round(), (TOP * self.dpr).round());
        }
    }

    /// A polyline through the points `idx` (in order), e.g. a Pareto front.
    pub fn polyline(&self, xs: &[f32], ys: &[f32], idx: &[u32], x: LogAxis, y: LogAxis, colour: &str) {
        let ctx = &self.ctx;
        ctx.set_stroke_style_str(colour);
        ctx.set_fill_style_str(colour);
        ctx.set_line_width(2.0);
        ctx.begin_path();
        for (k, &i) in idx.iter().enumerate() {
            let (px, py) = (self.sx(x, xs[i as usize] as f64), self.sy(y, ys[i as usize] as f64));
            if k == 0 {
                ctx.move_to(px, py);
            } else {
                ctx.line_to(px, py);
            }
        }
        ctx.stroke();
        for &i in idx {
            ctx.begin_path();
            let _ = ctx.arc(self.sx(x, xs[i as usize] as f64), self.sy(y, ys[i as usize] as f64), 2.5, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
    }

    /// Rings around the cells `idx` (search results, the selected cell).
    pub fn rings(&self, xs: &[f32], ys: &[f32], idx: &[u32], x: LogAxis, y: LogAxis) {
        let ctx = &self.ctx;
        ctx.set_stroke_style_str("#d92d20");
        ctx.set_line_width(2.0);
        for &i in idx {
            ctx.begin_path();
            let _ = ctx.arc(self.sx(x, xs[i as usize] as f64), self.sy(y, ys[i as usize] as f64), 7.0, 0.0, std::f64::consts::TAU);
            ctx.stroke();
        }
    }

    /// Bars of a histogram over the log axis `x` (counts on a linear axis).
    pub fn histogram(&self, counts: &[u32], x: LogAxis, x_title: &str) {
        let ctx = &self.ctx;
        let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let (pw, ph) = (self.plot_w(), self.plot_h());
        ctx.set_fill_style_str("#155eef");
        let bw = pw / counts.len().max(1) as f64;
        for (b, &c) in counts.iter().enumerate() {
            let hgt = c as f64 / max * ph;
            ctx.fill_rect(LEFT + b as f64 * bw, TOP + ph - hgt, (bw - 1.0).max(0.5), hgt);
        }
        ctx.set_font("12px system-ui, sans-serif");
        ctx.set_fill_style_str("#475467");
        ctx.set_stroke_style_str("#d0d5dd");
        ctx.stroke_rect(LEFT, TOP, pw, ph);
        for v in ticks(x) {
            ctx.set_text_align("center");
            let _ = ctx.fill_text(&format!("{} ms", fmt_tick(v, "")), self.sx(x, v), TOP + ph + 14.0);
        }
        ctx.set_text_align("right");
        let _ = ctx.fill_text(&fmt_count(max as u64), LEFT - 4.0, TOP + 10.0);
        let _ = ctx.fill_text("0", LEFT - 4.0, TOP + ph);
        ctx.set_text_align("center");
        let _ = ctx.fill_text(x_title, LEFT + pw / 2.0, self.h - 4.0);
    }

    /// A message in the middle of the plot area.
    pub fn message(&self, text: &str) {
        self.ctx.set_font("14px system-ui, sans-serif");
        self.ctx.set_fill_style_str("#667085");
        self.ctx.set_text_align("center");
        let _ = self.ctx.fill_text(text, LEFT + self.plot_w() / 2.0, TOP + self.plot_h() / 2.0);
    }
}

fn fmt_count(n: u64) -> String {
    super::draw_page::thousands(n)
}

/// Tick values of a log axis: powers of ten, plus 2 and 5 times them on short axes.
pub fn ticks(a: LogAxis) -> Vec<f64> {
    let decades = (a.hi / a.lo).log10();
    let steps: &[f64] = if decades <= 2.01 { &[1.0, 2.0, 5.0] } else { &[1.0] };
    let mut out = Vec::new();
    let mut d = 10f64.powf(a.lo.log10().floor());
    while d <= a.hi * 1.0001 {
        for s in steps {
            let v = d * s;
            if v >= a.lo * 0.9999 && v <= a.hi * 1.0001 {
                out.push(v);
            }
        }
        d *= 10.0;
    }
    out
}
