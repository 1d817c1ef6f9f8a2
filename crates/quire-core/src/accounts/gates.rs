//! The gates a user passes to enter the app, the same at login and on every request.

use crate::{
    Error, Gate, Quire,
    billing::payments::{self, PaymentInstructions},
    entities::{
        account,
        enums::{AccountStatus, SuspensionReason},
        plan, user,
    },
};
use chrono::{DateTime, Utc};

/// Checks the user, their account, its plan and its status, in the order of SPEC F2.
/// Operators pass without an account.
pub fn check(
    user: &user::Model,
    account: Option<&account::Model>,
    plan: Option<&plan::Model>,
    now: DateTime<Utc>,
) -> Result<(), Gate> {
    if !user.is_active {
        return Err(Gate::UserInactive);
    }
    if user.is_staff {
        return Ok(());
    }
    let Some(account) = account else {
        return Err(Gate::AccountNotConfigured);
    };
    if !plan.is_some_and(|plan| plan.is_active) {
        return Err(Gate::SubscriptionRequired);
    }
    match account.status {
        AccountStatus::Active | AccountStatus::Trial => Ok(()),
        AccountStatus::PastDue => match account.grace_period_ends_at {
            Some(end) if now >= end => Err(Gate::SubscriptionRequired),
            _ => Ok(()),
        },
        AccountStatus::PendingPayment => Err(Gate::PaymentPending(None)),
        AccountStatus::Suspended => match account.suspension_reason {
            Some(SuspensionReason::Operator) => Err(Gate::AccountSuspended),
            _ => Err(Gate::SubscriptionRequired),
        },
        AccountStatus::Cancelled => Err(Gate::SubscriptionRequired),
        AccountStatus::Deleted => Err(Gate::AccountNotConfigured),
    }
}

/// Like [`check`], and a pending payment's refusal carries what to pay and how.
pub async fn enforce(
    quire: &Quire,
    user: &user::Model,
    account: Option<&account::Model>,
    plan: Option<&plan::Model>,
) -> Result<(), Error> {
    match check(user, account, plan, Utc::now()) {
        Err(Gate::PaymentPending(_)) => {
            let account_id = account.map(|a| a.id).unwrap_or_default();
            let instructions =
                payments::oldest_pending(&quire.db, account_id)
                    .await?
                    .map(|payment| {
                        Box::new(PaymentInstructions::new(
                            &quire.settings.bank_transfer,
                            &payment,
                        ))
                    });
            Err(Error::Gate(Gate::PaymentPending(instructions)))
        }
        other => other.map_err(Error::Gate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::enums::{BillingCycle, CreditPolicy, PaymentMethod, UserRole};
    use chrono::Duration;

    fn user() -> user::Model {
        user::Model {
            id: 1,
            email: "a@example.com".into(),
            password_hash: String::new(),
            name: "A".into(),
            account_id: Some(1),
            role: UserRole::Owner,
            is_staff: false,
            is_active: true,
            last_login_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn account(status: AccountStatus) -> account::Model {
        account::Model {
            id: 1,
            name: "A".into(),
            slug: "a".into(),
            owner_id: Some(1),
            plan_id: Some(1),
            credits: 0,
            status,
            suspension_reason: None,
            payment_method: PaymentMethod::BankTransfer,
            billing_email: None,
            billing_name: None,
            billing_address: None,
            billing_country: None,
            tax_id: None,
            grace_period_ends_at: None,
            daily_ai_credit_limit: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn plan(is_active: bool) -> plan::Model {
        plan::Model {
            id: 1,
            slug: "p".into(),
            name: "P".into(),
            description: String::new(),
            price: 0,
            currency: "USD".into(),
            billing_cycle: BillingCycle::Monthly,
            included_credits: 10,
            credits_per_month: 0,
            max_sites: 1,
            max_industries: 1,
            max_users: 1,
            trial_days: 0,
            credit_policy: CreditPolicy::Reset,
            is_active,
            sort_order: 0,
            stripe_product_id: None,
            stripe_price_id: None,
            paypal_plan_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn past_due_passes_until_the_grace_period_ends() {
        let now = Utc::now();
        let mut past_due = account(AccountStatus::PastDue);
        past_due.grace_period_ends_at = Some(now + Duration::days(1));
        assert_eq!(
            check(&user(), Some(&past_due), Some(&plan(true)), now),
            Ok(())
        );
        past_due.grace_period_ends_at = Some(now - Duration::seconds(1));
        assert_eq!(
            check(&user(), Some(&past_due), Some(&plan(true)), now),
            Err(Gate::SubscriptionRequired)
        );
    }

    #[test]
    fn suspension_reason_decides_402_or_403() {
        let now = Utc::now();
        let mut suspended = account(AccountStatus::Suspended);
        suspended.suspension_reason = Some(SuspensionReason::NonPayment);
        assert_eq!(
            check(&user(), Some(&suspended), Some(&plan(true)), now),
            Err(Gate::SubscriptionRequired)
        );
        suspended.suspension_reason = Some(SuspensionReason::Operator);
        assert_eq!(
            check(&user(), Some(&suspended), Some(&plan(true)), now),
            Err(Gate::AccountSuspended)
        );
    }

    #[test]
    fn an_inactive_user_is_stopped_before_anything_else() {
        let mut inactive = user();
        inactive.is_active = false;
        assert_eq!(
            check(&inactive, None, None, Utc::now()),
            Err(Gate::UserInactive)
        );
    }

    #[test]
    fn operators_need_no_account() {
        let mut operator = user();
        operator.is_staff = true;
        operator.account_id = None;
        assert_eq!(check(&operator, None, None, Utc::now()), Ok(()));
    }
}
