//! Job workers: claim a job, run its kind's handler with a heartbeat that keeps the lease,
//! then settle, retry or refund; plus the sweep that recovers jobs of dead workers.

use super::queue;
use crate::{
    Error, Quire,
    ai::{ChatRequest, ChatResponse},
    credits::usage::{self, Call},
    entities::{ai_usage_log, job},
};
use chrono::Duration;
use sea_orm::{DatabaseTransaction, EntityTrait};
use serde::de::DeserializeOwned;
use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
};
use tokio::{sync::watch, task::JoinSet};

/// How a handler's run ended, when not with a result.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (model time-out, rate limit, database blip).
    #[error("{0}")]
    Retryable(String),
    /// Another attempt would fail the same way (bad input, invalid model output twice).
    #[error("{0}")]
    Fatal(String),
    /// The tenant cancelled the job.
    #[error("canceled")]
    Canceled,
    /// Another worker took the job over; this one must stop without writing.
    #[error("lease lost")]
    LeaseLost,
}

impl From<Error> for JobError {
    fn from(err: Error) -> Self {
        JobError::Retryable(err.to_string())
    }
}

/// One kind of job (an AI operation).
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, ctx: &JobContext) -> Result<serde_json::Value, JobError>;
}

/// The handlers by job kind.
#[derive(Clone, Default)]
pub struct Handlers(HashMap<String, Arc<dyn JobHandler>>);

impl Handlers {
    pub fn with(mut self, kind: &str, handler: Arc<dyn JobHandler>) -> Self {
        self.0.insert(kind.to_owned(), handler);
        self
    }
}

/// What a handler sees of its job: the input, progress reporting, and the running charge.
pub struct JobContext {
    pub quire: Arc<Quire>,
    pub job: job::Model,
    lease: Duration,
    charged: AtomicI64,
    /// The handler ended the job itself, with its results ([`JobContext::succeed_with`]).
    ended: AtomicBool,
}

impl JobContext {
    pub fn input<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_str(&self.job.input)
            .map_err(|e| JobError::Fatal(format!("the job's input is not valid: {e}")))
    }

    /// Reports progress (0–100) and renews the lease; `Err(Canceled)` once a cancel is asked.
    pub async fn progress(&self, percent: i32, message: &str) -> Result<(), JobError> {
        if queue::heartbeat(
            &self.quire.db,
            &self.job,
            self.lease,
            Some((percent, message)),
        )
        .await?
        {
            Ok(())
        } else {
            Err(self.why_stopped().await)
        }
    }

    async fn why_stopped(&self) -> JobError {
        match crate::entities::job::Entity::find_by_id(self.job.id)
            .one(&self.quire.db)
            .await
        {
            Ok(Some(current))
                if current.cancel_requested && current.attempts == self.job.attempts =>
            {
                JobError::Canceled
            }
            _ => JobError::LeaseLost,
        }
    }

    /// Logs a model call of this job and adds its credits to the job's charge.
    pub async fn record_call(&self, call: Call<'_>) -> Result<ai_usage_log::Model, JobError> {
        let row = usage::record(&self.quire.db, call).await?;
        self.charged
            .fetch_add(row.credits_charged, Ordering::SeqCst);
        Ok(row)
    }

    /// Calls the model for this job's account, logs the call (a failed one too, with no
    /// charge) and adds its credits to the job's charge. Rate limits, server errors and
    /// time-outs that outlast the client's retries end the attempt as retryable.
    pub async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, JobError> {
        let ai = &self.quire.ai;
        let started = std::time::Instant::now();
        match ai.complete(self.job.account_id, request).await {
            Ok(response) => {
                self.record_call(Call {
                    account_id: self.job.account_id,
                    user_id: self.job.user_id,
                    job_id: Some(self.job.id),
                    operation: &request.operation,
                    provider: response.provider,
                    model: &response.model,
                    input_tokens: response.input_tokens,
                    output_tokens: response.output_tokens,
                    latency_ms: i64::try_from(response.latency.as_millis()).unwrap_or(i64::MAX),
                    error: None,
                })
                .await?;
                Ok(response)
            }
            Err(err) => {
                let message = err.to_string();
                self.record_call(Call {
                    account_id: self.job.account_id,
                    user_id: self.job.user_id,
                    job_id: Some(self.job.id),
                    operation: &request.operation,
                    provider: ai.provider_name(),
                    model: ai.model(),
                    input_tokens: 0,
                    output_tokens: 0,
                    latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
                    error: Some(&message),
                })
                .await?;
                Err(if err.is_retryable() {
                    JobError::Retryable(message)
                } else {
                    JobError::Fatal(message)
                })
            }
        }
    }

    /// Like [`complete`](Self::complete) for a JSON answer: when the model's answer does not
    /// parse, it is asked once more (both calls are logged); a second invalid answer fails the
    /// job, which returns its credits.
    pub async fn complete_json(
        &self,
        request: &ChatRequest,
    ) -> Result<(serde_json::Value, ChatResponse), JobError> {
        let first = self.complete(request).await?;
        if let Ok(value) = serde_json::from_str(&first.content) {
            return Ok((value, first));
        }
        let mut again = request.clone();
        again.user.push_str(
            "\n\nYour previous answer was not valid JSON. Answer with one JSON object only.",
        );
        let second = self.complete(&again).await?;
        match serde_json::from_str(&second.content) {
            Ok(value) => Ok((value, second)),
            Err(err) => Err(JobError::Fatal(format!(
                "the model's answer was not valid JSON, twice ({err})"
            ))),
        }
    }

    /// Credits this run has charged so far.
    pub fn charged(&self) -> i64 {
        self.charged.load(Ordering::SeqCst)
    }

    /// Ends the job with `result` in `results` (the handler's transaction from
    /// [`queue::results_transaction`]), committing the results, the charge and the job's end
    /// together. `Err(LeaseLost)`, with nothing written, when another worker took the job.
    pub async fn succeed_with(
        &self,
        results: DatabaseTransaction,
        result: serde_json::Value,
    ) -> Result<serde_json::Value, JobError> {
        queue::succeed_with_results(results, &self.job, &result, self.charged())
            .await?
            .ok_or(JobError::LeaseLost)?;
        self.ended.store(true, Ordering::SeqCst);
        Ok(result)
    }
}

