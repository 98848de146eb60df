//! The Explore page's canvases: a density-shaded scatter (every cell binned into the plot's
//! device pixels, log-scaled counts, so 423k points draw in one image), with an optional
//! highlighted polyline or marked cells on top; and the latency histogram. Layout constants
//! are shared with the click handler through [`Frame`].

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::explore_data::{bin_grid, LogAxis};

/// Margins of the plot area inside a canvas, in CSS pixels.
pub const LEFT: f64 = 58.0;
pub const RIGHT: f64 = 26.0;
pub const TOP: f64 = 22.0;
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

    /// Log grid lines, tick labels and axis titles; the y axis's unit (e.g. `ms`) once, above
    /// its labels, so that every label fits in the margin.
    pub fn axes(&self, x: LogAxis, y: LogAxis, x_title: &str, y_unit: &str) {
        let ctx = &self.ctx;
        ctx.set_font("12px system-ui, sans-serif");
        ctx.set_line_width(1.0);
        ctx.set_stroke_style_str("#d0d5dd");
        ctx.set_fill_style_str("#475467");
        ctx.stroke_rect(LEFT, TOP, self.plot_w(), self.plot_h());
        for v in ticks(x, self.plot_w()) {
            let px = self.sx(x, v);
            ctx.begin_path();
            ctx.move_to(px, TOP);
            ctx.line_to(px, TOP + self.plot_h());
            ctx.stroke();
            super::chart::fill_text_within(ctx, &tick_label(v), px, TOP + self.plot_h() + 14.0, self.w);
        }
        for v in ticks(y, self.plot_h()) {
            let py = self.sy(y, v);
            ctx.begin_path();
            ctx.move_to(LEFT, py);
            ctx.line_to(LEFT + self.plot_w(), py);
            ctx.stroke();
            ctx.set_text_align("right");
            let _ = ctx.fill_text(&tick_label(v), LEFT - 4.0, py + 4.0);
        }
        let _ = ctx.fill_text(y_unit, LEFT - 4.0, TOP - 8.0);
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
        // Bins of BIN x BIN device pixels: single cells stay visible at any pixel ratio.
        const BIN: usize = 2;
        let (gw, gh) = (pw.div_ceil(BIN), ph.div_ceil(BIN));
        let grid = bin_grid(xs, ys, idx, x, y, gw, gh);
        let max = grid.iter().copied().max().unwrap_or(0);
        let scale = if max > 0 { 1.0 / (1.0 + max as f32).ln() } else { 0.0 };
        let mut rgba = vec![0u8; pw * ph * 4];
        for (row, line) in rgba.chunks_exact_mut(pw * 4).enumerate() {
            for (col, px) in line.chunks_exact_mut(4).enumerate() {
                let c = grid[(row / BIN) * gw + col / BIN];
                if c > 0 {
                    // Sky blue for a single cell to deep navy for the densest bin.
                    let t = 0.35 + 0.65 * (1.0 + c as f32).ln() * scale;
                    px[0] = (120.0 * (1.0 - t) + 8.0 * t) as u8;
                    px[1] = (170.0 * (1.0 - t) + 30.0 * t) as u8;
                    px[2] = (250.0 * (1.0 - t) + 110.0 * t) as u8;
                    px[3] = 255;
                }
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
        for v in ticks(x, self.plot_w()) {
            ctx.set_text_align("center");
            let _ = ctx.fill_text(&format!("{} ms", tick_label(v)), self.sx(x, v), TOP + ph + 14.0);
        }
        ctx.set_text_align("right");
        let _ = ctx.fill_text(&super::format::thousands(max as u64), LEFT - 4.0, TOP + 10.0);
        let _ = ctx.fill_text("0", LEFT - 4.0, TOP + ph);
        ctx.set_text_align("center");
        let _ = ctx.fill_text(x_title, LEFT + pw / 2.0, self.h - 4.0);
    }

    /// Dots at `(x, y)` and the diagonal `y = x` (for measured vs predicted on equal axes).
    pub fn dots_with_diagonal(&self, points: &[(f64, f64)], a: LogAxis) {
        let ctx = &self.ctx;
        ctx.set_stroke_style_str("#98a2b3");
        ctx.set_line_width(1.5);
        ctx.begin_path();
        ctx.move_to(self.sx(a, a.lo), self.sy(a, a.lo));
        ctx.line_to(self.sx(a, a.hi), self.sy(a, a.hi));
        ctx.stroke();
        ctx.set_fill_style_str("rgba(21, 94, 239, 0.8)");
        for &(x, y) in points {
            ctx.begin_path();
            let _ = ctx.arc(self.sx(a, x), self.sy(a, y), 3.5, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
    }

    /// A message in the middle of the plot area.
    pub fn message(&self, text: &str) {
        self.ctx.set_font("14px system-ui, sans-serif");
        self.ctx.set_fill_style_str("#667085");
        self.ctx.set_text_align("center");
        let _ = self.ctx.fill_text(text, LEFT + self.plot_w() / 2.0, TOP + self.plot_h() / 2.0);
    }
}

/// Tick values of a log axis `len` CSS pixels long: powers of ten, plus 2 and 5 times them
/// (or 3 times them) where there is room for the labels.
pub fn ticks(a: LogAxis, len: f64) -> Vec<f64> {
    let per_decade = len / (a.hi / a.lo).log10();
    let steps: &[f64] = if per_decade >= 150.0 {
        &[1.0, 2.0, 5.0]
    } else if per_decade >= 75.0 {
        &[1.0, 3.0]
    } else {
        &[1.0]
    };
    let mut out = Vec::new();
    let mut e = a.lo.log10().floor() as i32;
    while 10f64.powi(e) <= a.hi {
        for s in steps {
            let v = s * 10f64.powi(e);
            if v >= a.lo && v <= a.hi {
                out.push(v);
            }
        }
        e += 1;
    }
    out
}

/// A tick label: "300M", "2k", "0.5", "10".
pub fn tick_label(v: f64) -> String {
    let (d, s) = if v >= 1e9 {
        (1e9, "G")
    } else if v >= 1e6 {
        (1e6, "M")
    } else if v >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let x = format!("{:.3}", v / d);
    let x = x.trim_end_matches('0').trim_end_matches('.');
    format!("{x}{s}")
}
