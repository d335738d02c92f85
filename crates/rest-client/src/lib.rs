//! The HTTP mechanics under every typed service client: one pooled keep-alive
//! connection set per client, bounded timeouts, the service token, W3C trace
//! context on every call, one retry policy (an idempotent request is sent
//! once more when its connection failed under it, never a create), and errors
//! that say which service failed and how. The gateway forwards its clients'
//! requests through the same client and policy.
//!
//! This crate knows nothing of HTTP servers: a handler decides what a
//! [`ClientError`] means for its own caller.

mod memo;

use std::time::Duration;

use gridlink_config::{ConfigError, Secret};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use memo::Memo;

/// Where a service is and how to talk to it.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub base_url: String,
    /// Sent as `Authorization: Bearer` on every call (for `/internal` routes).
    pub service_token: Option<Secret>,
    /// Bound on a whole call, connection included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Extra attempts for an idempotent request whose connection failed.
    pub retries: u32,
}

impl ClientSettings {
    /// Reads `<PREFIX>_URL` and `<PREFIX>_TIMEOUT_MS`, plus this service's own
    /// `SERVICE_TOKEN`.
    pub fn from_env(prefix: &str, default_url: &str) -> Result<Self, ConfigError> {
        Self::from_env_with_timeout(prefix, default_url, Duration::from_secs(2))
    }

    /// As [`ClientSettings::from_env`], with another default call budget.
    pub fn from_env_with_timeout(
        prefix: &str,
        default_url: &str,
        timeout: Duration,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            base_url: gridlink_config::string(&format!("{prefix}_URL"), default_url),
            service_token: gridlink_config::secret("SERVICE_TOKEN"),
            timeout: Duration::from_millis(gridlink_config::parse(
                &format!("{prefix}_TIMEOUT_MS"),
                timeout.as_millis() as u64,
            )?),
            connect_timeout: Duration::from_millis(500),
            retries: 1,
        })
    }

    pub fn local(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            service_token: None,
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_millis(500),
            retries: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the {service} service did not answer within {timeout:?}")]
    Timeout {
        service: &'static str,
        timeout: Duration,
    },
    #[error("the {service} service is unreachable")]
    Unreachable { service: &'static str },
    #[error("the {service} service answered {status}")]
    Status {
        service: &'static str,
        status: u16,
        /// The `detail` of its problem document, when it sent one.
        detail: Option<String>,
    },
    #[error("the {service} service sent an unreadable answer: {reason}")]
    Decode {
        service: &'static str,
        reason: String,
    },
}

impl ClientError {
    pub fn service(&self) -> &'static str {
        match self {
            Self::Timeout { service, .. }
            | Self::Unreachable { service }
            | Self::Status { service, .. }
            | Self::Decode { service, .. } => service,
        }
    }

    /// The HTTP status the service answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the service is down, slow or overloaded (rather than
    /// refusing or garbling this particular call).
    pub fn is_outage(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Unreachable { .. } => true,
            Self::Status { status, .. } => *status >= 500 || *status == 429,
            Self::Decode { .. } => false,
        }
    }
}

/// How long a pooled connection to another service may sit idle. Shorter
/// than the services' keep-alive (`gridlink_http::KEEP_ALIVE`, 75 s), so the
/// client drops an idle connection before the server would close it, and a
/// request is never sent on a connection the server is closing.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client settings every service-to-service caller shares: its
/// timeouts, the pool's idle timeout and no Nagle delay.
pub fn http_client(settings: &ClientSettings) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tcp_nodelay(true)
}

#[derive(Clone)]
pub struct RestClient {
    service: &'static str,
    http: reqwest::Client,
    settings: ClientSettings,
}

impl RestClient {
    pub fn new(service: &'static str, settings: ClientSettings) -> Self {
        let http = http_client(&settings)
            .pool_max_idle_per_host(128)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a TLS-less HTTP client always builds");
        Self {
            service,
            http,
            settings,
        }
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// A request to `path_and_query` of the service, without the service
    /// token (the gateway forwarding a client's own request).
    pub fn request(&self, method: Method, path_and_query: &str) -> reqwest::RequestBuilder {
        let url = format!(
            "{}{path_and_query}",
            self.settings.base_url.trim_end_matches('/')
        );
        self.http.request(method, url)
    }

    /// Sends `request` with W3C trace context under the retry policy: an
    /// idempotent request (GET, HEAD, OPTIONS, PUT, DELETE) is sent once more
    /// when it got no answer short of a timeout: the connection was refused,
    /// or reset or closed under it (a service restarting, a pooled connection
    /// the service was closing). Sending it again cannot do anything twice; a
    /// create is never sent twice.
    pub async fn send(&self, request: reqwest::Request) -> reqwest::Result<reqwest::Response> {
        let idempotent = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        );
        self.execute(request, idempotent).await
    }

    async fn execute(
        &self,
        mut request: reqwest::Request,
        idempotent: bool,
    ) -> reqwest::Result<reqwest::Response> {
        gridlink_telemetry::inject_context(request.headers_mut());
        let mut attempt = 0;
        loop {
            let again = (idempotent && attempt < self.settings.retries)
                .then(|| request.try_clone())
                .flatten();
            match self.http.execute(request).await {
                Err(e) if !e.is_timeout() && again.is_some() => {
                    attempt += 1;
                    tracing::info!(service = self.service, attempt, error = %causes(&e), "retrying once");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    request = again.expect("checked above");
                }
                result => return result,
            }
        }
    }

    /// GET.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        self.call(Method::GET, path, query, None::<&()>, true).await
    }

    /// GET where 404 means "there is none".
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<T>, ClientError> {
        match self.get(path, query).await {
            Ok(value) => Ok(Some(value)),
            Err(ClientError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A read sent as POST because its input is too large for a URL (a batch of
    /// ids). It changes nothing, so the retry policy treats it like a GET.
    pub async fn post_read<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.call(Method::POST, path, &[], Some(body), true).await
    }

    /// POST, never sent twice: the service may have acted on the first attempt.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.call(Method::POST, path, &[], Some(body), false).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
        idempotent: bool,
    ) -> Result<T, ClientError> {
        let service = self.service;
        let mut request = self.request(method, path);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(token) = &self.settings.service_token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let request = request.build().map_err(|e| ClientError::Decode {
            service,
            reason: format!("request could not be built: {e}"),
        })?;
        let response = self
            .execute(request, idempotent)
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        if !status.is_success() {
            return Err(ClientError::Status {
                service,
                status: status.as_u16(),
                detail: problem_detail(&bytes),
            });
        }
        let bytes = if status == StatusCode::NO_CONTENT && bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| ClientError::Decode {
            service,
            reason: e.to_string(),
        })
    }

    fn transport(&self, error: reqwest::Error) -> ClientError {
        if error.is_timeout() {
            ClientError::Timeout {
                service: self.service,
                timeout: self.settings.timeout,
            }
        } else {
            ClientError::Unreachable {
                service: self.service,
            }
        }
    }
}

/// A transport error and its sources on one line ("error sending request:
/// connection closed before message completed"), without the URL.
pub fn causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(&format!(" for url ({url})"), "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn problem_detail(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("detail")?
        .as_str()
        .map(str::to_owned)
}
