//! Plans, payment methods, payments, the subscription lifecycle and the Stripe webhook.

pub mod apply;
pub mod catalogue;
pub mod payment_methods;
pub mod payments;
pub mod periods;
pub mod plans;
pub mod reference;
pub mod stripe_signature;
pub mod stripe_webhook;
pub mod subscription_actions;
