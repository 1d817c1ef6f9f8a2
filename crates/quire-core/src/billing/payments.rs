//! Payments: creating a pending bank-transfer payment, telling the payer how to pay it, the
//! payer's report of the transfer, and an operator's rejection.

use super::reference;
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    config::BankTransferSettings,
    db::{Db, begin_write},
    entities::{
        account,
        enums::{PaymentMethod, PaymentPurpose, PaymentStatus},
        payment, plan, user,
    },
    listing::{self, Page, PageRequest, SortKeys},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// What a payer needs to make a bank transfer for one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentInstructions {
    pub payment_id: i64,
    pub method: PaymentMethod,
    /// Write this on the transfer.
    pub reference: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// The amount as people read it, e.g. `29.00 USD`.
    pub amount_display: String,
    pub beneficiary: String,
    pub bank_name: String,
    pub iban: String,
    pub bic: String,
    pub text: String,
}

impl PaymentInstructions {
    pub fn new(bank: &BankTransferSettings, payment: &payment::Model) -> Self {
        Self {
            payment_id: payment.id,
            method: payment.method,
            reference: payment.reference.clone(),
            amount: payment.amount,
            currency: payment.currency.clone(),
            amount_display: format_amount(payment.amount, &payment.currency),
            beneficiary: bank.beneficiary.clone(),
            bank_name: bank.bank_name.clone(),
            iban: bank.iban.clone(),
            bic: bank.bic.clone(),
            text: bank.instructions.replace("{reference}", &payment.reference),
        }
    }
}

/// `2900, "USD"` → `29.00 USD` (every catalogue currency has two decimals).
pub fn format_amount(minor: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", minor / 100, (minor % 100).abs())
}

