//! A small line chart of recent values, as SVG built from numbers only.

use leptos::prelude::*;

/// SVG points for `values` scaled into a `width` x `height` box.
pub fn points(values: &[f64], width: f64, height: f64) -> String {
    if values.len() < 2 {
        return String::new();
    }
    let (min, max) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = if max > min { max - min } else { 1.0 };
    let step = width / (values.len() - 1) as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                height - (v - min) / span * (height - 4.0) - 2.0
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A line chart of the values `values` returns (re-run when they change).
#[component]
pub fn Chart(
    /// The values, oldest first.
    values: Signal<Vec<f64>>,
    /// CSS class of the SVG (size).
    #[prop(default = "chart")]
    class: &'static str,
) -> impl IntoView {
    view! {
        <svg
            class=class
            viewBox="0 0 300 80"
            preserveAspectRatio="none"
            role="img"
            aria-label="recent values"
        >
            <polyline
                fill="none"
                stroke="currentColor"
                stroke-width="1.5"
                points=move || points(&values.get(), 300.0, 80.0)
            />
        </svg>
    }
}
