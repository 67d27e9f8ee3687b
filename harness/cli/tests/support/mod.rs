//! What the CLI test files share: the repository root, running the binary, and copies of the seed suite.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// Runs share fixed namespace names, so the tests of one file take turns (test binaries run one after another).
pub static CLUSTER: Mutex<()> = Mutex::new(());

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary from the repository root, so relative paths such as `suites/…` resolve there.
pub fn netreach(args: &[&str]) -> Output {
    netreach_with(args, |_| {})
}

/// [`netreach`] with the command adjusted first (environment variables, for instance).
pub fn netreach_with(args: &[&str], adjust: impl FnOnce(&mut Command)) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netreach"));
    command.current_dir(repo()).args(args);
    adjust(&mut command);
    command.output().expect("netreach runs")
}

/// Runs a future to completion on a runtime of its own (for kube calls from synchronous tests).
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the run exited with `code`, showing its stdout and stderr if not; returns both as text.
#[track_caller]
pub fn expect_exit(out: &Output, code: i32) -> (String, String) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// The seed deny policy's `except`, whose removal is the broken policy of several tests.
pub const SEED_EXCEPT: &str = "        except:\n        - 192.168.100.21/32\n";

/// A copy of the seed suite and its manifests in `dir`, with `edit` applied to the file ending in `file`;
/// returns the suite's path.
pub fn seed_copy_into(dir: &Path, file: &str, edit: impl Fn(String) -> String) -> String {
    for relative in [
        "suites/metadata-access.yaml",
        "manifests/metadata-access/13_metadata-deny.yaml",
        "manifests/metadata-access/13_metadata-allow.yaml",
    ] {
        let target = dir.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let content = std::fs::read_to_string(repo().join(relative)).unwrap();
        let content = if relative.ends_with(file) {
            edit(content)
        } else {
            content
        };
        std::fs::write(&target, content).unwrap();
    }
    dir.join("suites/metadata-access.yaml")
        .display()
        .to_string()
}

/// [`seed_copy_into`] a new temp dir, which lives as long as the returned handle.
pub fn seed_copy(file: &str, edit: impl Fn(String) -> String) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let suite = seed_copy_into(dir.path(), file, edit);
    (dir, suite)
}

/// Writes `dir/kubeconfig` for an API server at `server` (`https://127.0.0.1:1`: one that is not running), with a
/// made-up token; returns its path.
pub fn kubeconfig_for(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: '{server}', \
             insecure-skip-tls-verify: true}}\nusers:\n- name: u\n  user: {{token: x}}\ncontexts:\n- name: x\n  \
             context: {{cluster: c, user: u}}\ncurrent-context: x\n"
        ),
    )
    .unwrap();
    path
}
