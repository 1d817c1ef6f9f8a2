//! The password-hashing pool: argon2id work runs on a fixed set of threads, one per core.
//!
//! Each hash holds 19 MiB while it runs. On tokio's blocking pool a login flood would run
//! dozens at once, each thread keeping its memory afterwards (RSS grew past 1.9 GiB in the
//! benchmark); a fixed pool bounds both the memory and the CPU that logins can take from
//! every other request. Its threads run at a lower scheduling priority (nice 9 on Linux), so
//! a login flood slows logins rather than every other request.

use super::password;
use crate::Error;
use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
use tokio::sync::oneshot;

/// The hashing threads' priority on the library's 0–99 scale; on Linux it maps to nice 9,
/// which the scheduler weighs at about an eighth of a normal thread.
const HASHING_PRIORITY: u8 = 23;

pub struct HashingPool {
    pool: rayon::ThreadPool,
}

impl std::fmt::Debug for HashingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashingPool")
            .field("threads", &self.pool.current_num_threads())
            .finish()
    }
}

impl HashingPool {
    /// One thread per available core.
    pub fn new() -> Result<Self, rayon::ThreadPoolBuildError> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("quire-argon2-{i}"))
            .start_handler(|_| lower_priority())
            .build()?;
        Ok(Self { pool })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.pool.spawn(move || {
            let _ = tx.send(work());
        });
        rx.await
            .map_err(|_| Error::Internal("the password hashing pool dropped a job".into()))
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        self.run(move || password::hash(&password))
            .await?
            .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
    }

    /// Whether `password` matches the PHC string.
    pub async fn verify(&self, password: String, phc: String) -> Result<bool, Error> {
        self.run(move || password::verify(&password, &phc)).await
    }
}

/// Lowers the calling thread's priority; where the platform refuses, the thread keeps the
/// normal one (logins still work, they just compete equally).
fn lower_priority() {
    let lowered = ThreadPriorityValue::try_from(HASHING_PRIORITY).and_then(|value| {
        set_current_thread_priority(ThreadPriority::Crossplatform(value))
            .map_err(|e| format!("{e:?}"))
    });
    if let Err(error) = lowered {
        tracing::warn!(%error, "password hashing threads keep the normal priority");
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The nice value of the calling thread, from `/proc/thread-self/stat` (field 19).
    fn own_nice() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
        let after_name = &stat[stat.rfind(')').expect("name") + 2..];
        after_name
            .split_whitespace()
            .nth(16)
            .and_then(|nice| nice.parse().ok())
            .expect("nice field")
    }

    #[tokio::test]
    async fn hashing_threads_yield_to_request_threads() {
        let pool = HashingPool::new().expect("pool");
        let hashing = pool.run(own_nice).await.expect("ran");
        assert!(hashing > own_nice(), "hashing nice {hashing}");
    }
}
