//! The HTTP mechanics under every typed service client: one pooled keep-alive
//! connection set per client, bounded timeouts, the service token, W3C trace
//! context on every call, retries for idempotent reads only, and errors that
//! say which service failed and how.

mod memo;

use std::time::Duration;

use gridlink_config::{ConfigError, Secret};
use gridlink_problem::ApiError;
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
    /// Extra attempts for idempotent calls that could not reach the service.
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
}

/// A failing dependency is the caller's 503 (its own 4xx are the caller's
/// bug, so a 500), never a hang and never the callee's internals.
impl From<ClientError> for ApiError {
    fn from(error: ClientError) -> Self {
        match &error {
            ClientError::Timeout { .. } | ClientError::Unreachable { .. } => {
                ApiError::unavailable(error.to_string())
            }
            ClientError::Status { status, .. } if *status >= 500 || *status == 429 => {
                ApiError::unavailable(format!("the {} service is unavailable", error.service()))
            }
            _ => ApiError::Internal(anyhow::Error::new(error)),
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
            .pool_max_idle_per_host(64)
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

    /// GET, retried when the service could not be reached or was unavailable.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        self.call(Method::GET, path, query, None::<&()>, self.settings.retries)
            .await
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
    /// ids). It changes nothing, so it is retried like a GET.
    pub async fn post_read<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.call(Method::POST, path, &[], Some(body), self.settings.retries)
            .await
    }

    /// POST, never retried: the service may have acted on the first attempt.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.call(Method::POST, path, &[], Some(body), 0).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
        retries: u32,
    ) -> Result<T, ClientError> {
        let mut attempt = 0;
        loop {
            match self.once(method.clone(), path, query, body).await {
                Err(e) if attempt < retries && retryable(&e) => {
                    attempt += 1;
                    tracing::debug!(service = self.service, attempt, error = %e, "retrying");
                    tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
                }
                result => return result,
            }
        }
    }

    async fn once<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let service = self.service;
        let url = format!("{}{}", self.settings.base_url.trim_end_matches('/'), path);
        let mut request = self.http.request(method, url);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(token) = &self.settings.service_token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let mut request = request.build().map_err(|e| ClientError::Decode {
            service,
            reason: format!("request could not be built: {e}"),
        })?;
        gridlink_telemetry::inject_context(request.headers_mut());

        let response = self
            .http
            .execute(request)
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

fn retryable(error: &ClientError) -> bool {
    matches!(
        error,
        ClientError::Unreachable { .. }
            | ClientError::Status {
                status: 502..=504,
                ..
            }
    )
}

fn problem_detail(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("detail")?
        .as_str()
        .map(str::to_owned)
}
