//! A service binary in a child process, for tests that kill a service the way
//! an OOM killer or a node failure would.

use std::process::{Child, Command};

pub(crate) struct ChildService {
    command: Command,
    process: Option<Child>,
}

impl ChildService {
    pub(crate) fn spawn(command: Command) -> Self {
        let mut child = Self {
            command,
            process: None,
        };
        child.start();
        child
    }

    pub(crate) fn start(&mut self) {
        assert!(self.process.is_none(), "the service is already running");
        let process = self
            .command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.command.get_program()));
        self.process = Some(process);
    }

    /// SIGKILL, then reap the process so its port is free again.
    pub(crate) fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

impl Drop for ChildService {
    fn drop(&mut self) {
        self.kill();
    }
}
