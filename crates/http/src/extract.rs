//! A JSON body extractor with the contract's limits: 64 KiB (413), JSON content
//! types only (415), and 400s that name the offending field.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use gridlink_problem::{ApiError, FieldError};
use serde::de::DeserializeOwned;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON request body, deserialised strictly (request types use
/// `#[serde(deny_unknown_fields)]`).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("invalid").to_owned());
        let payload = payload.take();

        Box::pin(async move {
            match content_type {
                Some(ct) if is_json(&ct) => {}
                Some(_) => {
                    return Err(ApiError::UnsupportedMediaType(
                        "the request body must be application/json".into(),
                    ));
                }
                None if declared_length.unwrap_or(0) == 0 => {
                    return Err(ApiError::bad_request("a JSON request body is required"));
                }
                None => {
                    return Err(ApiError::UnsupportedMediaType(
                        "the request body must be application/json".into(),
                    ));
                }
            }
            let body = read_body(declared_length, payload).await?;
            parse(&body).map(Json)
        })
    }
}

/// Reads a request body of at most [`BODY_LIMIT`] bytes; larger ones are a
/// 413 whether announced by Content-Length or found while reading.
pub async fn read_body(
    declared_length: Option<usize>,
    payload: Payload,
) -> Result<Bytes, ApiError> {
    if declared_length.is_some_and(|len| len > BODY_LIMIT) {
        return Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT });
    }
    // A client trickling its body would otherwise hold a connection and a
    // buffer for as long as it likes.
    tokio::time::timeout(BODY_TIMEOUT, collect(payload))
        .await
        .map_err(|_| ApiError::RequestTimeout(BODY_TIMEOUT))?
}

/// How long a client may take to send a whole body (at most [`BODY_LIMIT`]).
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn collect(mut payload: Payload) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserialises `body`, turning serde's complaint into a field-level 400.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("a JSON request body is required"));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::bad_request(format!("malformed JSON: {inner}"));
        }
        let message = strip_position(&inner.to_string());
        let field = match missing_field(&message) {
            Some(name) => join_path(&path, name),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        ApiError::invalid_fields(vec![FieldError::new(field, message)])
    })
}

/// A missing field is reported at its parent's path; its name is in the
/// message between backticks.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn join_path(parent: &str, name: &str) -> String {
    if parent == "." {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Query and path extractor errors as problem+json instead of plain text.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|err, _| {
        ApiError::bad_request(format!("invalid query string: {err}")).into()
    }))
    .app_data(
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::bad_request(format!("invalid path: {err}")).into()),
    )
    .app_data(web::PayloadConfig::new(BODY_LIMIT));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Signup {
        username: String,
        age: Option<u8>,
    }

    fn field_of(result: Result<Signup, ApiError>) -> String {
        match result.unwrap_err() {
            ApiError::BadRequest { errors, .. } => errors[0].field.clone(),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn names_the_unknown_field() {
        assert_eq!(
            field_of(parse(br#"{"username":"a","admin":true}"#)),
            "admin"
        );
    }

    #[test]
    fn names_the_missing_field() {
        assert_eq!(field_of(parse(br#"{}"#)), "username");
    }

    #[test]
    fn names_the_field_with_the_wrong_type() {
        assert_eq!(field_of(parse(br#"{"username":5}"#)), "username");
        assert_eq!(field_of(parse(br#"{"username":"a","age":-1}"#)), "age");
    }

    #[test]
    fn malformed_json_is_a_plain_400() {
        let error = parse::<Signup>(br#"{"username":"#).unwrap_err();
        assert!(matches!(error, ApiError::BadRequest { ref errors, .. } if errors.is_empty()));
        assert!(error.to_string().starts_with("malformed JSON"));
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
