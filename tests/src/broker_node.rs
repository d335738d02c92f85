//! A RabbitMQ node of the test's own: its own node name, port and data
//! directory, so a test can stop and restart a real broker without
//! disturbing the tests that share the machine's broker.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server script that runs a node in the foreground and stops it
/// gracefully on SIGTERM (`RABBITMQ_SERVER` overrides it).
const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

pub struct BrokerNode {
    port: u16,
    dir: PathBuf,
    command: Command,
    process: Option<Child>,
}

impl BrokerNode {
    /// Boots a fresh node and waits until it accepts AMQP connections.
    pub async fn start() -> Self {
        let name = format!(
            "gltest-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
        let port = crate::stack::free_port();
        let file = |file: &str, text: &str| {
            let path = dir.join(file);
            std::fs::write(&path, text).expect("the node's directory is writable");
            path
        };
        // No plugins (the machine's management listener would clash), and
        // none of the machine's node settings.
        let plugins = file("enabled_plugins", "[].\n");
        let env_file = file("rabbitmq-env.conf", "");
        let config = file(
            "rabbitmq.conf",
            &format!("listeners.tcp.local = 127.0.0.1:{port}\n"),
        );
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let server = std::env::var("RABBITMQ_SERVER").unwrap_or_else(|_| SERVER.into());
        let mut command = Command::new(&server);
        command
            .env("RABBITMQ_NODENAME", format!("{name}@localhost"))
            .env("RABBITMQ_NODE_PORT", port.to_string())
            .env("RABBITMQ_DIST_PORT", crate::stack::free_port().to_string())
            .env("RABBITMQ_CONF_ENV_FILE", env_file)
            .env("RABBITMQ_CONFIG_FILE", config)
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", plugins)
            .env("RABBITMQ_MNESIA_BASE", dir.join("data"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let mut node = Self {
            port,
            dir,
            command,
            process: None,
        };
        node.start_again().await;
        node
    }

    /// `amqp://` URL of the node's default vhost.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Starts the stopped node on the same data; returns how long it took to
    /// accept connections.
    pub async fn start_again(&mut self) -> Duration {
        assert!(self.process.is_none(), "the node is running");
        let started = Instant::now();
        self.process = Some(self.command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot run {:?} ({e}); set RABBITMQ_SERVER to the rabbitmq-server script",
                self.command.get_program()
            )
        }));
        loop {
            let connected =
                lapin::Connection::connect(&self.url(), lapin::ConnectionProperties::default())
                    .await;
            if let Ok(connection) = connected {
                let _ = connection.close(200, "ready".into()).await;
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "the test's RabbitMQ node did not start; see {}",
                self.dir.join("server.log").display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the node the way an operator's restart does (SIGTERM: the node
    /// closes its connections and flushes its queues), and waits for it.
    pub async fn stop(&mut self) {
        let Some(mut process) = self.process.take() else {
            return;
        };
        tokio::task::spawn_blocking(move || terminate(&mut process))
            .await
            .unwrap();
    }
}

fn terminate(process: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &process.id().to_string()])
        .status();
    let _ = process.wait();
}

impl Drop for BrokerNode {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            terminate(&mut process);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
