//! The gateway's route table, read once from the public OpenAPI document it
//! serves (`proto-docs/gateway.openapi.json`, checked against the code by a
//! test). It drives everything the edge does per route: which upstream
//! serves a path, whether a token is ignored, optional or required, which
//! rate-limit group the request spends from, and the path template that
//! labels its metrics. A path the document does not name is not routed.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::Method;
use actix_web::web;
use gridlink_http::{Route, RouteTable};
use serde_json::Value;

use crate::docs::PUBLIC_DOCUMENT;

/// Which service serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    Auth,
    Grids,
    Links,
    Analytics,
}

impl Upstream {
    /// By the first segment after `/api/v1/`.
    fn of(template: &str) -> Option<Self> {
        let resource = template.strip_prefix("/api/v1/")?.split('/').next()?;
        match resource {
            "auth" | "users" => Some(Self::Auth),
            "grids" => Some(Self::Grids),
            "links" => Some(Self::Links),
            "stats" => Some(Self::Analytics),
            _ => None,
        }
    }
}

/// What an operation does with an access token (its OpenAPI `security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No token needed; one that is sent is ignored (a stale token must not
    /// break signup, login or a public page).
    None,
    /// A token widens what is visible; a bad one is refused.
    Optional,
    Required,
}

impl Security {
    fn of(operation: &Value) -> Self {
        let Some(requirements) = operation.get("security").and_then(Value::as_array) else {
            return Self::None;
        };
        let anonymous = requirements
            .iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
        match (requirements.is_empty(), anonymous) {
            (true, _) => Self::None,
            (false, true) => Self::Optional,
            (false, false) => Self::Required,
        }
    }
}

/// The rate-limit group a request spends from, besides the caller's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Signing up, logging in, refreshing, logging out.
    Auth,
    Reads,
    Writes,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Reads => "reads",
            Self::Writes => "writes",
        }
    }

    fn of(method: &Method, template: &str) -> Self {
        if matches!(*method, Method::GET | Method::HEAD) {
            Self::Reads
        } else if template.starts_with("/api/v1/auth/") {
            Self::Auth
        } else {
            Self::Writes
        }
    }
}

/// One operation of the public contract, as the edge handles it.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    /// `None` for the gateway's own routes (the profile and grid pages).
    pub upstream: Option<Upstream>,
    pub security: Security,
    pub group: Group,
}

/// Every public operation, by path template.
pub struct EdgeRoutes {
    by_path: BTreeMap<String, Vec<Arc<Operation>>>,
}

impl EdgeRoutes {
    /// The committed public document's routes.
    pub fn public() -> Self {
        Self::from_document(PUBLIC_DOCUMENT)
    }

    pub fn from_document(document: &str) -> Self {
        let document: Value =
            serde_json::from_str(document).expect("the public OpenAPI document is JSON");
        let mut by_path = BTreeMap::new();
        let paths = document["paths"]
            .as_object()
            .expect("the public document has paths");
        for (template, item) in paths {
            let operations = item
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(method, operation)| {
                    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).ok()?;
                    Some(Arc::new(Operation {
                        upstream: if OWN_PATHS.contains(&template.as_str()) {
                            None
                        } else {
                            Upstream::of(template)
                        },
                        security: Security::of(operation),
                        group: Group::of(&method, template),
                        method,
                    }))
                })
                .collect();
            by_path.insert(template.clone(), operations);
        }
        Self { by_path }
    }

    /// The operation at `template` with `method` (a `HEAD` is its `GET`).
    pub fn find(&self, template: &str, method: &Method) -> Option<&Arc<Operation>> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.by_path
            .get(template)?
            .iter()
            .find(|op| op.method == *method)
    }

    /// The table 405 answers are built from: every public path, plus the
    /// documentation routes.
    pub fn table(&self) -> RouteTable {
        let mut routes: Vec<Route> = self
            .by_path
            .iter()
            .map(|(template, operations)| {
                Route::new(
                    template,
                    operations.iter().map(|op| method_name(&op.method)),
                )
            })
            .collect();
        routes.push(Route::new("/api/v1/openapi.json", ["GET"]));
        routes.push(Route::new("/api/v1/docs", ["GET"]));
        RouteTable::new(routes)
    }

    /// Registers a resource per forwarded path, one route per method, each
    /// answered by the proxy; the most specific paths first, so
    /// `/links/order` is not taken for `/links/{slug}`.
    pub fn register(self: &Arc<Self>, cfg: &mut web::ServiceConfig) {
        let table = self.table();
        for route in table.routes() {
            let operations: Vec<&Arc<Operation>> = self
                .by_path
                .get(&route.template)
                .into_iter()
                .flatten()
                .filter(|op| op.upstream.is_some())
                .collect();
            if operations.is_empty() {
                continue;
            }
            let mut resource = web::resource(route.template.as_str())
                .default_service(web::to(gridlink_http::fallback));
            for operation in operations {
                let op = Arc::clone(operation);
                resource = resource.route(web::method(operation.method.clone()).to(
                    move |req, payload, gateway| {
                        crate::proxy::forward(req, payload, gateway, Arc::clone(&op))
                    },
                ));
            }
            cfg.service(resource);
        }
    }
}

