//! SVG plots of evaluation results (plotters, SVG backend): predicted against measured
//! latency, and learning curves.

use std::path::Path;

use anyhow::anyhow;
use plotters::prelude::*;

const COLORS: [RGBColor; 6] =
    [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44), RGBColor(214, 39, 40), RGBColor(148, 103, 189), RGBColor(140, 86, 75)];

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("plotting: {e}")
}

/// Scatter of predicted against measured ms, with the identity and ±10% lines.
pub fn pred_vs_measured(path: &Path, title: &str, measured: &[f64], predicted: &[f64]) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (640, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let all = measured.iter().chain(predicted).copied().filter(|v| v.is_finite());
    let (mut lo, mut hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !(lo.is_finite() && hi.is_finite()) {
        lo = 0.0;
        hi = 1.0;
    }
    let pad = 0.05 * (hi - lo).max(1e-9);
    let (lo, hi) = ((lo - pad).max(0.0), hi + pad);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, lo..hi)
        .map_err(err)?;
    chart.configure_mesh().x_desc("measured (ms)").y_desc("predicted (ms)").draw().map_err(err)?;
    chart.draw_series(LineSeries::new(vec![(lo, lo), (hi, hi)], &BLACK)).map_err(err)?;
    for f in [0.9, 1.1] {
        chart.draw_series(LineSeries::new(vec![(lo, lo * f), (hi, hi * f)], BLACK.mix(0.35))).map_err(err)?;
    }
    chart.draw_series(measured.iter().zip(predicted).map(|(&m, &p)| Circle::new((m, p), 2, COLORS[0].mix(0.6).filled()))).map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Lines of a metric (e.g. share within ±10%, in %) against training-set size (log axis).
pub fn learning_curve(path: &Path, title: &str, y_desc: &str, sizes: &[usize], series: &[(String, Vec<f64>)]) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (720, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let x0 = *sizes.first().unwrap_or(&1) as f64;
    let x1 = (*sizes.last().unwrap_or(&2) as f64).max(x0 * 1.5);
    let ys = series.iter().flat_map(|s| s.1.iter().copied()).filter(|v| v.is_finite());
    let (ylo, yhi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (ylo, yhi) = if ylo.is_finite() { (ylo.min(0.0), yhi.max(ylo + 1.0) * 1.05) } else { (0.0, 100.0) };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((x0 * 0.9..x1 * 1.1).log_scale(), ylo..yhi)
        .map_err(err)?;
    chart.configure_mesh().x_desc("training cells").y_desc(y_desc).draw().map_err(err)?;
    for (i, (name, ys)) in series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let pts: Vec<(f64, f64)> = sizes.iter().zip(ys).filter(|(_, y)| y.is_finite()).map(|(&x, &y)| (x as f64, y)).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, c.filled()))).map_err(err)?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
