//! What the services report about themselves around a run: SQL statements
//! (their `db_statements_total`) and resident memory (from `/proc`, using the
//! pid files `make up` writes).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;

pub const SERVICES: [&str; 4] = ["auth", "grids", "links", "gateway"];

pub struct Probe {
    http: reqwest::Client,
    /// Services with a database, and where their metrics are.
    databases: Vec<String>,
    run_dir: PathBuf,
}

impl Probe {
    pub fn new(metrics_urls: Vec<String>, run_dir: PathBuf) -> Self {
        Self {
            http: reqwest::Client::new(),
            databases: metrics_urls,
            run_dir,
        }
    }

    /// Statements run so far by every service with a database.
    pub async fn statements(&self) -> anyhow::Result<u64> {
        let mut total = 0;
        for base in &self.databases {
            let text = self
                .http
                .get(format!("{base}/metrics"))
                .send()
                .await?
                .text()
                .await?;
            total += text
                .lines()
                .find_map(|line| line.strip_prefix("db_statements_total"))
                .and_then(|rest| rest.split_whitespace().last())
                .with_context(|| format!("{base}/metrics has no db_statements_total"))?
                .parse::<f64>()? as u64;
        }
        Ok(total)
    }

    /// Resident set size of each service in KiB, for those whose pid file exists.
    pub fn rss_kib(&self) -> BTreeMap<String, u64> {
        SERVICES
            .iter()
            .filter_map(|service| {
                let pid =
                    std::fs::read_to_string(self.run_dir.join(format!("{service}.pid"))).ok()?;
                let status =
                    std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).ok()?;
                let kib = status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmRSS:"))?
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()?;
                Some((service.to_string(), kib))
            })
            .collect()
    }
}
