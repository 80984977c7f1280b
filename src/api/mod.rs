//! HTTP: poem-openapi operations, the OpenAPI document, and the outer request layer.

pub mod analytics;
pub mod audit;
pub mod audit_trail;
pub mod auth;
pub mod categories;
pub mod me;
pub mod money;
pub mod operations;
pub mod permitted;
pub mod products;
pub mod roles;
pub mod security;
pub mod suppliers;
pub mod users;
pub mod views;

use metrics_exporter_prometheus::PrometheusHandle;
use poem::middleware::Cors;
use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::config::TrustedProxies;
use crate::http::middleware::RequestLayer;
use crate::http::spec;
use crate::service::ServiceContext;
use crate::service::account::AccountService;
use crate::service::analytics::AnalyticsService;
use crate::service::audit::AuditService;
use crate::service::audit_trail::AuditTrailService;
use crate::service::auth::AuthService;
use crate::service::categories::CategoryService;
use crate::service::health::HealthService;
use crate::service::products::ProductService;
use crate::service::roles::RoleService;
use crate::service::suppliers::SupplierService;
use crate::service::user_admin::AdminUserService;
use analytics::AnalyticsApi;
use audit::AuditApi;
use audit_trail::AuditTrailApi;
use auth::AuthApi;
use categories::CategoriesApi;
use me::MeApi;
use operations::OperationsApi;
use products::ProductsApi;
use roles::RolesApi;
use suppliers::SuppliersApi;
use users::UsersApi;

/// The docs page's sections, declared in the order a reader meets them: signing in, their
/// own account, the catalogue, administration, the audit trail, analytics, operations.
#[derive(Tags, Clone, Copy)]
pub enum ApiTags {
    /// Registration, login, token refresh and logout.
    Auth,
    /// The caller's own account and activity.
    Me,
    /// The catalogue: categories, products and stock, and the suppliers they come from. Product prices are exact decimals;
    /// every product change bumps its `version` (the `ETag`); deleted products stay stored
    /// for the audit trail but read as absent.
    Catalog,
    /// Administration of user accounts: list, read, change, deactivate, assign roles.
    /// Nobody can deactivate themselves or remove their own `admin` role (409), no change may
    /// leave no active account holding `admin` (409), and nobody can grant, or change an
    /// account holding, permissions they do not hold (403).
    Users,
    /// Roles and the permission catalogue. Built-in roles cannot be renamed or deleted,
    /// `admin` always keeps every permission, and roles in use cannot be deleted (409).
    Roles,
    /// The audit trail: who did what, when, to what, with which outcome.
    Audit,
    /// Dashboards over activity events (product views, searches, logins): counts per time
    /// bucket, the most viewed products, distinct active users. Windows are half-open
    /// `[from, to)` of at most 92 days; buckets are UTC; empty buckets are absent.
    Analytics,
    /// Health, readiness and metrics.
    Operations,
}

impl ApiTags {
    /// The declaration order (poem-openapi lists tags by name).
    pub const READING_ORDER: [ApiTags; 8] = [
        ApiTags::Auth,
        ApiTags::Me,
        ApiTags::Catalog,
        ApiTags::Users,
        ApiTags::Roles,
        ApiTags::Audit,
        ApiTags::Analytics,
        ApiTags::Operations,
    ];
}

/// Everything the operations need, built once at start-up. A service that needs only what
/// `services` holds is built from it here, so adding one touches no start-up code.
pub struct ApiState {
    pub services: ServiceContext,
    pub health: HealthService,
    pub metrics: PrometheusHandle,
    pub auth: AuthService,
    pub accounts: AccountService,
    pub audit: AuditService,
    pub audit_trail: AuditTrailService,
    pub users: AdminUserService,
    pub roles: RoleService,
    pub products: ProductService,
    pub analytics: AnalyticsService,
}

pub struct HttpSettings {
    pub max_body_bytes: usize,
    pub body_read_timeout: std::time::Duration,
    pub cors_allowed_origins: Vec<String>,
    pub trusted_proxies: TrustedProxies,
}

/// In the tags' reading order, which the operations of the document follow.
type Apis = (
    AuthApi,
    MeApi,
    CategoriesApi,
    ProductsApi,
    SuppliersApi,
    UsersApi,
    RolesApi,
    AuditApi,
    AuditTrailApi,
    AnalyticsApi,
    OperationsApi,
);

