//! A bar chart of two series per day, drawn as inline SVG on the server (no chart library,
//! no script): the dashboard's AI cost against what the credits charged are worth.

/// One day's pair of bars, in the SVG's coordinates.
pub struct DayBars {
    pub label: String,
    pub x_a: u32,
    pub y_a: u32,
    pub height_a: u32,
    pub x_b: u32,
    pub y_b: u32,
    pub height_b: u32,
    /// The values as people read them, for the bars' titles.
    pub title: String,
}

/// Drawing area height (the SVG is `WIDTH × HEIGHT` plus a label row).
pub const HEIGHT: u32 = 160;
const BAR: u32 = 6;
const STEP: u32 = 16;

/// The SVG's width for `days` days.
pub fn width(days: usize) -> u32 {
    u32::try_from(days).unwrap_or(0) * STEP
}

/// Bars for `(label, a, b, title)` per day, scaled so the largest value fills the height.
pub fn bars(days: &[(String, i64, i64, String)]) -> Vec<DayBars> {
    let top = days
        .iter()
        .map(|(_, a, b, _)| (*a).max(*b))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |value: i64| -> u32 {
        let value = u64::try_from(value.max(0)).unwrap_or(0);
        let top = u64::try_from(top).unwrap_or(1);
        u32::try_from(value * u64::from(HEIGHT) / top).unwrap_or(HEIGHT)
    };
    days.iter()
        .enumerate()
        .map(|(i, (label, a, b, title))| {
            let x = u32::try_from(i).unwrap_or(0) * STEP + 2;
            let (height_a, height_b) = (scale(*a), scale(*b));
            DayBars {
                label: label.clone(),
                x_a: x,
                y_a: HEIGHT - height_a,
                height_a,
                x_b: x + BAR,
                y_b: HEIGHT - height_b,
                height_b,
                title: title.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_value_fills_the_height_and_bars_sit_on_the_axis() {
        let days = vec![
            ("1".to_owned(), 50, 100, String::new()),
            ("2".to_owned(), 0, 25, String::new()),
        ];
        let drawn = bars(&days);
        assert_eq!(drawn[0].height_b, HEIGHT);
        assert_eq!(drawn[0].height_a, HEIGHT / 2);
        assert_eq!(drawn[1].height_a, 0);
        assert_eq!(drawn[1].y_a, HEIGHT);
        assert_eq!(drawn[1].height_b + drawn[1].y_b, HEIGHT);
        assert_eq!(width(30), 480);
    }

    #[test]
    fn no_usage_draws_empty_bars() {
        let drawn = bars(&[("1".to_owned(), 0, 0, String::new())]);
        assert_eq!((drawn[0].height_a, drawn[0].height_b), (0, 0));
    }
}
