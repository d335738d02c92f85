//! The gateways' Redis, through `redis-cli` (installed with the server):
//! emptying the page cache before the miss scenario, and its memory.
//! `REDIS_URL` (redis://127.0.0.1:6379), `PAGE_CACHE_PREFIX` (gridlink:pages:).

use std::process::Command;

use anyhow::{Context, bail};

fn cli(args: &[&str]) -> anyhow::Result<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let output = Command::new("redis-cli")
        .args(["-u", &url])
        .args(args)
        .output()
        .context("redis-cli is not installed (make infra)")?;
    if !output.status.success() {
        bail!(
            "redis-cli {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Drops every key of the page cache (entries, owner sets, settle markers).
pub fn forget_pages() -> anyhow::Result<()> {
    let prefix = std::env::var("PAGE_CACHE_PREFIX").unwrap_or_else(|_| "gridlink:pages:".into());
    let script = "local n = 0 \
                  for _, key in ipairs(redis.call('KEYS', ARGV[1])) do \
                    redis.call('UNLINK', key) n = n + 1 \
                  end \
                  return n";
    cli(&["EVAL", script, "0", &format!("{prefix}*")])?;
    Ok(())
}

/// What Redis holds in memory (`used_memory`), in KiB; `None` when it
/// cannot be asked.
pub fn used_memory_kib() -> Option<u64> {
    let info = cli(&["INFO", "memory"]).ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|bytes| bytes.trim().parse::<u64>().ok())
        .map(|bytes| bytes / 1024)
}