/// `"29.00"` (also `"29"`, `"29.5"`, `"-3.10"`) → `2900` minor units, exactly: digits, an
/// optional leading `-`, at most two decimals after a `.`. `None` for anything else (more
/// decimals, other characters, beyond `i64`); the range is the caller's rule.
pub fn parse_amount(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
        Some(_) => return None,
        None => (digits, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || fraction.len() > 2 || !all_digits(fraction) {
        return None;
    }
    let cents = format!("{fraction:0<2}").parse::<i64>().ok()?;
    let minor = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    Some(if negative { -minor } else { minor })
}

/// Creates a pending payment for one period of `plan` (or a switch to it), with a fresh unique
/// reference.
pub async fn create_pending(
    conn: &impl ConnectionTrait,
    account_id: i64,
    subscription_id: i64,
    plan: &plan::Model,
    method: PaymentMethod,
    purpose: PaymentPurpose,
    now: DateTime<Utc>,
) -> Result<payment::Model, DbErr> {
    payment::ActiveModel {
        account_id: Set(account_id),
        subscription_id: Set(Some(subscription_id)),
        plan_id: Set(plan.id),
        amount: Set(plan.price),
        currency: Set(plan.currency.clone()),
        method: Set(method),
        status: Set(PaymentStatus::Pending),
        purpose: Set(purpose),
        // 40 random bits: a clash is astronomically rare, and the unique index refuses one.
        reference: Set(reference::generate()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// The account's oldest pending payment, if any: the one a pending account must pay.
pub async fn oldest_pending(db: &Db, account_id: i64) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::AccountId.eq(account_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .order_by_asc(payment::Column::Id)
        .one(db)
        .await
}

/// What a payer reports about the transfer they made.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TransferNotice {
    /// The name on the paying account.
    pub payer_name: String,
    /// The paying bank.
    pub bank: String,
    /// The bank's own reference for the transfer, if it gave one.
    #[serde(default)]
    pub transfer_reference: Option<String>,
    /// When the transfer was made (RFC 3339).
    pub transfer_date: DateTime<Utc>,
}

/// A payment as operators list it: with the account's name and its owner's email.
#[derive(Debug, Clone)]
pub struct PayingAccount {
    pub payment: payment::Model,
    pub account_name: String,
    pub owner_email: Option<String>,
}

/// Payments listed for an operator; `status` filters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentFilter {
    pub status: Option<PaymentStatus>,
    pub account_id: Option<i64>,
}

const SORT_KEYS: SortKeys<payment::Column> = &[
    ("id", payment::Column::Id),
    ("created_at", payment::Column::CreatedAt),
    ("amount", payment::Column::Amount),
];

/// The caller's payments, newest first.
pub async fn list_own(
    db: &Db,
    tenant: &Tenant,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<payment::Model>, Error> {
    let ordering =
        listing::parse_ordering_or(ordering, SORT_KEYS, (payment::Column::Id, Order::Desc))?;
    let select = payment::Entity::find().filter(payment::Column::AccountId.eq(tenant.account.id));
    listing::fetch_page(db, select, &ordering, page).await
}

/// Every account's payments, for operators, newest first.
pub async fn list_all(
    db: &Db,
    filter: PaymentFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<PayingAccount>, Error> {
    let ordering =
        listing::parse_ordering_or(ordering, SORT_KEYS, (payment::Column::Id, Order::Desc))?;
    let mut select = payment::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(payment::Column::Status.eq(status));
    }
    if let Some(account_id) = filter.account_id {
        select = select.filter(payment::Column::AccountId.eq(account_id));
    }
    let page = listing::fetch_page(db, select, &ordering, page).await?;
    let account_ids: Vec<i64> = page.items.iter().map(|p| p.account_id).collect();
    let accounts: HashMap<i64, account::Model> = account::Entity::find()
        .filter(account::Column::Id.is_in(account_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let owner_ids: Vec<i64> = accounts.values().filter_map(|a| a.owner_id).collect();
    let owners: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(owner_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(page.map(|payment| {
        let account = accounts.get(&payment.account_id);
        PayingAccount {
            account_name: account.map(|a| a.name.clone()).unwrap_or_default(),
            owner_email: account
                .and_then(|a| a.owner_id)
                .and_then(|id| owners.get(&id).cloned()),
            payment,
        }
    }))
}

/// Records the payer's report of a transfer on one of their pending payments; the operator
/// sees it when confirming. A payment that is no longer pending is a conflict.
pub async fn notify(
    db: &Db,
    tenant: &Tenant,
    id: i64,
    notice: TransferNotice,
    now: DateTime<Utc>,
) -> Result<payment::Model, Error> {
    let notice = checked(notice, now)?;
    let current = get_own(db, tenant, id).await?;
    record(db, current, notice, now).await
}

/// The caller's payment `id`; another account's is `NotFound`.
pub async fn get_own(db: &Db, tenant: &Tenant, id: i64) -> Result<payment::Model, Error> {
    payment::Entity::find_by_id(id)
        .filter(payment::Column::AccountId.eq(tenant.account.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// A transfer reported by someone who cannot sign in yet (an account waiting for its first
/// payment): the payment's reference and the account's email stand in for a session.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TransferByReference {
    /// The payment's reference, as written on the transfer.
    pub reference: String,
    /// The email the account signed up with (or its billing email).
    pub email: String,
    #[serde(flatten)]
    pub notice: TransferNotice,
}

/// Records a transfer reported by payment reference and account email. A reference that does
/// not exist and an email that does not match get the same 404, so neither can be probed.
pub async fn notify_by_reference(
    db: &Db,
    report: TransferByReference,
    now: DateTime<Utc>,
) -> Result<payment::Model, Error> {
    let notice = checked(report.notice, now)?;
    let reference = reference::canonical(&report.reference).ok_or_else(|| {
        Error::Validation(ValidationErrors::single(
            "reference",
            "This is not a Quire payment reference; it looks like QR-XXXX-XXXX-X.",
        ))
    })?;
    let current = payment::Entity::find()
        .filter(payment::Column::Reference.eq(reference))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let account = account::Entity::find_by_id(current.account_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let owner = match account.owner_id {
        Some(owner_id) => user::Entity::find_by_id(owner_id).one(db).await?,
        None => None,
    };
    let email = report.email.trim();
    let matches = |address: &str| address.eq_ignore_ascii_case(email);
    if !(account.billing_email.as_deref().is_some_and(matches)
        || owner.is_some_and(|owner| matches(&owner.email)))
    {
        return Err(Error::NotFound);
    }
    record(db, current, notice, now).await
}

/// A transfer notice with its fields checked and tidied.
struct CheckedNotice {
    payer_name: String,
    bank: String,
    reference: Option<String>,
    transfer_date: DateTime<Utc>,
}

fn checked(notice: TransferNotice, now: DateTime<Utc>) -> Result<CheckedNotice, Error> {
    let mut errors = ValidationErrors::default();
    let payer_name = crate::text::one_line(&notice.payer_name);
    let bank = crate::text::one_line(&notice.bank);
    let reference = notice
        .transfer_reference
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if payer_name.is_empty() || payer_name.chars().count() > 200 {
        errors.add(
            "payer_name",
            "Give the name on the paying account (at most 200 characters).",
        );
    }
    if bank.is_empty() || bank.chars().count() > 200 {
        errors.add("bank", "Give the paying bank (at most 200 characters).");
    }
    if reference.as_ref().is_some_and(|r| r.chars().count() > 200) {
        errors.add("transfer_reference", "At most 200 characters.");
    }
    if notice.transfer_date > now + chrono::Duration::days(1) {
        errors.add("transfer_date", "The transfer date is in the future.");
    }
    errors.into_result()?;
    Ok(CheckedNotice {
        payer_name,
        bank,
        reference,
        transfer_date: notice.transfer_date,
    })
}

async fn record(
    db: &Db,
    current: payment::Model,
    notice: CheckedNotice,
    now: DateTime<Utc>,
) -> Result<payment::Model, Error> {
    if current.status != PaymentStatus::Pending {
        return Err(Error::Conflict(
            "This payment is no longer waiting for a transfer.".to_owned(),
        ));
    }
    let mut row: payment::ActiveModel = current.into();
    row.payer_name = Set(Some(notice.payer_name));
    row.payer_bank = Set(Some(notice.bank));
    row.payer_transaction_ref = Set(notice.reference);
    row.transfer_date = Set(Some(notice.transfer_date));
    row.notified_at = Set(Some(now));
    row.updated_at = Set(now);
    Ok(row.update(db).await?)
}

/// An operator refuses a pending payment (the transfer never arrived, or not in full); the
/// account stays where it is. Audited. A payment that is not pending is a conflict.
pub async fn reject(
    db: &Db,
    id: i64,
    operator_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<payment::Model, Error> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 1_000 {
        return Err(Error::Validation(ValidationErrors::single(
            "note",
            "Say why the payment is rejected (at most 1,000 characters).",
        )));
    }
    let account_id = payment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?
        .account_id;
    let txn = begin_write(db).await?;
    // Serialised with `apply_payment` by the same lock, taken first.
    crate::tenancy::lock_account(&txn, account_id).await?;
    let current = payment::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if current.status != PaymentStatus::Pending {
        return Err(Error::Conflict(
            "Only a pending payment can be rejected.".to_owned(),
        ));
    }
    let before = current.status;
    let mut row: payment::ActiveModel = current.into();
    row.status = Set(PaymentStatus::Failed);
    row.note = Set(Some(note.to_owned()));
    row.confirmed_by = Set(Some(operator_id));
    row.updated_at = Set(now);
    let rejected = row.update(&txn).await?;
    crate::audit::record(
        &txn,
        crate::audit::Entry {
            actor: &format!("user:{operator_id}"),
            action: "payment.rejected",
            object_type: "payment",
            object_id: Some(rejected.id),
            account_id: Some(rejected.account_id),
            before: Some(serde_json::json!({"status": before})),
            after: Some(serde_json::json!({"status": rejected.status, "note": note})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_major_units() {
        assert_eq!(format_amount(2900, "USD"), "29.00 USD");
        assert_eq!(format_amount(199_005, "EUR"), "1990.05 EUR");
        assert_eq!(format_amount(0, "USD"), "0.00 USD");
    }

    #[test]
    fn decimal_amounts_become_exact_minor_units() {
        for (text, minor) in [
            ("29.00", 2_900),
            (" 29 ", 2_900),
            ("29.5", 2_950),
            ("0.05", 5),
            ("1990.05", 199_005),
            ("-3.10", -310),
            ("0", 0),
        ] {
            assert_eq!(parse_amount(text), Some(minor), "{text}");
        }
        for text in [
            "29.005",
            "29.",
            ".5",
            "",
            "-",
            "29,00",
            "1e3",
            "+5",
            "2 9",
            "29.0a",
            "--1",
            "99999999999999999999",
        ] {
            assert_eq!(parse_amount(text), None, "{text:?}");
        }
        assert_eq!(
            parse_amount(&format_amount(123_456, "EUR").replace(" EUR", "")),
            Some(123_456)
        );
    }
}
