//! The payment methods offered: bank transfer is live; Stripe and PayPal are coming soon.

use crate::{config::BankTransferSettings, entities::enums::PaymentMethod};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodStatus {
    Active,
    ComingSoon,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentMethodInfo {
    pub id: PaymentMethod,
    pub name: &'static str,
    pub status: MethodStatus,
    pub instructions: String,
}

pub fn list(bank: &BankTransferSettings) -> Vec<PaymentMethodInfo> {
    [
        PaymentMethod::BankTransfer,
        PaymentMethod::Stripe,
        PaymentMethod::Paypal,
    ]
    .into_iter()
    .map(|method| PaymentMethodInfo {
        id: method,
        name: method.display_name(),
        status: if method.is_live() {
            MethodStatus::Active
        } else {
            MethodStatus::ComingSoon
        },
        instructions: match method {
            PaymentMethod::BankTransfer => format!(
                "Transfer to {} at {}, IBAN {}, BIC {}. After you register you get a \
                     payment reference to write on the transfer; your account opens once the \
                     transfer is confirmed.",
                bank.beneficiary, bank.bank_name, bank.iban, bank.bic
            ),
            _ => format!(
                "{} is coming soon; no payment can be made with it yet. Choose bank \
                     transfer.",
                method.display_name()
            ),
        },
    })
    .collect()
}

/// The message for choosing a method that does not take payments yet.
pub fn coming_soon_message(method: PaymentMethod) -> String {
    format!(
        "{} is coming soon and cannot be used yet; choose bank transfer.",
        method.display_name()
    )
}
