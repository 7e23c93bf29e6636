//! Instances in separate processes: this test binary started again as a child instance, and
//! the `tokenward fleet revoke` command line.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;
use tokenward::TokenMeta;

const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "tw_token_shared_by_two_processes";

/// The child side: runs only when the parent sets `FLEET_CHILD_URL`. Attaches, waits until
/// the parent's registration of `TOKEN` arrives, says `FLEET-READY`, then waits until the
/// parent's revocation arrives and says `FLEET-DENIED`.
#[test]
fn child_instance() {
    let Some(url) = std::env::var_os("FLEET_CHILD_URL") else {
        return;
    };
    let config = tokenward_fleet::FleetConfig::new(url.to_str().unwrap())
        .unwrap()
        .prefix("processes");
    let guard = guard("");
    let _fleet = attach(&guard, config);
    assert!(
        eventually(WAIT, || allowed(&guard, TOKEN)),
        "never registered"
    );
    println!("FLEET-READY");
    assert!(
        eventually(WAIT, || !allowed(&guard, TOKEN)),
        "never revoked"
    );
    println!("FLEET-DENIED");
}

#[test]
fn a_revocation_in_one_process_is_denied_in_another() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let here = guard("");
    let fleet = attach(&here, config(&server, "processes"));
    let id = here
        .register(TOKEN, &TokenMeta::new().owner("alice"), now())
        .unwrap();
    assert!(fleet.flush(WAIT));

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_instance",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FLEET_CHILD_URL", server.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut wait_for = |marker: &str| {
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains(marker))
    };
    assert!(wait_for("FLEET-READY"), "the child never saw the token");
    here.revoke(&id, now()).unwrap();
    assert!(
        wait_for("FLEET-DENIED"),
        "the child never saw the revocation"
    );
    assert!(child.wait().unwrap().success());
}

/// The `tokenward` binary next to this test's (built by `cargo test --workspace`, and by
/// `fleet/test.sh` before it runs these tests).
fn cli() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let cli = dir.join(format!("tokenward{}", std::env::consts::EXE_SUFFIX));
    assert!(
        cli.exists(),
        "{} is missing: cargo build -p tokenward-cli first",
        cli.display()
    );
    cli
}

#[test]
fn the_command_line_revokes_fleet_wide_by_selector_and_by_id() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let here = guard("");
    let _fleet = attach(&here, config(&server, "cli"));
    let alice = here
        .mint(&TokenMeta::new().owner("alice"), &[1; 32], now())
        .unwrap();
    let bob = here
        .mint(&TokenMeta::new().owner("bob"), &[2; 32], now())
        .unwrap();
    let carol = here
        .mint(&TokenMeta::new().owner("carol"), &[3; 32], now())
        .unwrap();

    let revoke = |args: &[&str]| {
        Command::new(cli())
            .args(["fleet", "revoke", "--prefix", "cli"])
            .args(args)
            .env("TOKENWARD_REDIS", server.url())
            .output()
            .unwrap()
    };
    let out = revoke(&["--owner", "alice"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("{cli}:changes"));
    assert!(eventually(WAIT, || !allowed(&here, alice.token.expose())));
    assert!(allowed(&here, bob.token.expose()));

    let out = revoke(&["--id", &bob.id.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(eventually(WAIT, || !allowed(&here, bob.token.expose())));
    assert!(allowed(&here, carol.token.expose()));

    // Bad input: a clear error, exit status 2, nothing published.
    let out = revoke(&["--id", "not-an-id"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--id #1"));
    let out = revoke(&[]);
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(cli())
        .args([
            "fleet",
            "revoke",
            "--owner",
            "x",
            "--redis",
            "redis://u:sekrit@127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("sekrit"));
    assert!(allowed(&here, carol.token.expose()));
}
