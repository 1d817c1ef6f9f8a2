//! The OpenAPI document's frame (info, tags, security); the routers add every path to it.

use crate::error::ErrorBody;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quire API",
        description = "AI-assisted SEO content for many tenants. Errors answer `{detail, code}` \
                       plus field messages; paths work with and without the trailing slash.",
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Plans, sign-up, login and sessions"),
        (name = "sites", description = "The caller's sites"),
        (name = "sectors", description = "The sectors of the caller's sites"),
        (name = "accounts", description = "The caller's account and subscriptions"),
        (name = "reference", description = "Industries, industry sectors and seed keywords"),
        (name = "keywords", description = "Planner: the keywords of the caller's sectors, with CSV import and export"),
        (name = "planner", description = "Planner AI operations as jobs: auto cluster and idea generation"),
        (name = "clusters", description = "Keyword clusters: totals, merging, moving keywords"),
        (name = "ideas", description = "Content ideas, and sending them to the writer"),
        (name = "writer", description = "Writer tasks"),
        (name = "jobs", description = "AI operations in progress and their results"),
        (name = "billing", description = "Credits, the ledger, AI usage and payments"),
        (name = "webhooks", description = "Payment providers' signed event callbacks (public)"),
        (name = "admin", description = "Operators only: plans, reference data, payments to confirm or reject"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
    }
}
