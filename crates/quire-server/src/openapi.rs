//! The OpenAPI description of every endpoint, served at `/api/openapi.json` with docs at `/api/docs`.

use crate::{api, error::ErrorBody, ops};
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
    paths(
        api::auth::list_plans,
        api::auth::list_payment_methods,
        api::auth::register,
        api::auth::login,
        api::auth::refresh,
        api::auth::logout,
        api::auth::me,
        ops::healthz,
        ops::readyz,
        ops::metrics,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Plans, sign-up, login and sessions"),
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
