//! Failed-login throttle per email and per client address (in memory, per node).
//!
//! Written here rather than taken from a rate-limit crate: those (governor, tower_governor)
//! count every request, while this must count only *failed* attempts and refuse further ones
//! until the window that holds them ends, answering how long that is.

use crate::config::LoginThrottleSettings;
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Above this many tracked keys, expired windows are dropped on the next failure.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Email(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

#[derive(Debug)]
pub struct LoginThrottle {
    settings: LoginThrottleSettings,
    windows: Mutex<HashMap<Key, Window>>,
}

impl LoginThrottle {
    pub fn new(settings: LoginThrottleSettings) -> Self {
        Self {
            settings,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.settings.window_seconds)
    }

    /// `Err(seconds)` while either key has used up its failures for the current window.
    pub fn check(&self, email: &str, address: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let windows = self.lock();
        let mut wait = None;
        for (key, limit) in self.keys(email, address) {
            if let Some(window) = windows.get(&key) {
                let elapsed = now.duration_since(window.started);
                if elapsed < self.window() && window.failures >= limit {
                    let left = (self.window() - elapsed).as_secs().max(1);
                    wait = Some(wait.map_or(left, |w: u64| w.max(left)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    pub fn record_failure(&self, email: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let window_length = self.window();
        let mut windows = self.lock();
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, w| now.duration_since(w.started) < window_length);
        }
        for (key, _) in self.keys(email, address) {
            let window = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(window.started) >= window_length {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures = window.failures.saturating_add(1);
        }
    }

    /// A successful login clears the email's failures (the address keeps its count).
    pub fn record_success(&self, email: &str) {
        self.lock().remove(&Key::Email(email.to_owned()));
    }

    fn keys(&self, email: &str, address: Option<IpAddr>) -> Vec<(Key, u32)> {
        let mut keys = vec![(
            Key::Email(email.to_owned()),
            self.settings.max_failures_per_email,
        )];
        if let Some(address) = address {
            keys.push((
                Key::Address(address),
                self.settings.max_failures_per_address,
            ));
        }
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Window>> {
        // A panic while holding this lock leaves only counters behind; keep using them.
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_email: u32, per_address: u32) -> LoginThrottle {
        LoginThrottle::new(LoginThrottleSettings {
            max_failures_per_email: per_email,
            max_failures_per_address: per_address,
            window_seconds: 600,
        })
    }

    #[test]
    fn an_email_is_refused_after_its_failures_and_says_how_long() {
        let throttle = throttle(3, 100);
        for _ in 0..3 {
            assert!(throttle.check("a@example.com", None).is_ok());
            throttle.record_failure("a@example.com", None);
        }
        let wait = throttle
            .check("a@example.com", None)
            .expect_err("throttled");
        assert!((590..=600).contains(&wait), "{wait}");
        assert!(throttle.check("b@example.com", None).is_ok());
    }

    #[test]
    fn an_address_is_refused_across_emails() {
        let throttle = throttle(100, 2);
        let address: IpAddr = [10, 1, 2, 3].into();
        throttle.record_failure("a@example.com", Some(address));
        throttle.record_failure("b@example.com", Some(address));
        assert!(throttle.check("c@example.com", Some(address)).is_err());
        assert!(
            throttle
                .check("c@example.com", Some([10, 1, 2, 4].into()))
                .is_ok()
        );
    }

    #[test]
    fn success_clears_the_email_count() {
        let throttle = throttle(2, 100);
        throttle.record_failure("a@example.com", None);
        throttle.record_success("a@example.com");
        throttle.record_failure("a@example.com", None);
        assert!(throttle.check("a@example.com", None).is_ok());
    }
}
