//! Request extractors: JSON bodies with clear 400/413/415 errors, path parameters with clear
//! 400s, the bearer token, the authenticated principal (gates applied) and the client's address.

use crate::{error::ApiError, state::AppState};
use axum::{
    body::Bytes,
    extract::{
        ConnectInfo, FromRequest, FromRequestParts, Path, RawPathParams, Request,
        path::ErrorKind,
        rejection::{BytesRejection, PathRejection},
    },
    http::{StatusCode, header, request::Parts},
};
use quire_core::{
    ValidationErrors,
    accounts::principal::{self, Principal, Tenant},
};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// A JSON body. Malformed JSON → 400 `malformed_json`; wrong or missing fields → 400
/// `invalid` with field errors; over the body limit → 413; not JSON → 415. Fields the type
/// does not declare are ignored, so a body can never set what the endpoint does not accept.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim)
            .is_some_and(|mime| {
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub(crate) fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is larger than 1 MiB.",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request body could not be read.",
        )
    }
}

/// Deserialises `bytes`, naming the field at fault when the JSON is well formed but wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, so a truncated body is reported as malformed even when its start
    // already fails to match the expected shape.
    if let Err(err) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("The body is not valid JSON ({err})."),
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        // serde reports a missing field at its parent's path; name the field itself.
        let (field, text) = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(missing) => (
                if path == "." {
                    missing.to_owned()
                } else {
                    format!("{path}.{missing}")
                },
                "This field is required.".to_owned(),
            ),
            None => (
                if path == "." { "body".to_owned() } else { path },
                message
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
        };
        ApiError::invalid(ValidationErrors::single(&field, text))
    })
}

/// Path parameters parsed into `T`. A segment that does not parse (`/sites/abc/`, an id past
/// the 64-bit range) is a 400 `invalid` naming the parameter, as JSON like every other API
/// error; axum's own `Path` would answer plain text.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => {
                // A lone parameter is parsed without its name; the raw parameters have it.
                let only_key = match RawPathParams::from_request_parts(parts, state).await {
                    Ok(raw) if raw.iter().count() == 1 => {
                        raw.iter().next().map(|(k, _)| k.to_owned())
                    }
                    _ => None,
                };
                Err(path_rejection(rejection, only_key))
            }
        }
    }
}

fn path_rejection(rejection: PathRejection, only_key: Option<String>) -> ApiError {
    let PathRejection::FailedToDeserializePathParams(err) = rejection else {
        // No parameters to parse: the route and its extractor disagree, a bug of ours.
        return quire_core::Error::Internal(format!("path parameters: {rejection}")).into();
    };
    let field = match err.kind() {
        ErrorKind::ParseErrorAtKey { key, .. }
        | ErrorKind::InvalidUtf8InPathParam { key }
        | ErrorKind::DeserializeError { key, .. } => key.clone(),
        _ => only_key.unwrap_or_else(|| "path".to_owned()),
    };
    ApiError::invalid(ValidationErrors::single(&field, err.kind().to_string()))
}

/// The raw bearer token of the `Authorization` header.
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::not_authenticated)?;
        let (scheme, token) = value
            .split_once(' ')
            .ok_or_else(ApiError::not_authenticated)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(ApiError::not_authenticated());
        }
        Ok(BearerToken(token.trim().to_owned()))
    }
}

/// The caller, authenticated and through the gates: a member (tenant context) or an operator.
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let BearerToken(token) = BearerToken::from_request_parts(parts, state).await?;
        Ok(Authenticated(
            principal::authenticate(&state.quire, &token).await?,
        ))
    }
}

/// The tenant context: a member of an account, through the gates. Operators get 403.
pub struct TenantContext(pub Tenant);

impl FromRequestParts<AppState> for TenantContext {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Authenticated::from_request_parts(parts, state).await?.0 {
            Principal::Member(tenant) => Ok(TenantContext(*tenant)),
            Principal::Operator(_) => Err(quire_core::Error::MembersOnly.into()),
        }
    }
}

/// A platform operator, authenticated. Members of accounts get 403.
pub struct OperatorContext(pub principal::Operator);

impl FromRequestParts<AppState> for OperatorContext {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Authenticated::from_request_parts(parts, state).await?.0 {
            Principal::Operator(operator) => Ok(OperatorContext(*operator)),
            Principal::Member(_) => Err(quire_core::Error::OperatorsOnly.into()),
        }
    }
}

/// The peer's IP address, when the server was started with connection info.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        plan_id: Option<i64>,
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = parse_json::<Body>(br#"{"plan_id": 1}"#).expect_err("missing email");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let body = format!("{err:?}");
        assert!(body.contains("\"email\""), "{body}");
    }

    #[test]
    fn a_wrong_type_is_named() {
        let err =
            parse_json::<Body>(br#"{"email": "a@b.co", "plan_id": "x"}"#).expect_err("wrong type");
        assert!(format!("{err:?}").contains("plan_id"));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let body = parse_json::<Body>(br#"{"email": "a@b.co", "is_staff": true}"#).expect("ok");
        assert_eq!(body.email, "a@b.co");
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_body_or_a_400(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Err(err) = parse_json::<Body>(&bytes) {
                prop_assert_eq!(err.status(), StatusCode::BAD_REQUEST);
            }
        }
    }
}
