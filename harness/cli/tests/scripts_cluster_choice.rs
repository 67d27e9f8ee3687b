//! The cluster choice of `scripts/seed` and `scripts/test` (scripts/lib/ensure-cluster.sh), with the real binary's
//! `ping`: a configured cluster that does not answer is exit 2 with a hint and starts nothing; only with no cluster
//! configured at all is the local one started. `scripts/cluster` is replaced by a recorder in a scratch directory,
//! so these tests never touch the machine's cluster.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{repo, text};

/// Runs `ensure_cluster` in `dir`, whose `scripts/cluster` records its subcommands in `dir/calls`.
fn ensure_cluster(dir: &Path, kubeconfig: Option<&Path>) -> (Output, String) {
    let scripts = dir.join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    let recorder = scripts.join("cluster");
    std::fs::write(
        &recorder,
        "#!/usr/bin/env bash\necho \"$1\" >>\"$(dirname \"$0\")/../calls\"\n\
         [ \"$1\" = env ] && echo \"export KUBECONFIG=$(dirname \"$0\")/../local.kubeconfig\"\nexit 0\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(&recorder)
        .status()
        .unwrap();
    let library = repo().join("scripts/lib/ensure-cluster.sh");
    let mut command = Command::new("bash");
    command
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .args(["-c", ". \"$1\"; ensure_cluster \"$2\"", "ensure"])
        .arg(library)
        .arg(env!("CARGO_BIN_EXE_netreach"));
    if let Some(path) = kubeconfig {
        command.env("KUBECONFIG", path);
    }
    let out = command.output().unwrap();
    let calls = std::fs::read_to_string(dir.join("calls")).unwrap_or_default();
    (out, calls)
}

#[test]
fn a_configured_cluster_that_does_not_answer_is_exit_2_with_a_hint_and_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = support::kubeconfig_for(dir.path(), "https://127.0.0.1:1");
    let (out, calls) = ensure_cluster(dir.path(), Some(&kubeconfig));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("does not answer") && stderr.contains("127.0.0.1:1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: ") && stderr.contains("scripts/cluster up"),
        "{stderr}"
    );
    assert!(
        !calls.lines().any(|c| c == "up"),
        "the local cluster was started: {calls}"
    );
}

#[test]
fn with_no_cluster_configured_the_local_one_is_started() {
    let dir = tempfile::tempdir().unwrap();
    let (out, calls) = ensure_cluster(dir.path(), None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(calls.lines().any(|c| c == "up"), "{calls}");
}
