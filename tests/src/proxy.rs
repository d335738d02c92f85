//! A fault-injection TCP proxy between a service and what it talks to
//! (PostgreSQL, RabbitMQ, another service). It forwards until told otherwise:
//! `cut` drops every open connection and refuses new ones, `delay` holds every
//! chunk of data for a while, `blackhole` accepts and swallows everything and
//! answers nothing; `restore` forwards again.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    Delay(Duration),
    Blackhole,
    /// The generation counts cuts, so each cut drops the connections open then.
    Cut(u64),
}

pub struct Proxy {
    pub addr: SocketAddr,
    mode: watch::Sender<Mode>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().unwrap();
        let (mode, _) = watch::channel(Mode::Forward);
        let modes = mode.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if matches!(*modes.borrow(), Mode::Cut(_)) {
                    drop(client);
                    continue;
                }
                tokio::spawn(connection(client, upstream, modes.subscribe()));
            }
        });
        Self { addr, mode }
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        self.mode.send_modify(|mode| {
            *mode = match *mode {
                Mode::Cut(n) => Mode::Cut(n + 1),
                _ => Mode::Cut(0),
            }
        });
    }

    /// Holds every chunk of data, both ways, for `by`.
    pub fn delay(&self, by: Duration) {
        self.mode.send_replace(Mode::Delay(by));
    }

    /// Keeps connections open (and accepts new ones) but forwards nothing.
    pub fn blackhole(&self) {
        self.mode.send_replace(Mode::Blackhole);
    }

    pub fn restore(&self) {
        self.mode.send_replace(Mode::Forward);
    }
}

async fn connection(client: TcpStream, upstream: SocketAddr, mode: watch::Receiver<Mode>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let mut cut = mode.clone();
    tokio::select! {
        _ = pump(client_read, server_write, mode.clone()) => {}
        _ = pump(server_read, client_write, mode) => {}
        _ = cut.wait_for(|m| matches!(m, Mode::Cut(_))) => {}
    }
}

/// Copies one direction, honouring the mode for every chunk.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mode: watch::Receiver<Mode>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        let current = *mode.borrow();
        match current {
            Mode::Forward => {}
            Mode::Delay(by) => tokio::time::sleep(by).await,
            Mode::Blackhole => continue,
            Mode::Cut(_) => return,
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