fn method_name(method: &Method) -> &'static str {
    gridlink_http::method_label(method)
}

/// The routes the gateway answers itself (OpenAPI-annotated handlers).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(crate::profile::profile)
        .service(crate::grid_page::grid_page)
        .service(crate::redirect::follow)
        .service(crate::qr::profile_svg)
        .service(crate::qr::profile_png)
        .service(crate::qr::link_svg)
        .service(crate::qr::link_png);
}

/// The paths [`configure`] answers: never forwarded, whatever their prefix.
const OWN_PATHS: [&str; 7] = [
    "/api/v1/profiles/{username}",
    "/api/v1/grids/{slug}/page",
    "/r/{slug}",
    "/api/v1/profiles/{username}/qr.svg",
    "/api/v1/profiles/{username}/qr.png",
    "/api/v1/links/{slug}/qr.svg",
    "/api/v1/links/{slug}/qr.png",
];

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r#"{"paths": {
        "/api/v1/auth/login": {"post": {"security": []}},
        "/api/v1/grids": {"get": {"security": [{}, {"bearer": []}]}, "post": {"security": [{"bearer": []}]}},
        "/api/v1/links/order": {"put": {"security": [{"bearer": []}]}},
        "/api/v1/links/{slug}": {"get": {}},
        "/api/v1/profiles/{username}": {"get": {}}
    }}"#;

    #[test]
    fn the_own_paths_are_the_routes_the_gateway_answers_itself() {
        let document = crate::docs::own_document();
        let mut answered: Vec<&str> = document.paths.paths.keys().map(String::as_str).collect();
        let mut own = OWN_PATHS.to_vec();
        answered.sort();
        own.sort();
        assert_eq!(answered, own);
    }

    #[test]
    fn every_operation_knows_its_upstream_security_and_group() {
        let routes = EdgeRoutes::from_document(DOCUMENT);
        let login = routes.find("/api/v1/auth/login", &Method::POST).unwrap();
        assert_eq!(
            (login.upstream, login.security, login.group),
            (Some(Upstream::Auth), Security::None, Group::Auth)
        );
        let list = routes.find("/api/v1/grids", &Method::HEAD).unwrap();
        assert_eq!(
            (list.upstream, list.security, list.group),
            (Some(Upstream::Grids), Security::Optional, Group::Reads)
        );
        let create = routes.find("/api/v1/grids", &Method::POST).unwrap();
        assert_eq!(
            (create.security, create.group),
            (Security::Required, Group::Writes)
        );
        let profile = routes
            .find("/api/v1/profiles/{username}", &Method::GET)
            .unwrap();
        assert_eq!(profile.upstream, None, "the gateway's own route");
        let forwarded = routes
            .by_path
            .values()
            .flatten()
            .filter(|op| op.upstream.is_some());
        assert_eq!(forwarded.count(), 5);
        assert!(routes.find("/api/v1/links/order", &Method::GET).is_none());
    }

    #[test]
    fn the_committed_document_routes_every_public_path() {
        let routes = EdgeRoutes::public();
        for (template, method) in [
            ("/api/v1/auth/signup", Method::POST),
            ("/api/v1/grids/{slug}", Method::PATCH),
            ("/api/v1/links/order", Method::PUT),
            ("/api/v1/users/me", Method::DELETE),
        ] {
            assert!(
                routes.find(template, &method).is_some(),
                "{method} {template}"
            );
        }
        assert!(routes.table().find("/internal/v1/users").is_none());
    }
}
