//! The OpenAPI document lists the statuses every operation can always answer: the gates'
//! 401/402/403, 400 and 404 for path ids, 400/413/415 for JSON bodies, 400 for typed query
//! parameters, and the error body as JSON for each of them. Schemathesis (`.ci/schemathesis`)
//! checks the answers against the same document; this test keeps a new endpoint from leaving
//! a status out before it ever runs.

use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One documented operation, read from the spec as JSON.
struct Operation {
    name: String,
    path: String,
    spec: Value,
}

impl Operation {
    fn statuses(&self) -> BTreeSet<&str> {
        self.spec["responses"]
            .as_object()
            .map(|responses| responses.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn is_authenticated(&self) -> bool {
        self.spec["security"]
            .as_array()
            .is_some_and(|schemes| schemes.iter().any(|s| s.get("bearer").is_some()))
    }

    fn parameters(&self, location: &str) -> Vec<&Value> {
        self.spec["parameters"]
            .as_array()
            .map(|parameters| parameters.iter().filter(|p| p["in"] == location).collect())
            .unwrap_or_default()
    }

    fn takes_body_as(&self, media_type: &str) -> bool {
        self.spec["requestBody"]["content"]
            .get(media_type)
            .is_some()
    }

    /// The statuses in `wanted` the operation does not document.
    fn missing(&self, wanted: &[&str]) -> Option<String> {
        let documented = self.statuses();
        let missing: Vec<_> = wanted
            .iter()
            .filter(|status| !documented.contains(**status))
            .collect();
        (!missing.is_empty()).then(|| format!("{} misses {missing:?}", self.name))
    }
}

fn operations() -> Vec<Operation> {
    let spec = serde_json::to_value(quire_server::api_spec()).expect("the spec serialises");
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.push(Operation {
                    name: format!("{} {path}", method.to_uppercase()),
                    path: path.clone(),
                    spec: operation.clone(),
                });
            }
        }
    }
    assert!(operations.len() > 100, "the spec lists the whole API");
    operations
}

/// Fails with every operation `rule` finds at fault.
fn assert_every_operation(rule: impl Fn(&Operation) -> Option<String>) {
    let faults: Vec<String> = operations().iter().filter_map(rule).collect();
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// A parameter that can fail to parse: anything but free text.
fn is_typed(parameter: &Value) -> bool {
    let schema = &parameter["schema"];
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let free_text = types.iter().all(|t| *t == "string" || *t == "null");
    !free_text || schema.get("enum").is_some() || schema.get("$ref").is_some()
}

#[test]
fn every_authenticated_operation_documents_401_and_403() {
    assert_every_operation(|op| match (op.is_authenticated(), op.path == UNGATED) {
        (true, false) => op.missing(&["401", "403"]),
        (true, true) => op.missing(&["401"]),
        (false, _) => None,
    });
}

#[test]
fn every_tenant_operation_documents_the_payment_gate_402() {
    assert_every_operation(|op| {
        (op.is_authenticated() && !op.path.starts_with("/api/v1/admin/") && op.path != UNGATED)
            .then(|| op.missing(&["402"]))
            .flatten()
    });
}

#[test]
fn every_operation_with_a_path_parameter_documents_404() {
    assert_every_operation(|op| {
        (!op.parameters("path").is_empty())
            .then(|| op.missing(&["404"]))
            .flatten()
    });
}

#[test]
fn every_operation_with_a_numeric_path_parameter_documents_400() {
    assert_every_operation(|op| {
        op.parameters("path")
            .into_iter()
            .any(is_typed)
            .then(|| op.missing(&["400"]))
            .flatten()
    });
}

/// Operations that read their body whatever its content type, so they answer no 415: the
/// payment providers' webhooks (they verify the signature of the raw bytes) and logout (an
/// optional body).
const ANY_CONTENT_TYPE: [&str; 2] = ["/api/v1/billing/webhooks/", "/api/v1/auth/logout/"];

/// Logout reads only the token, without the account gates: a suspended or unpaid account's
/// user can still end their session, so it answers no 402 or 403.
const UNGATED: &str = "/api/v1/auth/logout/";

#[test]
fn every_operation_with_a_json_body_documents_400_413_and_415() {
    assert_every_operation(|op| {
        op.takes_body_as("application/json")
            .then(|| {
                if ANY_CONTENT_TYPE.iter().any(|p| op.path.starts_with(p)) {
                    op.missing(&["400", "413"])
                } else {
                    op.missing(&["400", "413", "415"])
                }
            })
            .flatten()
    });
}

#[test]
fn every_operation_with_a_file_upload_documents_400_413_and_415() {
    assert_every_operation(|op| {
        op.takes_body_as("multipart/form-data")
            .then(|| op.missing(&["400", "413", "415"]))
            .flatten()
    });
}

#[test]
fn every_operation_with_typed_query_parameters_documents_400() {
    assert_every_operation(|op| {
        op.parameters("query")
            .into_iter()
            .any(is_typed)
            .then(|| op.missing(&["400"]))
            .flatten()
    });
}

/// Every error of the JSON API; the operational endpoints (`/readyz`'s 503) answer their own
/// health body.
#[test]
fn every_api_error_status_answers_the_error_body_as_json() {
    assert_every_operation(|op| {
        if !op.path.starts_with("/api/") {
            return None;
        }
        let wrong: Vec<&str> = op
            .statuses()
            .into_iter()
            .filter(|status| status.starts_with('4') || status.starts_with('5'))
            .filter(|status| {
                let schema =
                    &op.spec["responses"][*status]["content"]["application/json"]["schema"];
                schema["$ref"] != "#/components/schemas/ErrorBody"
            })
            .collect();
        (!wrong.is_empty()).then(|| format!("{}: {wrong:?} not ErrorBody as JSON", op.name))
    });
}
