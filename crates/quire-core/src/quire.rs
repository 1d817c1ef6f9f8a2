//! `Quire`: the services' shared context (database, settings, keys, limits), opened once.

use crate::{
    accounts::{hashing::HashingPool, throttle::LoginThrottle, tokens::TokenKeys},
    ai::AiClient,
    billing::catalogue,
    clock::Clock,
    config::Settings,
    credits,
    db::{self, Db},
    notifications::{MailError, Mailer},
    rate_limits::RateLimits,
    reference,
};

pub struct Quire {
    pub db: Db,
    pub settings: Settings,
    pub keys: TokenKeys,
    pub login_throttle: LoginThrottle,
    /// Request rates per address, email and account (in memory, per node).
    pub rate_limits: RateLimits,
    pub hashing: HashingPool,
    /// The configured model provider (offline by default), with retries and per-account caps.
    pub ai: AiClient,
    /// Where billing reads the time; tests replace it with a manual clock.
    pub clock: Clock,
    /// Where billing emails go (SMTP, the log, or an in-memory outbox in tests).
    pub mailer: Mailer,
    /// Statements sent to the database so far.
    pub statements: db::StatementCount,
    /// Verified against when the email is unknown, so both failures take the same time.
    pub(crate) dummy_password_hash: String,
}

impl std::fmt::Debug for Quire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quire")
            .field("settings", &self.settings)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("AI provider: {0}")]
    Ai(#[from] crate::ai::AiError),
    #[error("reference data: {0}")]
    Reference(#[from] reference::starter::StarterError),
    #[error("signing key: {0}")]
    Keys(#[from] crate::accounts::tokens::KeyError),
    #[error("email: {0}")]
    Mail(#[from] MailError),
    #[error("preparing the password hasher: {0}")]
    Hasher(String),
}

impl Quire {
    /// Connects, applies migrations, seeds the default catalogue on an empty database and
    /// loads (or generates once) the signing key.
    pub async fn open(settings: Settings) -> Result<Self, OpenError> {
        let mut db = db::connect(&settings.database_url, settings.database_max_connections).await?;
        let statements = db::count_statements(&mut db);
        db::migrate(&db).await?;
        if catalogue::seed_if_empty(&db).await? {
            tracing::info!("seeded the default plan catalogue");
        }
        let started = std::time::Instant::now();
        if reference::starter::seed_if_empty(&db).await? {
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis(),
                "loaded the starter reference data"
            );
        }
        credits::pricing::seed_if_empty(&db, &settings.pricing).await?;
        let keys = TokenKeys::load(&settings, &db).await?;
        let ai = AiClient::from_settings(&settings)?;
        let mailer = Mailer::new(settings.smtp.as_ref())?;
        let hashing = HashingPool::new().map_err(|e| OpenError::Hasher(e.to_string()))?;
        let dummy_password_hash = hashing
            .hash("timing-equaliser-not-a-password".to_owned())
            .await
            .map_err(|e| OpenError::Hasher(e.to_string()))?;
        Ok(Self {
            ai,
            clock: Clock::system(),
            mailer,
            statements,
            hashing,
            login_throttle: LoginThrottle::new(settings.login_throttle.clone()),
            rate_limits: RateLimits::new(&settings.rate_limits),
            db,
            settings,
            keys,
            dummy_password_hash,
        })
    }
}
