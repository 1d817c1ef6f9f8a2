//! Typed settings: defaults, then `quire.toml`, then `QUIRE_*` environment variables.

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::SecretString;
use serde::Deserialize;
use std::path::Path;

/// Where settings come from when `QUIRE_CONFIG` does not name another file.
pub const DEFAULT_CONFIG_FILE: &str = "quire.toml";
/// The embedded default: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://quire.db?mode=rwc";

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `sqlite://…` (default: `quire.db` in the working directory) or `postgres://…`.
    pub database_url: String,
    /// Address `quire serve` listens on.
    pub bind: String,
    /// Where people reach Quire, e.g. `https://quire.example.com` behind a TLS proxy. With
    /// `https://`, page cookies are `Secure` and `__Host-` prefixed.
    pub public_url: Option<String>,
    /// HS256 signing key. Unset: one is generated once and kept in the database.
    pub jwt_secret: Option<SecretString>,
    pub access_token_ttl_seconds: u64,
    pub refresh_token_ttl_seconds: u64,
    /// Largest database pool per process.
    pub database_max_connections: u32,
    /// A request still running after this many seconds answers 408. The default leaves room
    /// for the longest `?wait=` on a job (60 s).
    pub request_timeout_seconds: u64,
    /// `pretty` (default) or `json`.
    pub log_format: LogFormat,
    pub ai_provider: AiProvider,
    pub ai_base_url: Option<String>,
    pub ai_api_key: Option<SecretString>,
    pub ai_model: Option<String>,
    /// Seconds one model call may take before it counts as timed out.
    pub ai_timeout_seconds: u64,
    /// Attempts per model call (429, 5xx and time-outs are retried with back-off).
    pub ai_max_attempts: u32,
    /// Model calls one account may have in flight at once.
    pub ai_per_account_concurrency: usize,
    /// Unset: the Stripe webhook answers 503.
    pub stripe_webhook_secret: Option<SecretString>,
    pub login_throttle: LoginThrottleSettings,
    pub rate_limits: RateLimitSettings,
    pub bank_transfer: BankTransferSettings,
    pub pricing: PricingSettings,
    pub jobs: JobSettings,
    pub billing: BillingSettings,
    /// Unset: emails are written to the log instead of sent.
    pub smtp: Option<SmtpSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: "127.0.0.1:8080".to_owned(),
            public_url: None,
            jwt_secret: None,
            access_token_ttl_seconds: 15 * 60,
            refresh_token_ttl_seconds: 14 * 24 * 60 * 60,
            database_max_connections: 16,
            request_timeout_seconds: 70,
            log_format: LogFormat::Pretty,
            ai_provider: AiProvider::Offline,
            ai_base_url: None,
            ai_api_key: None,
            ai_model: None,
            ai_timeout_seconds: 120,
            ai_max_attempts: 3,
            ai_per_account_concurrency: 2,
            stripe_webhook_secret: None,
            login_throttle: LoginThrottleSettings::default(),
            rate_limits: RateLimitSettings::default(),
            bank_transfer: BankTransferSettings::default(),
            pricing: PricingSettings::default(),
            jobs: JobSettings::default(),
            billing: BillingSettings::default(),
            smtp: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiProvider {
    /// Built-in provider that needs no model and labels its output as an offline draft.
    Offline,
    /// Any OpenAI-compatible chat API at `ai_base_url`.
    Openai,
}

/// Failed logins allowed per window before further attempts get 429.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LoginThrottleSettings {
    pub max_failures_per_email: u32,
    pub max_failures_per_address: u32,
    pub window_seconds: u64,
}

impl Default for LoginThrottleSettings {
    fn default() -> Self {
        Self {
            max_failures_per_email: 5,
            max_failures_per_address: 30,
            window_seconds: 15 * 60,
        }
    }
}

/// Requests allowed per key (client address, email or account) on this node: a burst of
/// `requests`, refilled evenly over `per_seconds` (GCRA). Over it: 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Rate {
    pub requests: u32,
    pub per_seconds: u64,
}

