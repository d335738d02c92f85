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

/// `<service> probe [host:port]`: exits 0 when the service at that address
/// answers `/readyz` with 200. For container health checks (no curl needed).
pub fn probe(addr: &str) -> ExitCode {
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