const DESCRIPTION: &str = "\
Stockroom keeps a shop back office's users, roles, catalogue and stock in PostgreSQL and its \
audit trail and activity events in MongoDB.\n\n\
Errors are `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`, \
`request_id` and, for 422, `errors: [{field, message}]`. Malformed JSON is 400; well-formed \
requests with invalid values (body, query or path, including unknown body fields) are 422. \
Every response carries `X-Request-Id` (echoed when the client sends a plain one of at most \
128 characters, generated otherwise) and `Cache-Control: no-store`.\n\n\
Besides readiness, any operation answers 503 (problem) when a store it needs is unreachable: \
PostgreSQL for everything, MongoDB for the audit trail and analytics; retry later. It does \
the same when a store does not answer in time: PostgreSQL statements and audit and analytics \
queries have server-side time limits (`DATABASE_STATEMENT_TIMEOUT_MS`, \
`MONGODB_QUERY_TIMEOUT_MS`); narrowing the filters helps. Writes never wait for MongoDB: \
their audit events are committed with them and delivered when it is back. Registration, \
login and the password change also answer 503 with `Retry-After` when more password hashes \
are waiting than the service runs at once (a bounded queue keeps its memory bounded).\n\n\
Rate limits answer 429 with `Retry-After`: registration per client address; login per \
client address, and failed logins per account and address, so failures from other addresses \
never refuse a correct password; the password change per user. They are kept in PostgreSQL \
and shared by every service instance: several instances give a client the budget of one. The \
client address is the TCP peer unless the peer is a configured trusted proxy; IPv6 clients \
count per /64.";

pub fn openapi_service(state: ApiState) -> OpenApiService<Apis, ()> {
    let apis = (
        AuthApi { auth: state.auth },
        MeApi {
            accounts: state.accounts,
            audit: state.audit.clone(),
        },
        CategoriesApi {
            categories: CategoryService::new(&state.services),
        },
        ProductsApi {
            products: state.products,
        },
        SuppliersApi {
            suppliers: SupplierService::new(&state.services),
        },
        UsersApi { users: state.users },
        RolesApi { roles: state.roles },
        AuditApi { audit: state.audit },
        AuditTrailApi {
            trail: state.audit_trail,
        },
        AnalyticsApi {
            analytics: state.analytics,
        },
        OperationsApi {
            health: state.health,
            metrics: state.metrics,
        },
    );
    OpenApiService::new(apis, "Stockroom", env!("CARGO_PKG_VERSION")).description(DESCRIPTION)
}

/// The whole HTTP application: API, `/openapi.json`, `/docs`, and the outer layers.
pub fn app(
    state: ApiState,
    settings: HttpSettings,
) -> impl Endpoint<Output = poem::Response> + 'static {
    let auth = state.auth.clone();
    let service = openapi_service(state);
    let generated = service.spec();
    let mut document = spec::complete(&generated);
    let reading_order = ApiTags::READING_ORDER.map(|tag| tag.name());
    spec::order_tags(&mut document, &reading_order);
    let allowed = spec::AllowedMethods::from_document(&document);
    let operation_ids = permitted::OperationIds::from_document(&document);
    let document = document.to_string();
    let docs = spec::docs_page(&service.swagger_ui_html(), &generated, &document);
    let cors = (!settings.cors_allowed_origins.is_empty()).then(|| {
        Cors::new()
            .allow_origins(settings.cors_allowed_origins.iter().map(String::as_str))
            .allow_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
            .allow_headers(["authorization", "content-type", "if-match", "x-request-id"])
            .expose_headers(["etag", "location", "retry-after", "x-request-id"])
            .max_age(600)
    });
    Route::new()
        .at(
            "/openapi.json",
            poem::endpoint::make_sync(move |_| {
                poem::Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(document.clone())
            }),
        )
        .nest(
            "/docs",
            Route::new().at(
                "/",
                poem::endpoint::make_sync(move |_| poem::web::Html(docs.clone())),
            ),
        )
        .nest("/console", crate::http::console::routes())
        .nest("/", service)
        .with_if(cors.is_some(), cors.unwrap_or_default())
        .data(auth)
        .data(operation_ids)
        .with(RequestLayer {
            max_body_bytes: settings.max_body_bytes,
            body_read_timeout: settings.body_read_timeout,
            trusted_proxies: settings.trusted_proxies,
        })
        .around(move |endpoint, request| {
            let allowed = allowed.clone();
            async move {
                // `Uri` clones share its bytes: no allocation on every request.
                let uri = request.uri().clone();
                let mut response = endpoint.call(request).await?;
                allowed.annotate(uri.path(), &mut response);
                Ok(response)
            }
        })
}
