//! Processes a fault test owns and may stop, freeze or kill: a MongoDB stand-in of its own
//! (never the shared one other tests use) and the real `stockroom` binary.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use super::PASSWORD;

const BINARY: &str = env!("CARGO_BIN_EXE_stockroom");

/// Sends `signal` (a `kill` name like `STOP`) to a process this test started.
fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn show_logs() -> Stdio {
    if std::env::var_os("TEST_LOG").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

/// A MongoDB stand-in process with `--data-file`, so stopping and starting it keeps the
/// data, as a real MongoDB's restart does.
pub struct StandIn {
    port: u16,
    data_file: PathBuf,
    child: Option<Child>,
    frozen: bool,
}

impl StandIn {
    pub async fn start() -> Self {
        let data_file =
            std::env::temp_dir().join(format!("stand-in-{}.bson", uuid::Uuid::new_v4().simple()));
        let mut stand_in = Self {
            port: free_port(),
            data_file,
            child: None,
            frozen: false,
        };
        stand_in.spawn().await;
        stand_in
    }

    async fn spawn(&mut self) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/mongo-stand-in");
        let venv = std::env::var("MONGO_STAND_IN_VENV").unwrap_or_else(|_| ".venv".to_owned());
        let python = PathBuf::from(dir).join(venv).join("bin/python");
        let mut child = Command::new(&python)
            .args(["-m", "mongo_stand_in"])
            .env("PYTHONPATH", dir)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--log-level", "warning", "--data-file"])
            .arg(&self.data_file)
            .stdout(show_logs())
            .stderr(show_logs())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{python:?} (run tools/mongo-stand-in/setup.sh): {e}"));
        let started = tokio::time::Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            if let Some(exit) = child.try_wait().unwrap() {
                panic!("the stand-in exited at start ({exit}); TEST_LOG=1 shows why");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the stand-in did not listen within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.child = Some(child);
    }

    pub fn url(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?directConnection=true", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().and_then(Child::id).expect("running")
    }

    /// A clean stop (SIGTERM): the stand-in writes its data file and exits 0.
    pub async fn stop(&mut self) {
        signal(self.pid(), "TERM");
        let mut child = self.child.take().unwrap();
        let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("the stand-in stops within 20 s")
            .unwrap();
        assert!(exit.success(), "the stand-in stopped with {exit}");
    }

    /// Starts again on the same port, with the data written at the last stop.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        self.spawn().await;
    }

    /// SIGSTOP: connections stay open but nothing is answered, so a write hangs.
    pub fn freeze(&mut self) {
        signal(self.pid(), "STOP");
        self.frozen = true;
    }

    pub fn thaw(&mut self) {
        signal(self.pid(), "CONT");
        self.frozen = false;
    }

    /// A client straight to this stand-in, for assertions.
    pub async fn database(&self, name: &str) -> mongodb::Database {
        connect(&self.url(), name).await
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if self.frozen && self.child.is_some() {
            signal(self.pid(), "CONT");
        }
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_file(&self.data_file);
    }
}

pub async fn connect(url: &str, database: &str) -> mongodb::Database {
    let mut options = mongodb::options::ClientOptions::parse(url).await.unwrap();
    options.server_selection_timeout = Some(Duration::from_secs(5));
    mongodb::Client::with_options(options)
        .unwrap()
        .database(database)
}

/// The JWT secret the binaries started by the tests sign with (for "never logged" checks).
pub const JWT_SECRET: &str = "4e1f0c9a7d2b6e8f3a5c1d9b0e7f2a6c8d4b3e1f";
/// The signing seed they sign checkpoints with: [`super::TEST_SIGNING_SEED`] in base64, so
/// binaries and in-process servers sign alike.
pub const AUDIT_SIGNING_KEY: &str = "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=";

/// The keys of [`AUDIT_SIGNING_KEY`], for verifiers run beside those binaries.
pub fn binary_signing_keys() -> stockroom::domain::audit_checkpoint::AuditKeys {
    use stockroom::domain::audit_checkpoint::AuditKeys;
    AuditKeys::new(
        AuditKeys::seed_from_base64(AUDIT_SIGNING_KEY).unwrap(),
        Vec::new(),
    )
}

