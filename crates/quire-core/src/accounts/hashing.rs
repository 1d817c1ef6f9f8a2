//! The password-hashing pool: argon2id work runs on a fixed set of threads, one per core.
//!
//! Each hash holds 19 MiB while it runs. On tokio's blocking pool a login flood would run
//! dozens at once, each thread keeping its memory afterwards (RSS grew past 1.9 GiB in the
//! benchmark); a fixed pool bounds both the memory and the CPU that logins can take from
//! every other request.

use super::password;
use crate::Error;
use tokio::sync::oneshot;

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
