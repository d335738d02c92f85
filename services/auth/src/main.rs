use std::process::ExitCode;

use auth::{Application, Config};

const USAGE: &str = "usage: auth [serve | migrate | generate-key]";

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = gridlink_telemetry::init("auth");
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "generate-key" {
        return match auth::generate_pem() {
            Ok(pem) => {
                print!("{pem}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(e.into()),
    };
    let result = match command.as_str() {
        "serve" => match Application::build(config).await {
            Ok(app) => app.run_until_stopped().await.map_err(Into::into),
            Err(e) => Err(e),
        },
        "migrate" => auth::migrate(&config).await.map(|applied| {
            tracing::info!(applied = ?applied, "migrations are up to date");
        }),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(error: anyhow::Error) -> ExitCode {
    tracing::error!(error = format!("{error:#}"), "auth stopped");
    ExitCode::FAILURE
}
