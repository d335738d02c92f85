//! The figures of one run: a table on stdout and `report.json`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::driver::Measurement;

#[derive(Debug, Serialize)]
pub struct Row {
    pub scenario: &'static str,
    pub concurrency: usize,
    /// Requests per second asked for in an open loop; absent for a closed loop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    pub requests: u64,
    pub errors: u64,
    /// Of the errors, 5xx answers and requests that got no answer.
    pub server_errors: u64,
    /// What the failed requests got, most frequent first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureCount>,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Statements of every service with a database, per request.
    pub sql_per_request: f64,
    pub rss_before_kib: BTreeMap<String, u64>,
    pub rss_after_kib: BTreeMap<String, u64>,
    /// Redis's `used_memory` after the run (the gateways' page cache and
    /// rate limits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_after_kib: Option<u64>,
    /// The ingest scenario: how its clicks were counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingestion: Option<Ingestion>,
}

/// Clicks answered during a stream, what the analytics service counted of
/// them, and how long after the stream ended it had counted them all.
#[derive(Debug, Serialize)]
pub struct Ingestion {
    pub answered: u64,
    pub counted: u64,
    pub drained_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct FailureCount {
    pub what: String,
    pub count: u64,
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

impl Row {
    pub fn new(
        scenario: &'static str,
        concurrency: usize,
        rate: Option<f64>,
        measurement: &Measurement,
        statements: u64,
        rss: (BTreeMap<String, u64>, BTreeMap<String, u64>),
        redis_after_kib: Option<u64>,
    ) -> Self {
        Self {
            scenario,
            concurrency,
            rate,
            requests: measurement.requests,
            errors: measurement.errors,
            server_errors: measurement.server_errors,
            failures: measurement
                .failures
                .most_frequent()
                .into_iter()
                .map(|(what, count)| FailureCount {
                    what: what.to_owned(),
                    count,
                })
                .collect(),
            rps: round(measurement.rps(), 1),
            p50_ms: round(measurement.quantile_ms(0.50), 3),
            p90_ms: round(measurement.quantile_ms(0.90), 3),
            p99_ms: round(measurement.quantile_ms(0.99), 3),
            max_ms: round(measurement.max_ms(), 3),
            sql_per_request: round(statements as f64 / measurement.requests.max(1) as f64, 2),
            rss_before_kib: rss.0,
            rss_after_kib: rss.1,
            redis_after_kib,
            ingestion: None,
        }
    }
}

fn mib(rss: &BTreeMap<String, u64>) -> String {
    rss.iter()
        .map(|(service, kib)| format!("{service} {}", kib / 1024))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn header() {
    println!(
        "{:<15} {:>5} {:>9} {:>6} {:>5} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}  RSS MiB before → after (Redis after)",
        "scenario",
        "conc",
        "requests",
        "errors",
        "5xx",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "SQL/req"
    );
}

pub fn print(row: &Row) {
    println!(
        "{:<15} {:>5} {:>9} {:>6} {:>5} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.2}  {} → {}{}",
        row.scenario,
        row.concurrency,
        row.requests,
        row.errors,
        row.server_errors,
        row.rps,
        row.p50_ms,
        row.p90_ms,
        row.p99_ms,
        row.max_ms,
        row.sql_per_request,
        mib(&row.rss_before_kib),
        mib(&row.rss_after_kib),
        row.redis_after_kib.map_or_else(String::new, |kib| format!(
            " (redis {:.1})",
            kib as f64 / 1024.0
        )),
    );
    if let Some(ingestion) = &row.ingestion {
        println!(
            "{:<15} clicks answered {}, counted {}, all counted {} ms after the stream",
            "", ingestion.answered, ingestion.counted, ingestion.drained_ms
        );
    }
    for failure in row.failures.iter().take(5) {
        println!("{:<15} {:>6} × {}", "", failure.count, failure.what);
    }
}

pub fn write(rows: &[Row], path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(rows)? + "\n")?;
    Ok(())
}