impl Rate {
    const fn new(requests: u32, per_seconds: u64) -> Self {
        Self {
            requests,
            per_seconds,
        }
    }
}

/// The abuse limits (docs/abuse-limits.md). Rates are counted in memory, per node.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    /// Login attempts (API, app and console) from one client address.
    pub login_per_address: Rate,
    /// Login attempts with one email, from anywhere.
    pub login_per_email: Rate,
    /// Sign-ups from one client address.
    pub register_per_address: Rate,
    /// "Forgot password" and reset-link uses from one client address.
    pub password_reset_per_address: Rate,
    /// AI operations (every request that queues an AI job) of one account.
    pub ai_per_account: Rate,
    /// Credits an account may spend on AI per UTC day when it has no ceiling of its own.
    /// Unset (default): no platform-wide ceiling.
    pub daily_ai_credit_limit: Option<i64>,
}

impl Default for RateLimitSettings {
    /// Generous: a person, an office behind one address, or the benchmark's login scenario
    /// stays well under them; they stop scripts.
    fn default() -> Self {
        Self {
            login_per_address: Rate::new(600, 60),
            login_per_email: Rate::new(60, 60),
            register_per_address: Rate::new(30, 3_600),
            password_reset_per_address: Rate::new(30, 3_600),
            ai_per_account: Rate::new(120, 60),
            daily_ai_credit_limit: None,
        }
    }
}

impl RateLimitSettings {
    fn rates(&self) -> [(&'static str, Rate); 5] {
        [
            ("login_per_address", self.login_per_address),
            ("login_per_email", self.login_per_email),
            ("register_per_address", self.register_per_address),
            (
                "password_reset_per_address",
                self.password_reset_per_address,
            ),
            ("ai_per_account", self.ai_per_account),
        ]
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (name, rate) in self.rates() {
            if rate.requests == 0 || rate.per_seconds == 0 {
                return Err(ConfigError(format!(
                    "rate_limits.{name}: requests and per_seconds must be above zero"
                )));
            }
        }
        if self.daily_ai_credit_limit.is_some_and(|limit| limit < 0) {
            return Err(ConfigError(
                "rate_limits.daily_ai_credit_limit must not be negative".into(),
            ));
        }
        Ok(())
    }
}

/// The operator's bank account that tenants pay into.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BankTransferSettings {
    pub beneficiary: String,
    pub bank_name: String,
    pub iban: String,
    pub bic: String,
    /// Shown with the details; `{reference}` is replaced by the payment's reference.
    pub instructions: String,
}

impl Default for BankTransferSettings {
    /// Example details, so a fresh install shows the whole flow; `quire serve` warns until
    /// an operator sets real ones.
    fn default() -> Self {
        Self {
            beneficiary: "Quire Example Ltd".to_owned(),
            bank_name: "Example Bank".to_owned(),
            iban: "GB33BUKB20201555555555".to_owned(),
            bic: "BUKBGB22".to_owned(),
            instructions: "Pay the amount by bank transfer and write the reference {reference} \
                           in the payment description. Your account opens as soon as we have \
                           matched the transfer, usually within one business day."
                .to_owned(),
        }
    }
}

impl BankTransferSettings {
    pub fn is_example(&self) -> bool {
        *self == Self::default()
    }
}

