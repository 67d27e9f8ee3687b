//! Shared by the suite tests: the repository root, the environments suites load under (none, or two made-up
//! outside addresses) and loading one of the repository's suites.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use netreach_core::suite::{Suite, load_suite_with_env};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// No environment variable set.
pub fn no_env(_: &str) -> Option<String> {
    None
}

/// `NETREACH_OUTSIDE_ADDRS` set to two made-up addresses, nothing else.
pub fn outside_env(name: &str) -> Option<String> {
    (name == "NETREACH_OUTSIDE_ADDRS").then(|| "10.251.0.10 10.251.0.11".to_owned())
}

/// The suite `file` (relative to the repository root) loaded under `env`; panics with the loading error.
pub fn load(file: &str, env: &dyn Fn(&str) -> Option<String>) -> Suite {
    load_suite_with_env(&repo_root().join(file), env).unwrap_or_else(|e| panic!("{e}"))
}
