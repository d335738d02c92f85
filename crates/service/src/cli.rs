//! What every service binary does: `serve` (the default), `migrate`, and
//! `probe [host:port]` for container health checks, plus the service's own
//! commands. A service's `main.rs` is one call: `gridlink_service::main::<S>()`.

use std::process::ExitCode;

use gridlink_config::ConfigError;

use crate::{Application, KitConfig, Spec};

/// A service the kit can run.
pub trait Service {
    const SPEC: Spec;
    /// The service's settings; they include the kit's.
    type Config: Send + 'static;

    fn config() -> Result<Self::Config, ConfigError>;

    fn kit_config(config: &Self::Config) -> &KitConfig;

    /// Builds the service (pool, background tasks, listeners).
    fn build(config: Self::Config) -> impl Future<Output = anyhow::Result<Application>> + Send;

    /// Commands besides `serve`, `migrate` and `probe`, as `(name, what it does)`.
    const COMMANDS: &'static [(&'static str, &'static str)] = &[];

    /// Runs one of [`Service::COMMANDS`].
    fn command(name: &str) -> anyhow::Result<()> {
        anyhow::bail!("unknown command {name}")
    }
}

/// Declares the type a service's binary runs, for a service whose `Config`
/// has `from_env()` and a `kit` field, built by an `async fn build(Config)`:
///
/// ```ignore
/// gridlink_service::service! {
///     /// The grids service.
///     pub struct Grids { spec: SPEC, config: Config, build: build }
/// }
/// ```
#[macro_export]
macro_rules! service {
    ($(#[$meta:meta])* $vis:vis struct $name:ident {
        spec: $spec:expr,
        config: $config:ty,
        build: $build:path $(,)?
    }) => {
        $(#[$meta])*
        $vis struct $name;

        impl $crate::Service for $name {
            const SPEC: $crate::Spec = $spec;
            type Config = $config;

            fn config() -> Result<$config, $crate::ConfigError> {
                <$config>::from_env()
            }

            fn kit_config(config: &$config) -> &$crate::KitConfig {
                &config.kit
            }

            fn build(
                config: $config,
            ) -> impl Future<Output = $crate::anyhow::Result<$crate::Application>> + Send {
                $build(config)
            }
        }
    };
}

/// The whole `main` of a service binary.
pub fn main<S: Service>() -> ExitCode {
    let spec = S::SPEC;
    let _telemetry = gridlink_telemetry::init(spec.name);
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| "serve".into());
    match command.as_str() {
        "probe" => {
            let addr = args
                .next()
                .unwrap_or_else(|| format!("127.0.0.1:{}", spec.port));
            return probe(&addr);
        }
        "serve" | "migrate" => {}
        other if S::COMMANDS.iter().any(|(name, _)| *name == other) => {
            return exit(spec.name, S::command(other));
        }
        _ => {
            let extra: String = S::COMMANDS
                .iter()
                .map(|(name, _)| format!(" | {name}"))
                .collect();
            eprintln!(
                "usage: {} [serve | migrate | probe [addr]{extra}]",
                spec.name
            );
            return ExitCode::from(2);
        }
    }
    let config = match S::config() {
        Ok(config) => config,
        Err(e) => return exit(spec.name, Err(e.into())),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return exit(spec.name, Err(e.into())),
    };
    let result = runtime.block_on(async move {
        if command == "migrate" {
            return migrate(&spec, S::kit_config(&config)).await;
        }
        let app = S::build(config).await?;
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    });
    exit(spec.name, result)
}

/// Applies the service's pending migrations (under an advisory lock, so
/// replicas starting together queue instead of racing).
pub async fn migrate(spec: &Spec, config: &KitConfig) -> anyhow::Result<()> {
    let (Some(migrations), Some(url)) = (spec.migrations, config.database_url()) else {
        tracing::info!("nothing to migrate: the service has no database");
        return Ok(());
    };
    let applied = gridlink_db::run_migrations(url, migrations).await?;
    tracing::info!(applied = ?applied, "migrations are up to date");
    Ok(())
}

fn exit(service: &str, result: anyhow::Result<()>) -> ExitCode {
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

/// `<service> probe [host:port]`: exits 0 when the service at that address
/// answers `/readyz` with 200. For container health checks (no curl needed).
fn probe(addr: &str) -> ExitCode {
    use std::io::{Read, Write};
    use std::time::Duration;
    let check = || -> std::io::Result<bool> {
        let addr: std::net::SocketAddr = addr
            .parse()
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "address"))?;
        let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(3)))?;
        stream.write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.") && &head[9..12] == b"200")
    };
    match check() {
        Ok(true) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
