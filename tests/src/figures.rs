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
