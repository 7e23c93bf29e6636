//! `rediss://`: two instances reach each other through a redis-server that speaks TLS (a
//! throwaway CA and server certificate made with `openssl` for the test), and an instance
//! that does not trust that CA never connects.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;
use tokenward::TokenMeta;

/// A temporary directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A CA (`ca.crt`) and a server certificate it signed for 127.0.0.1 (`server.crt`,
/// `server.key`), or `None` when `openssl` is missing (the test then skips, unless
/// `TOKENWARD_FLEET_REQUIRE_REDIS` asks for every test to run).
fn certificates() -> Option<TempDir> {
    let dir = std::env::temp_dir().join(format!("tw-fleet-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = TempDir(dir);
    let made = openssl(
        &dir.0,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=tokenward test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    ) && openssl(
        &dir.0,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    ) && std::fs::write(dir.0.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").is_ok()
        && openssl(
            &dir.0,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                "ext.cnf",
                "-out",
                "server.crt",
            ],
        );
    if !made {
        assert!(
            std::env::var_os("TOKENWARD_FLEET_REQUIRE_REDIS").is_none(),
            "openssl could not make the test certificates"
        );
        eprintln!("skipped: openssl is not installed (bash fleet/test.sh installs it)");
        return None;
    }
    Some(dir)
}

#[test]
fn instances_share_revocations_over_tls_and_refuse_an_unknown_ca() {
    let Some(certs) = certificates() else { return };
    let Some(server) = RedisServer::start_tls(&certs.0) else {
        return;
    };
    let ca = std::fs::read(certs.0.join("ca.crt")).unwrap();
    let tls = |prefix: &str| {
        tokenward_fleet::FleetConfig::new(server.tls_url())
            .unwrap()
            .prefix(prefix)
            .block(Duration::from_millis(100))
            .tls_ca_cert(ca.clone())
    };
    let (a, b) = (guard(""), guard(""));
    let fleet_a = attach(&a, tls("tls"));
    let fleet_b = attach(&b, tls("tls"));
    assert!(
        fleet_a.flush(Duration::from_secs(10)),
        "{:?}",
        fleet_a.health()
    );
    let minted = a
        .mint(&TokenMeta::new().owner("alice"), &[9; 32], now())
        .unwrap();
    let token = minted.token.expose();
    assert!(eventually(Duration::from_secs(10), || allowed(&b, token)));
    a.revoke(&minted.id, now()).unwrap();
    assert!(eventually(Duration::from_secs(10), || !allowed(&b, token)));
    assert!(fleet_b.health().connected);

    // The same server, trusting only the system's roots: the handshake fails (the test CA
    // is unknown), so nothing is ever read, and the health says why.
    let c = guard("");
    let untrusting = tokenward_fleet::FleetConfig::new(server.tls_url())
        .unwrap()
        .prefix("tls");
    let fleet_c = attach(&c, untrusting);
    assert!(eventually(Duration::from_secs(10), || {
        fleet_c.health().last_error.is_some()
    }));
    let health = fleet_c.health();
    assert!(!health.connected);
    assert!(
        health
            .last_error
            .as_deref()
            .unwrap()
            .to_lowercase()
            .contains("certificate"),
        "{health:?}"
    );
    assert!(
        c.token(&minted.id).is_none(),
        "nothing arrived without TLS trust"
    );
    // Plain text to the TLS port is no way around it either.
    let plain = format!(
        "redis://127.0.0.1:{}",
        server.tls_url().rsplit(':').next().unwrap()
    );
    let d = guard("");
    let fleet_d = attach(
        &d,
        tokenward_fleet::FleetConfig::new(plain)
            .unwrap()
            .prefix("tls"),
    );
    assert!(!fleet_d.flush(Duration::from_millis(500)));
    assert!(d.token(&minted.id).is_none());
}
