use std::process::ExitCode;

use links::Config;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = gridlink_telemetry::init("links");
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "probe" {
        let addr = std::env::args()
            .nth(2)
            .unwrap_or_else(|| "127.0.0.1:8083".into());
        return gridlink_http::cli::probe(&addr);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return gridlink_http::cli::exit("links", Err(e.into())),
    };
    let result = match command.as_str() {
        "serve" => match links::build(config).await {
            Ok(app) => app.run_until_stopped().await.map_err(Into::into),
            Err(e) => Err(e),
        },
        "migrate" => links::migrate(&config)
            .await
            .map(gridlink_http::cli::report_migrations),
        _ => return gridlink_http::cli::usage("links [serve | migrate | probe [addr]]"),
    };
    gridlink_http::cli::exit("links", result)
}
