//! Plans, payment methods, payments and (later) the subscription lifecycle.

pub mod apply;
pub mod catalogue;
pub mod payment_methods;
pub mod payments;
pub mod periods;
pub mod plans;
pub mod reference;
pub mod stripe_signature;
pub mod subscription_actions;
