//! `gridlink-bench`: drives a running stack (`make up`, loaded by
//! `make bench-load`) and reports latency, throughput, SQL per request and
//! memory per scenario. `make bench` runs it with the defaults.
//!
//! Options: `--duration SECS` (20), `--concurrency 1,32`, `--rate RPS` (open
//! loop), `--scenarios profile,link,…` (all but soak), `--out PATH`
//! (target/bench/report.json), `--threads N` (1: the load generator shares the
//! machine with the stack, so it takes as little of it as it can).
//! Environment: `GATEWAY_URL`, `AUTH_URL`, `GRIDS_URL`, `LINKS_URL` (the local
//! ports), `AUTH_ADMIN_URL`, `GRIDS_ADMIN_URL`, `LINKS_ADMIN_URL` (their metrics), `GATEWAY_TOKEN` (the gateway's service token, for the direct
//! scenario), `BENCH_USERS` (10000), `BENCH_ACCOUNTS` (32, as loaded), `BENCH_PASSWORD`, `RUN_DIR` (.run).

mod driver;
mod probe;
mod redis;
mod report;
mod scenarios;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use driver::Load;
use probe::Probe;
use scenarios::{Endpoints, Kind, Scenario, Target};

struct Options {
    duration: Duration,
    concurrency: Vec<usize>,
    rate: Option<f64>,
    scenarios: Vec<Kind>,
    out: PathBuf,
    threads: usize,
}

fn value<T: std::str::FromStr>(flag: &str, text: Option<String>) -> anyhow::Result<T> {
    text.with_context(|| format!("{flag} needs a value"))?
        .parse()
        .map_err(|_| anyhow::anyhow!("{flag}: not a valid value"))
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        duration: Duration::from_secs(20),
        concurrency: vec![1, 32],
        rate: None,
        scenarios: Kind::BENCH.to_vec(),
        out: PathBuf::from("target/bench/report.json"),
        threads: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--duration" => options.duration = Duration::from_secs(value(&flag, args.next())?),
            "--concurrency" => {
                options.concurrency = value::<String>(&flag, args.next())?
                    .split(',')
                    .map(|c| {
                        c.trim()
                            .parse()
                            .context("--concurrency: numbers, comma-separated")
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            "--rate" => options.rate = Some(value(&flag, args.next())?),
            "--scenarios" => {
                options.scenarios = value::<String>(&flag, args.next())?
                    .split(',')
                    .map(|name| Kind::parse(name.trim()))
                    .collect::<anyhow::Result<_>>()?
            }
            "--out" => options.out = value(&flag, args.next())?,
            "--threads" => options.threads = value(&flag, args.next())?,
            other => bail!("unknown option {other}; see the top of bench/src/main.rs"),
        }
    }
    Ok(options)
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn endpoints() -> anyhow::Result<Endpoints> {
    Ok(Endpoints {
        gateway: env("GATEWAY_URL", "http://127.0.0.1:8080"),
        auth: env("AUTH_URL", "http://127.0.0.1:8081"),
        grids: env("GRIDS_URL", "http://127.0.0.1:8082"),
        links: env("LINKS_URL", "http://127.0.0.1:8083"),
        service_token: std::env::var("GATEWAY_TOKEN").context(
            "GATEWAY_TOKEN (the gateway's service token, in .run/secrets.env) is required",
        )?,
        password: env("BENCH_PASSWORD", "benchmark passphrase 2026"),
        users: env("BENCH_USERS", "10000").parse().context("BENCH_USERS")?,
        accounts: env("BENCH_ACCOUNTS", "32")
            .parse()
            .context("BENCH_ACCOUNTS")?,
    })
}

async fn bench(options: Options) -> anyhow::Result<()> {
    let endpoints = endpoints()?;
    // The services' admin listeners, where their metrics are.
    let probe = Probe::new(
        vec![
            env("AUTH_ADMIN_URL", "http://127.0.0.1:9081"),
            env("GRIDS_ADMIN_URL", "http://127.0.0.1:9082"),
            env("LINKS_ADMIN_URL", "http://127.0.0.1:9083"),
        ],
        PathBuf::from(env("RUN_DIR", ".run")),
    );
    let widest = options.concurrency.iter().copied().max().unwrap_or(1);
    let target = Arc::new(Target::connect(endpoints, widest).await?);
    let mut rows = Vec::new();
    report::header();
    for kind in &options.scenarios {
        let scenario = Arc::new(Scenario::new(*kind, target.clone()));
        for &concurrency in &options.concurrency {
            let load = Load {
                concurrency,
                duration: options.duration,
                rate: options.rate,
            };
            // A second unmeasured, to open connections and warm caches.
            let warm_up = Load {
                duration: Duration::from_secs(1),
                ..load
            };
            scenario.prepare()?;
            let workers = scenario.workers(concurrency).await?;
            let (_, workers) = driver::run(scenario.clone(), workers, warm_up).await;
            // The stream's clicks are counted from here: the warm-up's first.
            let counted_before = if *kind == Kind::Ingest {
                tokio::time::sleep(Duration::from_secs(2)).await;
                Some(scenario.counted(&workers).await?)
            } else {
                None
            };
            let rss_before = probe.rss_kib();
            let statements_before = probe.statements().await?;
            let (measurement, workers) = driver::run(scenario.clone(), workers, load).await;
            let statements = probe.statements().await? - statements_before;
            let ingestion = match counted_before {
                None => None,
                Some(before) => {
                    let answered = measurement.requests - measurement.errors;
                    let (took, counted) = scenario.drained(&workers, before, answered).await?;
                    Some(report::Ingestion {
                        answered,
                        counted,
                        drained_ms: took.as_millis() as u64,
                    })
                }
            };
            let mut row = report::Row::new(
                kind.name(),
                concurrency,
                options.rate,
                &measurement,
                statements,
                (rss_before, probe.rss_kib()),
                redis::used_memory_kib(),
            );
            row.ingestion = ingestion;
            report::print(&row);
            rows.push(row);
        }
    }
    report::write(&rows, &options.out)?;
    println!("report: {}", options.out.display());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads)
        .enable_all()
        .build()?
        .block_on(bench(options))
}
