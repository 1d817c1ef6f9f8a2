//! The one place model calls are retried, timed out and capped per account.

use super::{AiError, ChatRequest, ChatResponse, OfflineProvider, OpenAiProvider, Provider};
use crate::config::{AiProvider, Settings};
use rand::Rng;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How often and how long to try one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (0 counts as 1).
    pub max_attempts: u32,
    /// Shortest wait before a retry, and the unit of the exponential growth.
    pub base_delay: Duration,
    /// Longest wait before a retry, `Retry-After` included.
    pub max_delay: Duration,
    /// Limit on each attempt, from sending the request to reading the whole answer.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based): the provider's `Retry-After`
    /// when it gave one, else exponential back-off with full jitter — uniform between
    /// `base_delay` and `base_delay × 2^(attempt-1)` — both capped at `max_delay`.
    pub fn delay_after(&self, attempt: u32, error: &AiError) -> Duration {
        if let AiError::RateLimited {
            retry_after: Some(wait),
        } = error
        {
            return (*wait).min(self.max_delay);
        }
        let growth = 2u32.saturating_pow(attempt.saturating_sub(1));
        let ceiling = self.base_delay.saturating_mul(growth).min(self.max_delay);
        let floor = self.base_delay.min(ceiling);
        rand::rng().random_range(floor..=ceiling)
    }
}

/// A provider with retries, a time-out per attempt and a cap on concurrent calls per account.
/// Clones share the cap.
#[derive(Clone)]
pub struct AiClient {
    provider: Arc<dyn Provider>,
    policy: RetryPolicy,
    slots: Arc<AccountSlots>,
}

impl fmt::Debug for AiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AiClient")
            .field("provider", &self.provider.name())
            .field("model", &self.provider.model())
            .field("policy", &self.policy)
            .field("per_account_concurrency", &self.slots.per_account)
            .finish()
    }
}

impl AiClient {
    /// The provider named by `ai_provider` (offline by default) with the default policy and cap.
    pub fn from_settings(settings: &Settings) -> Result<Self, AiError> {
        let provider: Arc<dyn Provider> = match settings.ai_provider {
            AiProvider::Offline => Arc::new(OfflineProvider),
            AiProvider::Openai => {
                let base_url = settings.ai_base_url.as_deref().ok_or_else(|| {
                    AiError::Config("ai_provider = \"openai\" needs ai_base_url".into())
                })?;
                let model = settings.ai_model.as_deref().ok_or_else(|| {
                    AiError::Config("ai_provider = \"openai\" needs ai_model".into())
                })?;
                Arc::new(OpenAiProvider::new(
                    base_url,
                    settings.ai_api_key.as_ref(),
                    model,
                )?)
            }
        };
        let policy = RetryPolicy {
            max_attempts: settings.ai_max_attempts.max(1),
            timeout: Duration::from_secs(settings.ai_timeout_seconds.max(1)),
            ..RetryPolicy::default()
        };
        Ok(Self::new(
            provider,
            policy,
            settings.ai_per_account_concurrency,
        ))
    }

    /// `per_account_concurrency` below 1 counts as 1.
    pub fn new(
        provider: Arc<dyn Provider>,
        policy: RetryPolicy,
        per_account_concurrency: usize,
    ) -> Self {
        Self {
            provider,
            policy,
            slots: Arc::new(AccountSlots {
                per_account: per_account_concurrency.max(1),
                semaphores: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn provider_name(&self) -> &'static str {
        self.provider.name()
    }

    /// Whether answers come from the built-in offline provider rather than a model.
    pub fn is_offline(&self) -> bool {
        self.provider.name() == "offline"
    }

    pub fn model(&self) -> &str {
        self.provider.model()
    }

    /// Calls the model for `account_id`, waiting for one of the account's slots before each
    /// attempt and releasing it during back-off. Retries rate limits, server errors, time-outs
    /// and transport failures; returns the last error when attempts run out.
    pub async fn complete(
        &self,
        account_id: i64,
        request: &ChatRequest,
    ) -> Result<ChatResponse, AiError> {
        let max_attempts = self.policy.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            match self.attempt(account_id, request).await {
                Ok(mut response) => {
                    response.attempts = attempt;
                    return Ok(response);
                }
                Err(error) if error.is_retryable() && attempt < max_attempts => {
                    let delay = self.policy.delay_after(attempt, &error);
                    tracing::warn!(
                        provider = self.provider.name(),
                        operation = %request.operation,
                        account_id,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        error = %error,
                        "AI call failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(error) => {
                    tracing::warn!(
                        provider = self.provider.name(),
                        operation = %request.operation,
                        account_id,
                        attempts = attempt,
                        error = %error,
                        "AI call failed"
                    );
                    return Err(error);
                }
            }
        }
    }

    async fn attempt(
        &self,
        account_id: i64,
        request: &ChatRequest,
    ) -> Result<ChatResponse, AiError> {
        let _slot = self.slots.acquire(account_id).await?;
        tokio::time::timeout(self.policy.timeout, self.provider.complete(request))
            .await
            .unwrap_or(Err(AiError::Timeout))
    }

    #[cfg(test)]
    pub(crate) fn tracked_accounts(&self) -> usize {
        self.slots.lock().len()
    }
}

/// One semaphore per account with calls in flight or waiting; idle accounts are dropped.
struct AccountSlots {
    per_account: usize,
    semaphores: Mutex<HashMap<i64, Arc<Semaphore>>>,
}

impl AccountSlots {
    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Arc<Semaphore>>> {
        self.semaphores
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn acquire(self: &Arc<Self>, account_id: i64) -> Result<AccountSlot, AiError> {
        // Made first so that it drops last if the wait is cancelled, and still tidies up.
        let mut slot = AccountSlot {
            slots: Arc::clone(self),
            account_id,
            permit: None,
        };
        let semaphore = Arc::clone(
            self.lock()
                .entry(account_id)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_account))),
        );
        let permit = semaphore
            .acquire_owned()
            .await
            .map_err(|_| AiError::Config("the account's AI slots were closed".into()))?;
        slot.permit = Some(permit);
        Ok(slot)
    }
}

/// A held (or awaited) slot; dropping it frees the slot and forgets the account once idle.
struct AccountSlot {
    slots: Arc<AccountSlots>,
    account_id: i64,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for AccountSlot {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut semaphores = self.slots.lock();
        // Only the map holds it: nobody is running or waiting for this account.
        if semaphores
            .get(&self.account_id)
            .is_some_and(|semaphore| Arc::strong_count(semaphore) == 1)
        {
            semaphores.remove(&self.account_id);
        }
    }
}
