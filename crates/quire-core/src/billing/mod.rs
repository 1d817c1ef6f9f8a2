//! Plans, payment methods, payments, the subscription lifecycle, the billing job and the
//! Stripe webhook.

pub mod apply;
pub mod catalogue;
pub mod job;
pub mod lifecycle;
pub mod payment_methods;
pub mod payments;
pub mod periods;
pub mod plan_change;
pub mod plans;
pub mod reference;
pub mod stripe_signature;
pub mod stripe_webhook;
pub mod subscription_actions;
