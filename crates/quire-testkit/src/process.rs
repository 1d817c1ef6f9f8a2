//! A `quire serve` child process for tests: started on a free port with the given
//! environment, its output kept (and printed when the test fails), killed when dropped.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a starting server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The line `quire serve` prints once it listens.
const LISTENING: &str = "Quire is listening on ";

/// A running `quire serve`. Dropping it kills the process (SIGKILL) and reaps it.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    output: Arc<Mutex<String>>,
}

impl ServerProcess {
    /// Runs `binary serve --bind 127.0.0.1:0` with `env` (on top of a config file that does
    /// not exist, so only the environment and the defaults count) and waits for its address.
    pub fn start(binary: &str, env: &[(&str, String)]) -> Self {
        let mut command = Command::new(binary);
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("QUIRE_CONFIG", "/nonexistent/quire.toml")
            .env("QUIRE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start quire serve");
        let output = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        collect(stdout, output.clone(), Some(address_tx));
        collect(stderr, output.clone(), None);
        let base_url = match address_rx.recv_timeout(START_TIMEOUT) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "quire serve did not start:\n{}",
                    output.lock().expect("lock")
                );
            }
        };
        Self {
            child,
            base_url,
            output,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// SIGKILL, as a crash or `kill -9` would end it: no shutdown code runs.
    pub fn kill(mut self) {
        self.stop();
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().expect("lock").clone()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "--- output of quire serve at {} ---\n{}",
                self.base_url,
                self.output()
            );
        }
    }
}

/// Copies `stream` into `output` line by line on a thread; the first line naming the address
/// is sent to `address` when given.
fn collect(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    mut address: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix(LISTENING)
                && let Some(sender) = address.take()
            {
                let url = rest.split_whitespace().next().unwrap_or_default();
                let _ = sender.send(url.to_owned());
            }
            let mut output = output.lock().expect("lock");
            output.push_str(&line);
            output.push('\n');
        }
    });
}
