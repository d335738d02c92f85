use std::process::ExitCode;

use gateway::Config;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = gridlink_telemetry::init("gateway");
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "probe" {
        let addr = std::env::args()
            .nth(2)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        return gridlink_http::cli::probe(&addr);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return gridlink_http::cli::exit("gateway", Err(e.into())),
    };
    let result = match command.as_str() {
        "serve" => match gateway::build(config).await {
            Ok(app) => app.run_until_stopped().await.map_err(Into::into),
            Err(e) => Err(e),
        },
        // Nothing to migrate: the gateway has no database. Accepted so every
        // service answers the same commands.
        "migrate" => Ok(()),
        _ => return gridlink_http::cli::usage("gateway [serve | migrate | probe [addr]]"),
    };
    gridlink_http::cli::exit("gateway", result)
}
