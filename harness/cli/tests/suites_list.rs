//! `cargo test -- --list` on the per-cell trials of `tests/suites.rs` contacts no cluster: its names come from the
//! plan. The kubeconfig here points at a local socket that would see any connection attempt.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

mod support;

/// The `suites` test binary, built beside this one (`target/debug/deps/suites-HASH`; the newest if several).
fn suites_binary() -> PathBuf {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.strip_prefix("suites-")
                .is_some_and(|hash| !hash.contains('.'))
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .expect("the suites test binary is built with this one (cargo test -p netreach)")
}

#[test]
fn listing_the_per_cell_trials_contacts_no_cluster() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = support::kubeconfig_for(dir.path(), &format!("https://127.0.0.1:{port}"));
    let started = Instant::now();
    let out = Command::new(suites_binary())
        .arg("--list")
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("NETREACH_OUTSIDE_ADDRS")
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("metadata-access/metadata-deny/pod1->metadata:32000: test"),
        "{stdout}"
    );
    // The outside destination is named by the suite's port, with or without the environment.
    assert!(
        stdout.contains("metadata-access/metadata-deny+allow/pod3->internet:80: test"),
        "{stdout}"
    );
    assert_eq!(stdout.matches(": test").count(), 27, "{stdout}");
    assert!(
        listener.accept().is_err(),
        "listing connected to the cluster (after {took:?})"
    );
}
