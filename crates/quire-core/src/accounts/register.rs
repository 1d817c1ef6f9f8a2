//! Sign-up (F1): one transaction creates the owner, the account, its subscription, the
//! sign-up credit grant and, for a paid plan without trial, the pending payment.

use super::{email::Email, password::Password, sessions, sessions::Session};
use crate::{
    Error, Quire, ValidationErrors,
    billing::{payment_methods, payments, periods::Period},
    credits::ledger::{self, Entry},
    db::{self, begin_write},
    entities::{
        account,
        enums::{
            AccountStatus, CreditKind, PaymentMethod, PaymentPurpose, SubscriptionStatus, UserRole,
        },
        payment, plan, subscription, user,
    },
    notifications::{NotificationKind, deliver},
};
use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

const NAME_MAX: usize = 100;

/// What the sign-up form sends. Anything else in the request is ignored.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
    /// Defaults to the person's name.
    pub account_name: Option<String>,
    pub plan_id: Option<i64>,
    /// Defaults to bank transfer.
    pub payment_method: Option<PaymentMethod>,
}

#[derive(Debug, Clone)]
pub struct Registered {
    pub user: user::Model,
    pub account: account::Model,
    pub subscription: subscription::Model,
    pub plan: plan::Model,
    /// For a paid plan without trial: the bank transfer to make.
    pub payment: Option<(payment::Model, payments::PaymentInstructions)>,
    /// For a free or trial plan: the account may enter at once.
    pub session: Option<Session>,
}

struct Valid {
    email: Email,
    password: Password,
    name: String,
    account_name: String,
    plan: plan::Model,
    method: PaymentMethod,
}

pub async fn register(quire: &Quire, input: Registration) -> Result<Registered, Error> {
    let valid = validate(quire, input).await?;
    let password_hash = quire
        .hashing
        .hash(valid.password.expose().to_owned())
        .await?;

    let Created {
        user,
        account,
        subscription,
        payment,
    } = match create(quire, &valid, password_hash).await {
        Err(Error::Database(err)) if db::is_unique_violation(&err) => {
            // Two sign-ups with the same email at the same instant: the second loses here.
            return Err(email_taken());
        }
        other => other?,
    };

    let session = match account.status {
        AccountStatus::Active | AccountStatus::Trial => {
            Some(sessions::start(quire, &user, Some(&account)).await?)
        }
        _ => None,
    };
    let payment = payment.map(|payment| {
        let instructions =
            payments::PaymentInstructions::new(&quire.settings.bank_transfer, &payment);
        (payment, instructions)
    });
    if let Some((payment, instructions)) = &payment {
        deliver::to_account(
            quire,
            account.id,
            payment.plan_id,
            NotificationKind::PaymentPending {
                instructions: instructions.clone(),
            },
        )
        .await;
    }
    Ok(Registered {
        user,
        account,
        subscription,
        plan: valid.plan,
        payment,
        session,
    })
}

fn email_taken() -> Error {
    Error::Validation(ValidationErrors::single(
        "email",
        "An account with this email already exists. Log in instead.",
    ))
}

async fn validate(quire: &Quire, input: Registration) -> Result<Valid, Error> {
    let mut errors = ValidationErrors::default();

    let email = Email::parse(&input.email)
        .map_err(|message| errors.add("email", message))
        .ok();
    let password = Password::parse(&input.password, email.as_ref().map(Email::as_str))
        .map_err(|message| errors.add("password", message))
        .ok();

    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.add("name", "Enter your name.");
    } else if name.chars().count() > NAME_MAX {
        errors.add("name", "Use at most 100 characters.");
    }
    let account_name = input
        .account_name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| name.clone());
    if account_name.chars().count() > NAME_MAX {
        errors.add("account_name", "Use at most 100 characters.");
    }

    let method = input.payment_method.unwrap_or(PaymentMethod::BankTransfer);
    if !method.is_live() {
        errors.add(
            "payment_method",
            payment_methods::coming_soon_message(method),
        );
    }

    let plan = match input.plan_id {
        None => {
            errors.add("plan_id", "Choose a plan.");
            None
        }
        Some(id) => {
            let plan = plan::Entity::find_by_id(id)
                .one(&quire.db)
                .await?
                .filter(|p| p.is_active);
            if plan.is_none() {
                errors.add(
                    "plan_id",
                    "This plan does not exist or is no longer offered.",
                );
            }
            plan
        }
    };

    if let Some(email) = &email {
        let taken = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(&quire.db)
            .await?
            .is_some();
        if taken {
            errors.add(
                "email",
                "An account with this email already exists. Log in instead.",
            );
        }
    }

    match (email, password, plan, errors.is_empty()) {
        (Some(email), Some(password), Some(plan), true) => Ok(Valid {
            email,
            password,
            name,
            account_name,
            plan,
            method,
        }),
        _ => Err(Error::Validation(errors)),
    }
}