/// Starts `count` workers and the sweeper; they stop when `shutdown` turns true.
pub fn spawn(
    quire: Arc<Quire>,
    handlers: Handlers,
    count: usize,
    shutdown: watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let handlers = Arc::new(handlers);
    for n in 0..count {
        let worker_id = format!("{}-{n}", uuid::Uuid::new_v4().simple());
        set.spawn(work(
            quire.clone(),
            handlers.clone(),
            worker_id,
            shutdown.clone(),
        ));
    }
    if count > 0 {
        set.spawn(sweep_forever(quire, shutdown));
    }
    set
}

fn lease(quire: &Quire) -> Duration {
    Duration::seconds(i64::try_from(quire.settings.jobs.lease_seconds).unwrap_or(60))
}

async fn work(
    quire: Arc<Quire>,
    handlers: Arc<Handlers>,
    worker_id: String,
    mut shutdown: watch::Receiver<bool>,
) {
    let poll = std::time::Duration::from_millis(quire.settings.jobs.poll_milliseconds);
    while !*shutdown.borrow() {
        let claimed = queue::claim(
            &quire.db,
            &worker_id,
            lease(&quire),
            quire.settings.jobs.per_account_concurrency,
        )
        .await;
        match claimed {
            Ok(Some(job)) => run_one(&quire, &handlers, job).await,
            Ok(None) => {
                tokio::select! {
                    () = tokio::time::sleep(poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "claiming a job failed");
                tokio::time::sleep(poll).await;
            }
        }
    }
}

/// Runs one claimed job to its end, keeping its lease alive while the handler works.
pub async fn run_one(quire: &Arc<Quire>, handlers: &Handlers, job: job::Model) {
    let ctx = Arc::new(JobContext {
        quire: quire.clone(),
        job: job.clone(),
        lease: lease(quire),
        charged: AtomicI64::new(0),
        ended: AtomicBool::new(false),
    });
    let outcome = match handlers.0.get(&job.kind) {
        None => Err(JobError::Fatal(format!(
            "no handler for jobs of kind {}",
            job.kind
        ))),
        Some(handler) => {
            let beat = ctx.lease / 3;
            let interval = beat.to_std().unwrap_or(std::time::Duration::from_secs(20));
            let keep_alive = async {
                loop {
                    tokio::time::sleep(interval).await;
                    match queue::heartbeat(&quire.db, &job, ctx.lease, None).await {
                        Ok(true) => {}
                        Ok(false) => return ctx.why_stopped().await,
                        Err(err) => tracing::warn!(job = job.id, error = %err, "heartbeat failed"),
                    }
                }
            };
            tokio::select! {
                result = handler.run(&ctx) => result,
                stopped = keep_alive => Err(stopped),
            }
        }
    };
    let written = match outcome {
        Ok(_) if ctx.ended.load(Ordering::SeqCst) => Ok(()),
        Ok(result) => queue::succeed(&quire.db, &job, &result, ctx.charged())
            .await
            .map(|_| ()),
        Err(JobError::Canceled) => queue::acknowledge_cancel(&quire.db, &job).await,
        Err(JobError::LeaseLost) => Ok(()),
        Err(JobError::Retryable(message)) => queue::fail(&quire.db, &job, &message, true)
            .await
            .map(|_| ()),
        Err(JobError::Fatal(message)) => queue::fail(&quire.db, &job, &message, false)
            .await
            .map(|_| ()),
    };
    if let Err(err) = written {
        // The lease will expire and the sweep will retry or refund the job.
        tracing::error!(job = job.id, error = %err, "recording a job's end failed");
    }
}

async fn sweep_forever(quire: Arc<Quire>, mut shutdown: watch::Receiver<bool>) {
    let every = std::time::Duration::from_secs((quire.settings.jobs.lease_seconds / 2).max(1));
    while !*shutdown.borrow() {
        match queue::sweep(&quire.db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "recovered jobs whose worker stopped responding"),
            Err(err) => tracing::warn!(error = %err, "sweeping expired jobs failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