/// Default prices, written into the database on first start; operators change them there.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PricingSettings {
    pub models: Vec<ModelRateSettings>,
    pub operations: Vec<OperationPriceSettings>,
    /// What one credit is worth in millionths of a US dollar, for the operators' usage report
    /// (revenue and margin). Default: the Starter plan's price per credit, $29.00 for 1,000
    /// credits = 29,000.
    pub credit_value_micro_usd: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModelRateSettings {
    /// A model name, or `*` for every model without a row of its own.
    pub model: String,
    pub input_micro_usd_per_million: i64,
    pub output_micro_usd_per_million: i64,
    pub millicredits_per_1k_tokens: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OperationPriceSettings {
    pub operation: String,
    pub min_credits: i64,
    #[serde(default)]
    pub flat_credits: Option<i64>,
}

impl Default for PricingSettings {
    /// One credit per 1,000 tokens on every model; list prices for common hosted models.
    fn default() -> Self {
        let model = |name: &str, input: i64, output: i64, milli: i64| ModelRateSettings {
            model: name.to_owned(),
            input_micro_usd_per_million: input,
            output_micro_usd_per_million: output,
            millicredits_per_1k_tokens: milli,
        };
        let operation = |name: &str, min: i64, flat: Option<i64>| OperationPriceSettings {
            operation: name.to_owned(),
            min_credits: min,
            flat_credits: flat,
        };
        Self {
            models: vec![
                model("*", 0, 0, 1_000),
                model("offline-draft", 0, 0, 1_000),
                model("gpt-4o-mini", 150_000, 600_000, 1_000),
                model("gpt-4o", 2_500_000, 10_000_000, 5_000),
            ],
            operations: vec![
                operation("auto_cluster_ai", 2, None),
                operation("auto_cluster_hybrid", 1, None),
                operation("auto_cluster_local", 1, Some(1)),
                operation("generate_ideas", 2, None),
                operation("generate_article", 1, None),
                operation("regenerate_section", 1, None),
            ],
            credit_value_micro_usd: 29_000,
        }
    }
}

/// The job workers of this process.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct JobSettings {
    /// Workers `quire serve` runs in-process (0: none; run `quire worker` elsewhere).
    pub workers: usize,
    /// A running job not heard from for this long is taken as dead.
    pub lease_seconds: u64,
    /// How often an idle worker looks for work.
    pub poll_milliseconds: u64,
    /// Running jobs one account may have at once.
    pub per_account_concurrency: u32,
    /// Attempts before a job fails for good.
    pub max_attempts: i32,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            workers: 2,
            lease_seconds: 60,
            poll_milliseconds: 250,
            per_account_concurrency: 2,
            max_attempts: 3,
        }
    }
}

/// The billing job (SPEC F5): when it runs and how long it waits.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct BillingSettings {
    /// Whether `quire serve` runs the billing job on its schedule (one node at a time).
    pub scheduler: bool,
    /// Seconds between two runs of the scheduled billing job.
    pub interval_seconds: u64,
    /// Days a past-due account keeps working before it is suspended.
    pub grace_days: u32,
    /// Days before a period ends that its renewal payment is opened and announced.
    pub renewal_notice_days: u32,
}

impl Default for BillingSettings {
    fn default() -> Self {
        Self {
            scheduler: true,
            interval_seconds: 60,
            grace_days: 7,
            renewal_notice_days: 7,
        }
    }
}

/// The SMTP relay Quire sends its emails through.
#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "SmtpSettings::default_port")]
    pub port: u16,
    /// Unset: the relay is used without authentication.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    /// The sender, e.g. `Quire <billing@example.com>`.
    pub from: String,
    /// `true` (default): plain connection upgraded with STARTTLS, which is required;
    /// `false`: TLS from the first byte (SMTPS, usually port 465).
    #[serde(default = "SmtpSettings::default_starttls")]
    pub starttls: bool,
}

impl SmtpSettings {
    fn default_port() -> u16 {
        587
    }

    fn default_starttls() -> bool {
        true
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Reads `QUIRE_CONFIG` (or `quire.toml` when present) and the `QUIRE_*` variables.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("QUIRE_CONFIG").unwrap_or_else(|_| DEFAULT_CONFIG_FILE.into());
        Self::from_figment(Self::sources(Path::new(&file)))
    }

