//! A real `redis-server` on a free loopback port, stopped when dropped (also when a test
//! panics), and helpers shared by the fleet tests.

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokenward::{Guard, GuardConfig, Request, TokenKey};
use tokenward_fleet::{Fleet, FleetConfig};

pub const KEY: &[u8] = b"fleet test key shared by every instance";

pub struct RedisServer {
    pub port: u16,
    /// The TLS port and the directory holding `server.crt` and `server.key`, when started
    /// with [`start_tls`](RedisServer::start_tls).
    tls: Option<(u16, std::path::PathBuf)>,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server, or returns `None` (the test then skips, saying so) when
    /// `redis-server` is not installed and `TOKENWARD_FLEET_REQUIRE_REDIS` is not set
    /// (`fleet/test.sh` installs it and sets it).
    pub fn start() -> Option<RedisServer> {
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            assert!(
                std::env::var_os("TOKENWARD_FLEET_REQUIRE_REDIS").is_none(),
                "redis-server is not installed"
            );
            eprintln!("skipped: redis-server is not installed (bash fleet/test.sh installs it)");
            return None;
        }
        let port = free_port();
        let mut server = RedisServer {
            port,
            tls: None,
            child: None,
        };
        server.spawn();
        Some(server)
    }

    /// Starts a server that also listens with TLS on a second port, with the certificate and
    /// key in `dir` (`server.crt`, `server.key`). `None` as for [`start`](Self::start).
    pub fn start_tls(dir: &std::path::Path) -> Option<RedisServer> {
        let mut server = RedisServer::start()?;
        server.kill();
        server.tls = Some((free_port(), dir.to_path_buf()));
        server.spawn();
        Some(server)
    }

    /// The `rediss://` URL of the TLS port.
    pub fn tls_url(&self) -> String {
        let (port, _) = self.tls.as_ref().expect("started with TLS");
        format!("rediss://127.0.0.1:{port}")
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let mut command = Command::new("redis-server");
        if let Some((port, dir)) = &self.tls {
            command
                .args(["--tls-port", &port.to_string()])
                .arg("--tls-cert-file")
                .arg(dir.join("server.crt"))
                .arg("--tls-key-file")
                .arg(dir.join("server.key"))
                .args(["--tls-auth-clients", "no"]);
        }
        let child = command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    pub fn ping(&self) -> bool {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok()
    }

    /// Kills the server (its data is gone: it runs without persistence).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Each test its own key prefix, so tests sharing a server never meet.
pub fn config(server: &RedisServer, prefix: &str) -> FleetConfig {
    FleetConfig::new(server.url())
        .unwrap()
        .prefix(prefix)
        .delta_interval(Duration::from_millis(100))
        .block(Duration::from_millis(100))
}

pub fn guard(toml: &str) -> Arc<Guard> {
    let config = GuardConfig::from_toml(toml).unwrap();
    Arc::new(Guard::with_config(TokenKey::new(KEY), &config).unwrap())
}

pub fn attach(guard: &Arc<Guard>, config: FleetConfig) -> Fleet {
    Fleet::attach(guard.clone(), config).unwrap()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn allowed(guard: &Guard, token: &str) -> bool {
    guard.check(&Request::new(token), now()).is_allowed()
}

/// Polls `condition` until it holds or `within` passes; true when it held.
pub fn eventually(within: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
