//! [`Permitted<P>`]: the caller, authenticated and holding the permission `P` names, as an
//! operation's first argument.
//!
//! poem-openapi extracts an operation's arguments in order. First, the permission is checked
//! before anything the request says is read (parameters, the body): a caller without it gets
//! 401 or 403 (recorded as `access.denied`) and learns nothing of what would have been valid.
//! Only the request's own shape (a path that names no operation) is refused earlier.

use std::collections::HashMap;
use std::sync::Arc;

use poem::{Request, RequestBody};
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::Value;

use super::security::BearerAuth;
pub use crate::domain::identity::Needs;
pub use crate::domain::names::permission;
use crate::http::problem::ApiError;
use crate::service::auth::AuthService;
use crate::service::caller::Authorized;

/// The caller, authenticated and holding `P`'s permission.
pub struct Permitted<P: Needs>(pub Authorized<P>);

impl<'a, P: Needs> ApiExtractor<'a> for Permitted<P> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <BearerAuth as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <BearerAuth as ApiExtractor>::security_schemes()
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let BearerAuth(caller) =
            <BearerAuth as ApiExtractor>::from_request(request, body, param_opts).await?;
        if !caller.holds(P::PERMISSION) {
            // Only a refusal names the operation (in its `access.denied` event): the lookup
            // is not on the path of permitted requests.
            let operation = request
                .data::<OperationIds>()
                .and_then(|ids| ids.of(request))
                .unwrap_or("unknown");
            request
                .data::<AuthService>()
                .ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("AuthService is not in the route data"))
                })?
                .authorize(&caller, P::PERMISSION, operation)
                .await
                .map_err(ApiError::from)?;
        }
        Authorized::if_held(caller)
            .map(Self)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("refused, yet authorized")).into())
    }
}

/// The operation id of each route (method and path pattern), read from the document: the
/// name an `access.denied` event gives the operation.
#[derive(Clone, Default)]
pub struct OperationIds(Arc<HashMap<(String, String), &'static str>>);

impl OperationIds {
    pub fn from_document(document: &Value) -> Self {
        let mut ids = HashMap::new();
        if let Some(paths) = document["paths"].as_object() {
            for (path, operations) in paths {
                for (method, operation) in operations.as_object().into_iter().flatten() {
                    if let Some(id) = operation["operationId"].as_str() {
                        // A handful of names, kept for the life of the process.
                        let id: &'static str = Box::leak(id.to_owned().into_boxed_str());
                        let template = normalised(path.split('/'), |s| s.starts_with('{'));
                        ids.insert((method.to_uppercase(), template), id);
                    }
                }
            }
        }
        Self(Arc::new(ids))
    }

    /// The matched route's operation: poem names it `/api/v1/products/:param0`, the
    /// document `/api/v1/products/{id}`.
    fn of(&self, request: &Request) -> Option<&'static str> {
        let pattern = request.data::<poem::PathPattern>()?;
        let template = normalised(pattern.0.split('/'), |s| s.starts_with(':'));
        self.0
            .get(&(request.method().as_str().to_owned(), template))
            .copied()
    }
}

/// A path template with every parameter written `{}` (the names differ: poem numbers them).
fn normalised<'a>(segments: impl Iterator<Item = &'a str>, is_param: fn(&str) -> bool) -> String {
    segments
        .map(|segment| if is_param(segment) { "{}" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}