    /// `file`, then the environment: `QUIRE_A__B` is key `a.b`.
    fn sources(file: &Path) -> Figment {
        Figment::new()
            .merge(Toml::file(file))
            .merge(Env::prefixed("QUIRE_").split("__"))
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError(
                "database_url must start with sqlite: or postgres://".into(),
            ));
        }
        if self.access_token_ttl_seconds == 0 || self.refresh_token_ttl_seconds == 0 {
            return Err(ConfigError("token lifetimes must be above zero".into()));
        }
        if self.ai_provider == AiProvider::Openai
            && (self.ai_base_url.is_none() || self.ai_model.is_none())
        {
            return Err(ConfigError(
                "ai_provider = \"openai\" needs ai_base_url and ai_model".into(),
            ));
        }
        if self.jobs.lease_seconds < 5 || self.jobs.per_account_concurrency == 0 {
            return Err(ConfigError(
                "jobs.lease_seconds must be at least 5 and jobs.per_account_concurrency above zero"
                    .into(),
            ));
        }
        if self.billing.interval_seconds == 0 || self.billing.grace_days > 365 {
            return Err(ConfigError(
                "billing.interval_seconds must be above zero and billing.grace_days at most 365"
                    .into(),
            ));
        }
        if self.billing.renewal_notice_days > 28 {
            return Err(ConfigError(
                "billing.renewal_notice_days must be at most 28, shorter than a month".into(),
            ));
        }
        if let Some(smtp) = &self.smtp {
            if smtp.host.trim().is_empty() {
                return Err(ConfigError("smtp.host must not be empty".into()));
            }
            if smtp.from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(ConfigError(
                    "smtp.from must be an address like `Quire <billing@example.com>`".into(),
                ));
            }
            if smtp.username.is_some() != smtp.password.is_some() {
                return Err(ConfigError(
                    "smtp.username and smtp.password go together".into(),
                ));
            }
        }
        if self.pricing.credit_value_micro_usd < 0 {
            return Err(ConfigError(
                "pricing.credit_value_micro_usd must not be negative".into(),
            ));
        }
        self.rate_limits.validate()?;
        if self.request_timeout_seconds == 0 {
            return Err(ConfigError(
                "request_timeout_seconds must be above zero".into(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError(
                "database_max_connections must be above zero".into(),
            ));
        }
        Ok(())
    }

    pub fn is_postgres(&self) -> bool {
        !self.database_url.starts_with("sqlite:")
    }

    /// Whether pages are served over TLS (`public_url` is `https://…`).
    pub fn serves_tls(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// `path` (from `/`) as a link for an email: under `public_url`, else under the bind
    /// address (a local install). Never built from a request's `Host`, which a caller chooses.
    pub fn link_to(&self, path: &str) -> String {
        match self.public_url.as_deref() {
            Some(base) => format!("{}{path}", base.trim_end_matches('/')),
            None => format!("http://{}{path}", self.bind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Serialized;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_use_sqlite_in_the_working_directory() {
        let settings = Settings::from_figment(Figment::new()).expect("defaults are valid");
        assert_eq!(settings.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(settings.access_token_ttl_seconds, 900);
        assert!(!settings.is_postgres());
    }

    #[test]
    fn nested_values_and_secrets_are_read() {
        let figment = Figment::new()
            .merge(Serialized::default("jwt_secret", "s3cret-value"))
            .merge(Serialized::default("login_throttle.window_seconds", 60));
        let settings = Settings::from_figment(figment).expect("valid");
        assert_eq!(settings.login_throttle.window_seconds, 60);
        let secret = settings.jwt_secret.as_ref().expect("set");
        assert_eq!(secret.expose_secret(), "s3cret-value");
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let figment = Figment::new()
            .merge(Serialized::default("jwt_secret", "s3cret-value"))
            .merge(Serialized::default("ai_api_key", "sk-live-key"));
        let settings = Settings::from_figment(figment).expect("valid");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("s3cret-value"));
        assert!(!printed.contains("sk-live-key"));
    }

    #[test]
    fn smtp_is_off_by_default_and_read_from_nested_keys() {
        let settings = Settings::from_figment(Figment::new()).expect("defaults are valid");
        assert!(settings.smtp.is_none());
        let figment = Figment::new()
            .merge(Serialized::default("smtp.host", "smtp.example.com"))
            .merge(Serialized::default(
                "smtp.from",
                "Quire <billing@example.com>",
            ))
            .merge(Serialized::default("smtp.username", "quire"))
            .merge(Serialized::default("smtp.password", "smtp-pass-word"));
        let settings = Settings::from_figment(figment).expect("valid");
        let smtp = settings.smtp.as_ref().expect("set");
        assert_eq!(smtp.host, "smtp.example.com");
        assert_eq!(smtp.port, 587);
        assert!(smtp.starttls);
        assert_eq!(
            smtp.password.as_ref().map(|p| p.expose_secret()),
            Some("smtp-pass-word")
        );
        assert!(!format!("{settings:?}").contains("smtp-pass-word"));
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail's closure returns figment's own error"
    )]
    fn smtp_environment_variables_use_the_nested_key_pattern() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("QUIRE_SMTP__HOST", "mail.example.com");
            jail.set_env("QUIRE_SMTP__PORT", "465");
            jail.set_env("QUIRE_SMTP__FROM", "billing@example.com");
            jail.set_env("QUIRE_SMTP__STARTTLS", "false");
            let settings =
                Settings::from_figment(Settings::sources(Path::new("absent.toml"))).expect("valid");
            let smtp = settings.smtp.expect("set");
            assert_eq!((smtp.host.as_str(), smtp.port), ("mail.example.com", 465));
            assert!(!smtp.starttls);
            Ok(())
        });
    }

    #[test]
    fn incomplete_smtp_settings_are_refused() {
        let host_only = Figment::new().merge(Serialized::default("smtp.host", "smtp.example.com"));
        assert!(Settings::from_figment(host_only).is_err());
        let bad_from = Figment::new()
            .merge(Serialized::default("smtp.host", "smtp.example.com"))
            .merge(Serialized::default("smtp.from", "not an address"));
        assert!(Settings::from_figment(bad_from).is_err());
        let user_without_password = Figment::new()
            .merge(Serialized::default("smtp.host", "smtp.example.com"))
            .merge(Serialized::default("smtp.from", "billing@example.com"))
            .merge(Serialized::default("smtp.username", "quire"));
        assert!(Settings::from_figment(user_without_password).is_err());
    }

    #[test]
    fn a_credit_is_worth_the_starter_price_per_credit_unless_set() {
        let settings = Settings::from_figment(Figment::new()).expect("defaults are valid");
        assert_eq!(settings.pricing.credit_value_micro_usd, 29_000);
        let figment =
            Figment::new().merge(Serialized::default("pricing.credit_value_micro_usd", -1));
        assert!(Settings::from_figment(figment).is_err());
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail's closure returns figment's own error"
    )]
    fn rate_limits_are_read_from_nested_environment_variables_and_checked() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("QUIRE_RATE_LIMITS__LOGIN_PER_ADDRESS__REQUESTS", "3");
            jail.set_env("QUIRE_RATE_LIMITS__LOGIN_PER_ADDRESS__PER_SECONDS", "10");
            jail.set_env("QUIRE_RATE_LIMITS__DAILY_AI_CREDIT_LIMIT", "500");
            let settings =
                Settings::from_figment(Settings::sources(Path::new("absent.toml"))).expect("valid");
            let limits = settings.rate_limits;
            assert_eq!(limits.login_per_address, Rate::new(3, 10));
            assert_eq!(limits.login_per_email, Rate::new(60, 60));
            assert_eq!(limits.daily_ai_credit_limit, Some(500));
            Ok(())
        });
        let defaults = Settings::from_figment(Figment::new()).expect("defaults are valid");
        assert_eq!(defaults.rate_limits.daily_ai_credit_limit, None);
        let zero = Figment::new().merge(Toml::string(
            "[rate_limits]\nai_per_account = { requests = 0, per_seconds = 60 }",
        ));
        assert!(Settings::from_figment(zero).is_err());
        let negative =
            Figment::new().merge(Serialized::default("rate_limits.daily_ai_credit_limit", -1));
        assert!(Settings::from_figment(negative).is_err());
    }

    #[test]
    fn an_unknown_database_scheme_is_refused() {
        let figment = Figment::new().merge(Serialized::default("database_url", "mysql://x"));
        assert!(Settings::from_figment(figment).is_err());
    }

    #[test]
    fn openai_without_a_model_is_refused() {
        let figment = Figment::new().merge(Serialized::default("ai_provider", "openai"));
        assert!(Settings::from_figment(figment).is_err());
    }
}
