use std::process::ExitCode;

use auth::Config;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = gridlink_telemetry::init("auth");
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "probe" {
        let addr = std::env::args()
            .nth(2)
            .unwrap_or_else(|| "127.0.0.1:8081".into());
        return gridlink_http::cli::probe(&addr);
    }
    if command == "generate-key" {
        return gridlink_http::cli::exit("auth", auth::generate_pem().map(|pem| print!("{pem}")));
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return gridlink_http::cli::exit("auth", Err(e.into())),
    };
    let result = match command.as_str() {
        "serve" => match auth::build(config).await {
            Ok(app) => app.run_until_stopped().await.map_err(Into::into),
            Err(e) => Err(e),
        },
        "migrate" => auth::migrate(&config)
            .await
            .map(gridlink_http::cli::report_migrations),
        _ => {
            return gridlink_http::cli::usage(
                "auth [serve | migrate | probe [addr] | generate-key]",
            );
        }
    };
    gridlink_http::cli::exit("auth", result)
}
