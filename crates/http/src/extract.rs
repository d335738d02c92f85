//! Request extractors with the contract's limits and errors: a JSON body of
//! at most 64 KiB (413), JSON content types only (415), an object and nothing
//! else; a query string; and 400s that name each offending field in plain
//! words, never in the words of a Rust type or of serde.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use gridlink_problem::{ApiError, Invalid};
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

/// Deserialises `body` (a JSON object), turning serde's complaint into a
/// field-level 400.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => return Err(ApiError::bad_request("a JSON request body is required")),
        Some(b'{') => {}
        Some(_) => {
            return Err(ApiError::bad_request(
                "the request body must be a JSON object",
            ));
        }
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::bad_request(format!(
                "malformed JSON at line {}, column {}",
                inner.line(),
                inner.column()
            ));
        }
        field_error(&path, &strip_position(&inner.to_string())).into()
    })
}

/// A field's complaint from serde (JSON or query string), in plain words.
fn field_error(path: &str, serde_message: &str) -> Invalid {
    let (field, message) = match serde_message.strip_prefix("missing field `") {
        Some(rest) => {
            let name = rest.split('`').next().unwrap_or(rest);
            (join_path(path, name), "is required".to_owned())
        }
        None => (
            if path == "." || path.is_empty() {
                "body".to_owned()
            } else {
                path.to_owned()
            },
            plain_words(serde_message),
        ),
    };
    Invalid::field(field, message)
}

fn join_path(parent: &str, name: &str) -> String {
    if parent == "." || parent.is_empty() {
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

/// What a serde expectation means to a client.
fn expectation(expected: &str) -> &'static str {
    let expected = expected.trim();
    match expected {
        "a string" | "a borrowed string" | "string" => "a string",
        "a boolean" | "bool" => "true or false",
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize"
        | "integer" => "a whole number",
        "f32" | "f64" | "a number" => "a number",
        "a sequence" | "a list" | "an array" => "a list",
        _ if expected.starts_with("struct ")
            || expected.starts_with("a map")
            || expected.starts_with("map") =>
        {
            "an object"
        }
        _ if expected.starts_with("a timestamp") || expected.contains("RFC 3339") => {
            "an RFC 3339 timestamp"
        }
        _ => "a value of another kind",
    }
}

/// Rewrites serde's messages ("invalid type: integer `5`, expected a
/// string") as a client would say them ("must be a string"); messages of our
/// own parsers ("must be a grid slug (gr_...)") pass unchanged.
fn plain_words(message: &str) -> String {
    if message.starts_with("unknown field `") {
        return "is not a known field".to_owned();
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        // "unknown variant `x`, expected one of `public`, `unlisted`, `private`"
        let expected = rest.split("expected ").nth(1).unwrap_or("");
        let choices: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return if choices.is_empty() {
            "is not one of the allowed values".to_owned()
        } else {
            format!("must be one of {}", choices.join(", "))
        };
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if rest.starts_with("null") {
            return "must not be null".to_owned();
        }
        let expected = rest.split(", expected ").nth(1).unwrap_or("");
        return format!("must be {}", expectation(expected));
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let expected = rest.split(", expected ").nth(1).unwrap_or("");
        return match expectation(expected) {
            "a whole number" => "is out of range".to_owned(),
            other => format!("must be {other}"),
        };
    }
    if message.starts_with("invalid length") {
        return "has the wrong number of elements".to_owned();
    }
    if message.starts_with("invalid digit") || message.starts_with("cannot parse integer") {
        return "must be a whole number".to_owned();
    }
    if message.starts_with("number too large") || message.starts_with("number too small") {
        return "is out of range".to_owned();
    }
    if message.starts_with("invalid float literal") {
        return "must be a number".to_owned();
    }
    if message.starts_with("duplicate field") {
        return "is given twice".to_owned();
    }
    if message.starts_with("must ") || message.starts_with("may ") || message.starts_with("is ") {
        return message.to_owned();
    }
    "is not valid".to_owned()
}

/// A query string, deserialised into `T`; a bad value is a 400 naming the
/// parameter, in the same `errors[]` shape as a body's.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

pub(crate) fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        field_error(&path, &error.into_inner().to_string()).into()
    })
}

/// Path extractor errors as problem+json instead of plain text.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|_, _| ApiError::bad_request("the path is not valid").into()),
    )
    .app_data(web::PayloadConfig::new(BODY_LIMIT));
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridlink_problem::FieldError;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Signup {
        username: String,
        age: Option<u8>,
    }

    fn error_of(result: Result<Signup, ApiError>) -> FieldError {
        match result.unwrap_err() {
            ApiError::Invalid(invalid) => invalid.errors[0].clone(),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    fn field_of(result: Result<Signup, ApiError>) -> String {
        error_of(result).field
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
        assert!(matches!(error, ApiError::BadRequest(_)));
        assert!(error.to_string().starts_with("malformed JSON"));
    }

    #[test]
    fn only_an_object_is_a_body() {
        for body in [&br#"[null, null]"#[..], b"\"x\"", b"3", b"null"] {
            let error = parse::<Signup>(body).unwrap_err();
            assert_eq!(error.to_string(), "the request body must be a JSON object");
        }
    }

    #[test]
    fn messages_are_plain_words_not_rust_types() {
        let wrong_type = error_of(parse(br#"{"username":5}"#));
        assert_eq!(wrong_type.message, "must be a string");
        let out_of_range = error_of(parse(br#"{"username":"a","age":300}"#));
        assert_eq!(out_of_range.message, "is out of range");
        assert_eq!(error_of(parse(br#"{}"#)).message, "is required");
        let unknown = error_of(parse(br#"{"username":"a","admin":true}"#));
        assert_eq!(unknown.message, "is not a known field");
        assert_eq!(
            plain_words("unknown variant `x`, expected one of `public`, `unlisted`, `private`"),
            "must be one of public, unlisted, private"
        );
        for e in [wrong_type, out_of_range, unknown] {
            assert!(
                !e.message.contains("expected") && !e.message.contains("u8"),
                "{e:?}"
            );
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Listing {
        limit: Option<i64>,
        owner: Option<String>,
    }

    #[test]
    fn a_bad_query_parameter_is_named_like_a_body_field() {
        let error = parse_query::<Listing>("limit=abc&owner=me").unwrap_err();
        let ApiError::Invalid(invalid) = error else {
            panic!("a field error");
        };
        assert_eq!(
            invalid.errors,
            [FieldError::new("limit", "must be a whole number")]
        );
        assert_eq!(parse_query::<Listing>("limit=7").unwrap().limit, Some(7));
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
