//! Line charts as hand-written SVG: latency (log scale) against offered rate or against
//! percentile. Small enough not to need a plotting crate.

use hdrhistogram::Histogram;

const WIDTH: f64 = 980.0;
const HEIGHT: f64 = 520.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 330.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

pub const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    /// (x, latency in ms); points with a latency ≤ 0 are skipped (log scale).
    pub points: Vec<(f64, f64)>,
    pub color: &'static str,
    /// SVG `stroke-dasharray`, e.g. `"6 4"`.
    pub dash: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub x_ticks: Vec<(f64, String)>,
    pub series: Vec<Series>,
}

impl Chart {
    pub fn svg(&self) -> String {
        let points = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(_, y)| *y > 0.0);
        let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in points {
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
        for (x, _) in &self.x_ticks {
            x_min = x_min.min(*x);
            x_max = x_max.max(*x);
        }
        if x_min > x_max {
            (x_min, x_max) = (0.0, 1.0);
        }
        if x_max - x_min < 1e-9 {
            x_max = x_min + 1.0;
        }
        if y_min > y_max {
            (y_min, y_max) = (1.0, 10.0);
        }
        let lo = y_min.log10().floor();
        let hi = y_max.log10().ceil().max(lo + 1.0);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let px = |x: f64| LEFT + (x - x_min) / (x_max - x_min) * plot_w;
        let py = |y: f64| TOP + plot_h - (y.log10() - lo) / (hi - lo) * plot_h;

        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
             viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{}\" y=\"28\" font-size=\"16\" text-anchor=\"middle\">{}</text>\n",
            LEFT + plot_w / 2.0,
            escape(&self.title)
        );
        // Horizontal grid: each decade, with 2x and 5x lines fainter.
        let mut decade = lo;
        while decade <= hi {
            for (factor, strong) in [(1.0, true), (2.0, false), (5.0, false)] {
                let value = 10f64.powf(decade) * factor;
                if value.log10() > hi + 1e-9 {
                    continue;
                }
                let y = py(value);
                svg.push_str(&format!(
                    "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{}\"/>\n",
                    LEFT + plot_w,
                    if strong { "#ccc" } else { "#eee" }
                ));
                if strong {
                    svg.push_str(&format!(
                        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
                        LEFT - 6.0,
                        y + 4.0,
                        ms_label(value)
                    ));
                }
            }
            decade += 1.0;
        }
        for (x, label) in &self.x_ticks {
            let x = px(*x);
            svg.push_str(&format!(
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#eee\"/>\n\
                 <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                TOP + plot_h,
                TOP + plot_h + 18.0,
                escape(label)
            ));
        }
        svg.push_str(&format!(
            "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#444\"/>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n\
             <text x=\"18\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {})\">latency (log scale)</text>\n",
            LEFT + plot_w / 2.0,
            HEIGHT - 18.0,
            escape(&self.x_label),
            TOP + plot_h / 2.0,
            TOP + plot_h / 2.0,
        ));
        for (i, series) in self.series.iter().enumerate() {
            let path: Vec<String> = series
                .points
                .iter()
                .filter(|(_, y)| *y > 0.0)
                .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
                .collect();
            let dash = series
                .dash
                .map(|d| format!(" stroke-dasharray=\"{d}\""))
                .unwrap_or_default();
            if !path.is_empty() {
                svg.push_str(&format!(
                    "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{dash} points=\"{}\"/>\n",
                    series.color,
                    path.join(" ")
                ));
                for point in &path {
                    if let Some((x, y)) = point.split_once(',') {
                        svg.push_str(&format!(
                            "<circle cx=\"{x}\" cy=\"{y}\" r=\"2.5\" fill=\"{}\"/>\n",
                            series.color
                        ));
                    }
                }
            }
            let ly = TOP + 10.0 + i as f64 * 20.0;
            let lx = LEFT + plot_w + 16.0;
            svg.push_str(&format!(
                "<line x1=\"{lx}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{}\" stroke-width=\"2\"{dash}/>\n\
                 <text x=\"{}\" y=\"{}\">{}</text>\n",
                lx + 28.0,
                series.color,
                lx + 34.0,
                ly + 4.0,
                escape(&series.name)
            ));
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// Points of an HDR percentile plot: x = log10(1 / (1 - q)), so 1 is p90, 2 is p99,
/// 3 is p99.9; the last point is the maximum, drawn at x = 4.
pub fn percentile_points(histogram: &Histogram<u64>) -> Vec<(f64, f64)> {
    if histogram.is_empty() {
        return vec![];
    }
    let mut points = vec![];
    for step in 0..40 {
        let x = f64::from(step) / 10.0;
        let q = 1.0 - 10f64.powf(-x);
        points.push((x, histogram.value_at_quantile(q) as f64 / 1000.0));
    }
    points.push((4.0, histogram.max() as f64 / 1000.0));
    points
}

pub fn percentile_ticks() -> Vec<(f64, String)> {
    vec![
        (0.0, "p0".into()),
        (0.301, "p50".into()),
        (1.0, "p90".into()),
        (2.0, "p99".into()),
        (3.0, "p99.9".into()),
        (4.0, "max".into()),
    ]
}

fn ms_label(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{} s", trim(ms / 1000.0))
    } else {
        format!("{} ms", trim(ms))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Horizontal bars of shares (0–1), one per `(label, share)`, titled `title`: people in
/// blue, bots (labels starting `bots`) in red.
pub fn share_bars(title: &str, rows: &[(&str, f64)]) -> String {
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"{}\" role=\"img\" \
         font-family=\"sans-serif\" font-size=\"13\"><title>{title}</title>",
        40 + rows.len() * 45
    );
    for (i, (label, share)) in rows.iter().enumerate() {
        let y = 20 + i * 45;
        let width = (share * 400.0).max(1.0);
        let color = if label.starts_with("bots") {
            "#b3261e"
        } else {
            "#1f5fa8"
        };
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{}\">{label}</text><rect x=\"180\" y=\"{}\" width=\"{width:.1}\" \
             height=\"24\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{}\">{:.2} %</text>",
            y + 17,
            y,
            190.0 + width,
            y + 17,
            share * 100.0
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_well_formed_chart() {
        let chart = Chart {
            title: "a <b> & c".into(),
            x_label: "rate".into(),
            x_ticks: vec![(1.0, "1".into()), (2.0, "2".into())],
            series: vec![Series {
                name: "p99".into(),
                points: vec![(1.0, 0.5), (2.0, 120.0), (3.0, 0.0)],
                color: COLORS[0],
                dash: Some("4 2"),
            }],
        };
        let svg = chart.svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("a &lt;b&gt; &amp; c"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains(">100 ms<") && svg.contains(">1 s<"));
    }
}