/// Where a new account starts.
struct StartingState {
    account: AccountStatus,
    subscription: SubscriptionStatus,
    /// `(start, end)` of the first period; none until a paid plan is paid.
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// SPEC F1's status rule: free → active; trial → trialing for `trial_days`; else pending payment.
fn starting_state(plan: &plan::Model, now: DateTime<Utc>) -> StartingState {
    if plan.is_free() {
        let period = Period::starting(now, plan.billing_cycle);
        StartingState {
            account: AccountStatus::Active,
            subscription: SubscriptionStatus::Active,
            period: Some((period.start, period.end)),
        }
    } else if plan.trial_days > 0 {
        let end = now + chrono::Duration::days(i64::from(plan.trial_days));
        StartingState {
            account: AccountStatus::Trial,
            subscription: SubscriptionStatus::Trialing,
            period: Some((now, end)),
        }
    } else {
        StartingState {
            account: AccountStatus::PendingPayment,
            subscription: SubscriptionStatus::PendingPayment,
            period: None,
        }
    }
}

/// The rows one sign-up writes.
struct Created {
    user: user::Model,
    account: account::Model,
    subscription: subscription::Model,
    payment: Option<payment::Model>,
}

async fn create(quire: &Quire, valid: &Valid, password_hash: String) -> Result<Created, Error> {
    let now = quire.clock.now();
    let plan = &valid.plan;
    let StartingState {
        account: account_status,
        subscription: subscription_status,
        period,
    } = starting_state(plan, now);
    let txn = begin_write(&quire.db).await?;

    let slug = unused_slug(&txn, &valid.account_name).await?;
    let account = account::ActiveModel {
        name: Set(valid.account_name.clone()),
        slug: Set(slug),
        plan_id: Set(Some(plan.id)),
        credits: Set(0),
        status: Set(account_status),
        payment_method: Set(valid.method),
        billing_email: Set(Some(valid.email.as_str().to_owned())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let user = user::ActiveModel {
        email: Set(valid.email.as_str().to_owned()),
        password_hash: Set(password_hash),
        name: Set(valid.name.clone()),
        account_id: Set(Some(account.id)),
        role: Set(UserRole::Owner),
        is_staff: Set(false),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let mut owned: account::ActiveModel = account.into();
    owned.owner_id = Set(Some(user.id));
    owned.update(&txn).await?;

    let subscription = subscription::ActiveModel {
        account_id: Set(user.account_id.unwrap_or_default()),
        plan_id: Set(plan.id),
        status: Set(subscription_status),
        payment_method: Set(valid.method),
        current_period_start: Set(period.map(|p| p.0)),
        current_period_end: Set(period.map(|p| p.1)),
        // Trials end at their own length; the first paid period sets the anchor.
        billing_anchor: Set(period.filter(|_| plan.is_free()).map(|p| p.0)),
        cancel_at_period_end: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let payment = if subscription_status == SubscriptionStatus::PendingPayment {
        Some(
            payments::create_pending(
                &txn,
                subscription.account_id,
                subscription.id,
                plan,
                valid.method,
                PaymentPurpose::Subscription,
                now,
            )
            .await?,
        )
    } else {
        None
    };

    ledger::apply(
        &txn,
        Entry {
            account_id: subscription.account_id,
            amount: plan.effective_credits_per_month(),
            kind: CreditKind::SignupGrant,
            idempotency_key: "signup".to_owned(),
            actor: "system".to_owned(),
            operation: None,
            payment_id: None,
            note: Some(format!("Sign-up grant of the {} plan", plan.name)),
        },
    )
    .await?;

    let account = account::Entity::find_by_id(subscription.account_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::Internal("account vanished during sign-up".into()))?;
    txn.commit().await?;
    Ok(Created {
        user,
        account,
        subscription,
        payment,
    })
}

/// A URL-safe slug from the account name, with a random suffix when it is taken.
async fn unused_slug(txn: &sea_orm::DatabaseTransaction, name: &str) -> Result<String, Error> {
    let mut base: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    base.truncate(60);
    if base.is_empty() {
        base = "account".to_owned();
    }
    let mut candidate = base.clone();
    loop {
        let taken = account::Entity::find()
            .filter(account::Column::Slug.eq(&candidate))
            .one(txn)
            .await?
            .is_some();
        if !taken {
            return Ok(candidate);
        }
        let suffix: u32 = rand::rng().random_range(1_000..1_000_000);
        candidate = format!("{base}-{suffix}");
    }
}
