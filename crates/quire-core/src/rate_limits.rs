//! Request rate limits per client address, email and account (GCRA, in memory, per node).

use crate::{
    Error,
    config::{Rate, RateLimitSettings},
};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use std::{
    hash::Hash,
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// Every this many checks, keys whose allowance has refilled are forgotten.
const PRUNE_EVERY: u64 = 4_096;

/// One keyed limit.
struct Limit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    fn new(rate: Rate) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota(rate)),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one request from `key`'s allowance; `RateLimited` with the seconds until the next
    /// one is allowed when it is used up.
    fn check(&self, key: &K) -> Result<(), Error> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::RateLimited {
                retry_after_secs: whole_seconds(wait),
            }
        })
    }
}

/// `rate.requests` at once, one more every `per_seconds / requests`.
fn quota(rate: Rate) -> Quota {
    let burst = NonZeroU32::new(rate.requests).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs(rate.per_seconds.max(1)) / burst.get();
    Quota::with_period(period.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst)
}

/// A wait rounded up to whole seconds, at least one (the `Retry-After` header has no fractions).
fn whole_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

/// The limits of this node. Settings are validated to be above zero before this is built.
pub struct RateLimits {
    login_per_address: Limit<IpAddr>,
    login_per_email: Limit<String>,
    register_per_address: Limit<IpAddr>,
    password_reset_per_address: Limit<IpAddr>,
    ai_per_account: Limit<i64>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

impl RateLimits {
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self {
            login_per_address: Limit::new(settings.login_per_address),
            login_per_email: Limit::new(settings.login_per_email),
            register_per_address: Limit::new(settings.register_per_address),
            password_reset_per_address: Limit::new(settings.password_reset_per_address),
            ai_per_account: Limit::new(settings.ai_per_account),
        }
    }

    /// A login attempt: counted for the address (when known) and for the email typed, whether
    /// or not a user has it (so the answer tells nothing about which emails exist).
    pub fn login(&self, email_key: &str, address: Option<IpAddr>) -> Result<(), Error> {
        if let Some(address) = address {
            self.login_per_address.check(&address)?;
        }
        self.login_per_email.check(&email_key.to_owned())
    }

    /// A sign-up from `address` (none known: not limited, e.g. a fixture in-process).
    pub fn register(&self, address: Option<IpAddr>) -> Result<(), Error> {
        address.map_or(Ok(()), |a| self.register_per_address.check(&a))
    }

    /// A "forgot password" request or a reset-link use from `address`.
    pub fn password_reset(&self, address: Option<IpAddr>) -> Result<(), Error> {
        address.map_or(Ok(()), |a| self.password_reset_per_address.check(&a))
    }

    /// A request of `account_id` that queues AI work.
    pub fn ai_operation(&self, account_id: i64) -> Result<(), Error> {
        self.ai_per_account.check(&account_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rate: Rate) -> RateLimits {
        RateLimits::new(&RateLimitSettings {
            login_per_address: rate,
            login_per_email: Rate {
                requests: 1_000,
                per_seconds: 60,
            },
            register_per_address: rate,
            password_reset_per_address: rate,
            ai_per_account: rate,
            daily_ai_credit_limit: None,
        })
    }

    fn retry_after(result: Result<(), Error>) -> u64 {
        match result {
            Err(Error::RateLimited { retry_after_secs }) => retry_after_secs,
            other => panic!("expected RateLimited, got {other:?}"),
        }
    }

    #[test]
    fn a_burst_passes_then_the_key_waits_for_its_next_request() {
        let limits = limits(Rate {
            requests: 3,
            per_seconds: 60,
        });
        for _ in 0..3 {
            assert!(limits.ai_operation(7).is_ok());
        }
        let wait = retry_after(limits.ai_operation(7));
        assert!((19..=20).contains(&wait), "{wait}");
        assert!(
            limits.ai_operation(8).is_ok(),
            "another account is untouched"
        );
    }

    #[test]
    fn addresses_are_counted_apart_and_an_unknown_address_is_not_limited() {
        let limits = limits(Rate {
            requests: 1,
            per_seconds: 3_600,
        });
        let first: IpAddr = [10, 0, 0, 1].into();
        assert!(limits.register(Some(first)).is_ok());
        assert!(retry_after(limits.register(Some(first))) > 3_500);
        assert!(limits.register(Some([10, 0, 0, 2].into())).is_ok());
        assert!(limits.register(None).is_ok());
        assert!(limits.register(None).is_ok());
        assert!(limits.password_reset(Some(first)).is_ok(), "limits apart");
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(2_001)), 3);
        assert_eq!(whole_seconds(Duration::from_secs(5)), 5);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
    }
}
