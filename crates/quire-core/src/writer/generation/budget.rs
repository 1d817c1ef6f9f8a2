//! How the article pipeline steers length: the introduction and conclusion get fixed shares
//! of the target, the sections share the rest, and each section is asked for what is left
//! divided by the sections still to write — so a model that runs long or short on one
//! section is corrected on the next ones, and the ends absorb what remains.

/// Share of the target for the introduction, in percent.
const INTRO_PERCENT: usize = 8;
/// Share of the target for the conclusion, in percent.
const CONCLUSION_PERCENT: usize = 7;
/// The least a section or an end is asked for.
const MIN_PART_WORDS: usize = 60;
/// The window around a part's words the prompt asks for, in percent.
pub const WINDOW_PERCENT: usize = 10;

/// The word budget of one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub target: usize,
    pub sections: usize,
}

impl Budget {
    pub fn new(target: usize, sections: usize) -> Self {
        Self {
            target,
            sections: sections.max(1),
        }
    }

    /// Sections an outline should have for `target` words: one per 250 words, 3 to 10.
    pub fn sections_for(target: usize) -> usize {
        (target / 250).clamp(3, 10)
    }

    fn ends_planned(&self) -> (usize, usize) {
        (
            self.target * INTRO_PERCENT / 100,
            self.target * CONCLUSION_PERCENT / 100,
        )
    }

    /// Words to ask of section `done` (0-based) when the sections so far have `written`.
    pub fn section_words(&self, written: usize, done: usize) -> usize {
        let (intro, conclusion) = self.ends_planned();
        let body = self.target.saturating_sub(intro + conclusion);
        let left = body.saturating_sub(written);
        let sections_left = self.sections.saturating_sub(done).max(1);
        (left / sections_left).max(MIN_PART_WORDS)
    }

    /// Words to ask of the introduction and conclusion once the sections have `written`.
    pub fn ends_words(&self, written: usize) -> (usize, usize) {
        let left = self.target.saturating_sub(written);
        let intro = left * INTRO_PERCENT / (INTRO_PERCENT + CONCLUSION_PERCENT);
        (
            intro.max(MIN_PART_WORDS / 2),
            left.saturating_sub(intro).max(MIN_PART_WORDS / 2),
        )
    }
}

/// The window a prompt asks for around `words`.
pub fn window(words: usize) -> (usize, usize) {
    let spread = words * WINDOW_PERCENT / 100;
    (words - spread, words + spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_share_what_the_ends_leave() {
        let budget = Budget::new(1_500, 5);
        // 1,500 − 120 − 105 = 1,275 for five sections.
        assert_eq!(budget.section_words(0, 0), 255);
        assert_eq!(budget.ends_words(1_275), (120, 105));
    }

    #[test]
    fn a_long_section_makes_the_next_ones_shorter() {
        let budget = Budget::new(1_500, 5);
        let long = 400; // asked 255
        assert_eq!(budget.section_words(long, 1), 218);
        // A model that overshoots everything still gets shorter asks, never below the floor.
        assert_eq!(budget.section_words(1_400, 4), MIN_PART_WORDS);
        let (intro, conclusion) = budget.ends_words(1_600);
        assert_eq!((intro, conclusion), (30, 30));
    }

    #[test]
    fn outlines_scale_with_length() {
        assert_eq!(Budget::sections_for(500), 3);
        assert_eq!(Budget::sections_for(1_500), 6);
        assert_eq!(Budget::sections_for(10_000), 10);
        assert_eq!(window(200), (180, 220));
    }
}
