//! Structured logs and distributed tracing for every Gridlink binary.
//!
//! - Logs are JSON lines on stdout, filtered by `RUST_LOG` (default `info`).
//! - Spans always carry OpenTelemetry context, so `traceparent` is continued
//!   across hops and every log line of a request shares one trace id.
//! - Spans are exported over OTLP/HTTP only when `OTEL_EXPORTER_OTLP_ENDPOINT`
//!   is set. The fmt and OpenTelemetry layers are filtered separately: a quiet
//!   log level must not switch off the spans that carry trace context.

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Flushes pending spans when dropped; keep it alive for the life of `main`.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("telemetry: span exporter did not shut down cleanly: {e}");
        }
    }
}

fn provider_builder(service_name: &'static str) -> opentelemetry_sdk::trace::TracerProviderBuilder {
    SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(service_name).build())
}

/// Installs the global subscriber and propagator. Call once, first thing in `main`.
pub fn init(service_name: &'static str) -> TelemetryGuard {
    let mut builder = provider_builder(service_name);
    let exporting = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| !v.is_empty());
    if exporting {
        match opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
        {
            Ok(exporter) => builder = builder.with_batch_exporter(exporter),
            Err(e) => eprintln!("telemetry: OTLP exporter not started: {e}"),
        }
    }
    install(service_name, builder.build())
}

/// Like [`init`], exporting every finished span to `exporter` at once (tests
/// read the spans back from an in-memory exporter).
pub fn init_with_exporter<E>(service_name: &'static str, exporter: E) -> TelemetryGuard
where
    E: opentelemetry_sdk::trace::SpanExporter + 'static,
{
    install(
        service_name,
        provider_builder(service_name)
            .with_simple_exporter(exporter)
            .build(),
    )
}

fn install(service_name: &'static str, provider: SdkTracerProvider) -> TelemetryGuard {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());

    let log_filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt_layer = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stdout)
        .with_filter(log_filter);
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service_name))
        .with_filter(EnvFilter::new("info"));

    // A second init (tests start several apps in one process) keeps the first.
    let _ = tracing_subscriber::registry()
        .with(fmt_layer)
        .with(otel_layer)
        .try_init();

    TelemetryGuard { provider }
}

/// Writes the current span's W3C trace context (`traceparent`, `tracestate`)
/// into outgoing HTTP headers.
pub fn inject_context(headers: &mut http::HeaderMap) {
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers));
    });
}

/// The current span's `traceparent`, if it belongs to a sampled or remote trace.
/// Used where context travels in something other than HTTP headers (an outbox row).
pub fn current_traceparent() -> Option<String> {
    let mut headers = http::HeaderMap::new();
    inject_context(&mut headers);
    headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Makes `traceparent` the parent of the current span (a consumer continuing
/// the trace of the request that caused a message).
pub fn continue_trace(span: &tracing::Span, traceparent: &str) {
    let carrier = SingleTraceparent(traceparent);
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Sets an OpenTelemetry attribute of `span`: for exported spans only, so
/// the JSON logs do not format it again (as they do each field recorded).
pub fn set_attribute(
    span: &tracing::Span,
    key: &'static str,
    value: impl Into<opentelemetry::Value>,
) {
    span.set_attribute(key, value);
}

/// Marks `span` as failed, for exported spans.
pub fn set_error(span: &tracing::Span) {
    span.set_status(opentelemetry::trace::Status::error(""));
}

/// The trace id of the current span, as 32 hex characters.
pub fn current_trace_id() -> Option<String> {
    let context = tracing::Span::current().context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(key.as_bytes()),
            http::header::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct SingleTraceparent<'a>(&'a str);

impl Extractor for SingleTraceparent<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent").then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_continued_trace_is_injected_into_outgoing_headers() {
        let _guard = init("telemetry-test");
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let span = tracing::info_span!("handling");
        continue_trace(&span, incoming);
        let _entered = span.enter();

        let outgoing = current_traceparent().expect("a traceparent is injected");
        assert!(
            outgoing.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "trace id must be kept across the hop, got {outgoing}"
        );
        assert_eq!(
            current_trace_id().as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }
}
