//! Figures a reliability test measured (attempts, lost, time to drain …).
//! Each test writes its own `target/reliability/<name>.json`; `make test`
//! prints them all when the suite has passed, and RELIABILITY.md quotes them.

use std::path::PathBuf;

use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/reliability")
}

pub fn record(name: &str, figures: Value) {
    let dir = dir();
    std::fs::create_dir_all(&dir).expect("target/reliability is writable");
    let text = serde_json::to_string_pretty(&figures).unwrap();
    std::fs::write(dir.join(format!("{name}.json")), text + "\n")
        .expect("target/reliability is writable");
}

/// The `p` quantile (0.0 to 1.0) of latencies sorted ascending.
pub fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Milliseconds, with microsecond precision, for a figures file.
pub fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}