/// The binary with a clean environment holding only the given stores, the test secret and
/// JSON logs at `info`: what the tests of the binary itself start from.
pub fn binary_command(
    database_url: &str,
    mongodb_url: &str,
    mongodb_database: &str,
) -> std::process::Command {
    let mut command = std::process::Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("MONGODB_URL", mongodb_url)
        .env("MONGODB_DATABASE", mongodb_database)
        .env("JWT_SECRET", JWT_SECRET)
        .env("AUDIT_SIGNING_KEY", AUDIT_SIGNING_KEY)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        // Outside the checkout: the binary must carry what it reads (migrations, index specs).
        .current_dir(std::env::temp_dir());
    command
}

/// A service for the fault scenarios: [`binary_command`] with no rate limits, a fast relay,
/// short timeouts, killed when dropped.
pub fn service_command(database_url: &str, mongodb_url: &str, mongodb_database: &str) -> Command {
    let mut command = Command::from(binary_command(database_url, mongodb_url, mongodb_database));
    command
        .env("RATE_LIMIT_REGISTER_PER_MINUTE", "0")
        .env("RATE_LIMIT_LOGIN_PER_MINUTE", "0")
        .env("RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE", "0")
        .env("RATE_LIMIT_PASSWORD_CHANGE_PER_MINUTE", "0")
        .env("MONGODB_TIMEOUT_MS", "1000")
        .env("OUTBOX_POLL_INTERVAL_MS", "50")
        .env("OUTBOX_BATCH_SIZE", "100")
        .env("SHUTDOWN_TIMEOUT_SECONDS", "5")
        .kill_on_drop(true);
    command
}

/// `stockroom create-admin` on the given stores; returns the new admin's email.
pub async fn create_admin(mut command: Command) -> String {
    let email = super::unique_email("admin");
    let output = command
        .env("STOCKROOM_ADMIN_PASSWORD", PASSWORD)
        .args(["create-admin", "--email", &email])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "create-admin: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    email
}

/// A running `stockroom serve`, with its stdout and stderr collected.
pub struct Service {
    child: Child,
    pub port: u16,
    pub client: reqwest::Client,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Service {
    /// Runs `serve` and waits for the "serving" log line that names the port.
    pub async fn start(mut command: Command) -> Self {
        let mut child = command
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let logs: Arc<Mutex<Vec<String>>> = Arc::default();
        collect(child.stderr.take().unwrap(), logs.clone(), None);
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        collect(child.stdout.take().unwrap(), logs.clone(), Some(port_tx));
        let port = match tokio::time::timeout(Duration::from_secs(60), port_rx).await {
            Ok(Ok(port)) => port,
            _ => panic!(
                "the service did not start:\n{}",
                logs.lock().unwrap().join("\n")
            ),
        };
        Self {
            child,
            port,
            client: reqwest::Client::new(),
            logs,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// SIGKILL: no shutdown, no flush, transactions cut where they are.
    pub async fn kill(&mut self) {
        signal(self.child.id().expect("running"), "KILL");
        let _ = self.child.wait().await;
    }

    /// SIGTERM, and a clean exit within 30 s.
    pub async fn terminate(&mut self) {
        self.signal_terminate();
        self.wait_for_clean_exit().await;
    }

    /// Sends SIGTERM and returns at once.
    pub fn signal_terminate(&self) {
        signal(self.child.id().expect("running"), "TERM");
    }

    /// Waits (30 s at most) for the exit after a SIGTERM, which must be 0.
    pub async fn wait_for_clean_exit(&mut self) {
        let exit = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap();
        assert!(exit.success(), "{exit:?}\n{}", self.logs());
    }

    /// Logs in as `email` (password [`PASSWORD`]); returns the access token.
    pub async fn login(&self, email: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let pair: Value = response.json().await.unwrap();
        pair["access_token"].as_str().unwrap().to_owned()
    }

    /// `/health/ready`'s body (200 or 503 alike).
    pub async fn readiness(&self) -> Option<Value> {
        let response = self.client.get(self.url("/health/ready")).send().await;
        response.ok()?.json().await.ok()
    }
}

fn collect(
    stream: impl AsyncRead + Unpin + Send + 'static,
    logs: Arc<Mutex<Vec<String>>>,
    mut port: Option<tokio::sync::oneshot::Sender<u16>>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if port.is_some() {
                let parsed: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                if parsed["fields"]["message"] == "serving"
                    && let Some(number) = parsed["fields"]["port"].as_u64()
                {
                    let _ = port.take().unwrap().send(number as u16);
                }
            }
            logs.lock().unwrap().push(line);
        }
    });
}
