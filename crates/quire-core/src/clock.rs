//! The time source for billing: the system clock in production, a clock the tests set and advance.
//!
//! `Clock` is a small struct with an enum inside rather than a `dyn Trait`: there are exactly two
//! kinds (system and manual), the enum derives `Clone` and `Debug` for free, needs no `Box`
//! or `Send + Sync` bounds at every use site, and cannot be swapped for an arbitrary
//! implementation by accident. A manual clock keeps its instant behind an `Arc`, so every clone
//! (the one in `Quire`, the one a test holds) sees the same time: the test advances its
//! [`ManualClock`] and the billing code reading its [`Clock`] observes the move.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::{Arc, Mutex, PoisonError};

/// Where "now" comes from. Cheap to clone; clones of a manual clock share one instant.
#[derive(Debug, Clone)]
pub struct Clock {
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    System,
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// The real time, from the operating system.
    pub fn system() -> Self {
        Self {
            source: Source::System,
        }
    }

    /// A clock that stays at `at` forever (nobody holds a handle to move it).
    pub fn fixed(at: DateTime<Utc>) -> Self {
        ManualClock::new(at).clock()
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.source {
            Source::System => Utc::now(),
            Source::Manual(at) => *lock(at),
        }
    }
}

/// A handle that sets and advances the time seen by the [`Clock`]s made from it.
///
/// Only this handle moves time; a `Clock` can only read it, so production code holding a
/// `Clock` cannot change the time under a test by mistake.
#[derive(Debug, Clone)]
pub struct ManualClock {
    at: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    /// A manual clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            at: Arc::new(Mutex::new(at)),
        }
    }

    /// A [`Clock`] that reads this handle's instant, now and after every later move.
    pub fn clock(&self) -> Clock {
        Clock {
            source: Source::Manual(Arc::clone(&self.at)),
        }
    }

    /// The instant this clock stands at.
    pub fn now(&self) -> DateTime<Utc> {
        *lock(&self.at)
    }

    /// Moves the clock to `at` (forwards or backwards).
    pub fn set(&self, at: DateTime<Utc>) {
        *lock(&self.at) = at;
    }

    /// Moves the clock by `by` (negative moves it back) and answers the new instant.
    ///
    /// # Panics
    ///
    /// When the result leaves chrono's range (beyond the year 262 143); a test bug.
    pub fn advance(&self, by: TimeDelta) -> DateTime<Utc> {
        let mut at = lock(&self.at);
        *at = at
            .checked_add_signed(by)
            .expect("a manual clock advanced beyond chrono's range");
        *at
    }
}

/// The instant is `Copy` and always valid, so a panic elsewhere while holding the lock leaves
/// nothing half-written: a poisoned lock is safe to use.
fn lock(at: &Mutex<DateTime<Utc>>) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
    at.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("a valid test instant")
    }

    #[test]
    fn system_clock_follows_the_real_time() {
        let before = Utc::now();
        let now = Clock::system().now();
        let after = Utc::now();
        assert!(before <= now && now <= after);
    }

    #[test]
    fn fixed_clock_does_not_move() {
        let clock = Clock::fixed(at(2028, 2, 29, 12));
        assert_eq!(clock.now(), at(2028, 2, 29, 12));
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(clock.clone().now(), at(2028, 2, 29, 12));
    }

    #[test]
    fn manual_clock_moves_every_clone() {
        let manual = ManualClock::new(at(2027, 1, 31, 9));
        let clock = manual.clock();
        let clone = clock.clone();
        let other_handle = manual.clone();

        assert_eq!(manual.advance(TimeDelta::days(1)), at(2027, 2, 1, 9));
        assert_eq!(clock.now(), at(2027, 2, 1, 9));
        assert_eq!(clone.now(), at(2027, 2, 1, 9));

        other_handle.set(at(2028, 12, 31, 23));
        assert_eq!(clone.now(), at(2028, 12, 31, 23));
        assert_eq!(manual.now(), at(2028, 12, 31, 23));

        assert_eq!(manual.advance(TimeDelta::hours(1)), at(2029, 1, 1, 0));
        assert_eq!(manual.advance(TimeDelta::hours(-25)), at(2028, 12, 30, 23));
        assert_eq!(clock.now(), at(2028, 12, 30, 23));
    }

    #[test]
    fn manual_clocks_are_independent() {
        let a = ManualClock::new(at(2027, 6, 1, 0));
        let b = ManualClock::new(at(2027, 6, 1, 0));
        a.advance(TimeDelta::days(30));
        assert_eq!(b.clock().now(), at(2027, 6, 1, 0));
        assert_eq!(a.clock().now(), at(2027, 7, 1, 0));
    }

    #[test]
    fn clocks_cross_threads() {
        let manual = ManualClock::new(at(2027, 3, 1, 0));
        let clock = manual.clock();
        let seen = std::thread::spawn(move || {
            manual.advance(TimeDelta::days(2));
            manual.now()
        })
        .join()
        .expect("the thread finishes");
        assert_eq!(clock.now(), seen);
        assert_eq!(seen, at(2027, 3, 3, 0));
    }
}
