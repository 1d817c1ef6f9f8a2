//! Integration tests of the HTTP API, each on SQLite and on PostgreSQL.

mod admin_plans;
mod admin_reference;
mod ai_setup;
mod common;
mod credits_and_jobs;
mod f1_signup;
mod f2_login;
mod f3a_tenancy;
mod f3b_clusters_ideas;
mod f3b_keywords;
mod f3b_planner_jobs;
mod f3c_content;
mod f3c_tasks;
mod f3c_writer_jobs;
mod f4_payments;
mod f4_stripe_webhook;
mod f5_billing_job;
mod f5_cancellation;
mod f5_plan_change;
mod http;
mod seed_walk;
mod tenant_isolation;
