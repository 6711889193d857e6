//! A bar chart as inline SVG, drawn on the server: one stacked bar per day (attended,
//! no-show, still booked, cancelled). No script and no chart library; the table beside it
//! carries the same figures for screen readers, so the drawing is one labelled image.

use std::fmt::Write;

use crate::booking::DayFigures;

/// The parts of a bar, bottom to top: CSS class and how many.
const PARTS: [&str; 4] = ["bar-attended", "bar-no-show", "bar-booked", "bar-cancelled"];

const HEIGHT: f64 = 200.0;
const BAR: f64 = 14.0;
const GAP: f64 = 6.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 24.0;
/// Room above the top grid line for its label.
const TOP: f64 = 8.0;

/// The chart of `days`, described by `label` (its accessible name); `day_label` writes a
/// day under its bar (every few bars when there are many).
pub fn day_bars(
    days: &[DayFigures],
    label: &str,
    day_label: impl Fn(&DayFigures) -> String,
) -> String {
    let top = days
        .iter()
        .map(|d| d.total.booked)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = nice_ceiling(top);
    let width = LEFT + days.len() as f64 * (BAR + GAP) + GAP;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {width} {}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">"#,
        escape(label),
        TOP + HEIGHT + BOTTOM
    );
    for step in 0..=4 {
        let value = scale * step / 4;
        let y = y_of(value, scale);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{width}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{value}</text>"#,
            LEFT - 4.0,
            y + 4.0
        );
    }
    let every = days.len().div_ceil(12).max(1);
    for (i, day) in days.iter().enumerate() {
        let x = LEFT + GAP + i as f64 * (BAR + GAP);
        let t = &day.total;
        let pending = t.booked - t.attended - t.no_show - t.cancelled;
        let mut base = 0;
        for (class, count) in PARTS
            .iter()
            .zip([t.attended, t.no_show, pending, t.cancelled])
        {
            if count == 0 {
                continue;
            }
            let (y0, y1) = (y_of(base, scale), y_of(base + count, scale));
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{x:.1}" y="{y1:.1}" width="{BAR}" height="{:.1}"/>"#,
                y0 - y1
            );
            base += count;
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x + BAR / 2.0,
                TOP + HEIGHT + 16.0,
                escape(&day_label(day))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The height of `value` on a scale topping at `scale`.
fn y_of(value: u32, scale: u32) -> f64 {
    TOP + HEIGHT - f64::from(value) * HEIGHT / f64::from(scale)
}

/// The smallest of 4, 8, 20, 40, 80, 200… (divisible by 4 for the grid) at least `n`.
fn nice_ceiling(n: u32) -> u32 {
    let mut unit = 1u32;
    loop {
        for step in [4u32, 8, 20] {
            let candidate = step.saturating_mul(unit);
            if candidate >= n {
                return candidate;
            }
        }
        unit = unit.saturating_mul(10);
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::booking::Counts;

    fn day(d: u32, booked: u32, attended: u32, cancelled: u32) -> DayFigures {
        DayFigures {
            date: NaiveDate::from_ymd_opt(2027, 3, d).unwrap(),
            total: Counts {
                booked,
                attended,
                no_show: 0,
                cancelled,
                used_minutes: 0,
            },
            by_service: vec![],
            capacity_minutes: 0,
        }
    }

    #[test]
    fn bars_stack_to_the_day_total_on_a_round_scale() {
        let svg = day_bars(&[day(1, 10, 6, 1), day(2, 0, 0, 0)], "A & B", |d| {
            d.date.to_string()
        });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-label="A &amp; B""#));
        // Scale 20: attended 6 → 60 px, pending 3 → 30 px, cancelled 1 → 10 px, drawn up
        // from the base line at 8 + 200.
        assert!(
            svg.contains(r#"class="bar-attended" x="42.0" y="148.0" width="14" height="60.0""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"class="bar-booked" x="42.0" y="118.0" width="14" height="30.0""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"class="bar-cancelled" x="42.0" y="108.0" width="14" height="10.0""#),
            "{svg}"
        );
        assert!(!svg.contains("bar-no-show"));
        assert_eq!(svg.matches("2027-03-0").count(), 2);
    }

    #[test]
    fn round_scales() {
        assert_eq!(nice_ceiling(1), 4);
        assert_eq!(nice_ceiling(5), 8);
        assert_eq!(nice_ceiling(9), 20);
        assert_eq!(nice_ceiling(21), 40);
        assert_eq!(nice_ceiling(400), 400);
        assert_eq!(nice_ceiling(401), 800);
    }
}
