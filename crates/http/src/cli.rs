//! The small pieces every service binary's `main` shares.

use std::process::ExitCode;

/// Logs the outcome of a command and turns it into the process exit code.
pub fn exit(service: &str, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(
                service,
                error = format!("{error:#}"),
                "stopped with an error"
            );
            ExitCode::FAILURE
        }
    }
}

pub fn usage(text: &str) -> ExitCode {
    eprintln!("usage: {text}");
    ExitCode::from(2)
}

pub fn report_migrations(applied: Vec<String>) {
    tracing::info!(applied = ?applied, "migrations are up to date");
}
