//! Shared by the suite tests: the repository root, the environments suites load under (none, or two made-up
//! outside addresses), loading one of the repository's suites (or the one-line error of a broken one) and the cells of its phases.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use netreach_core::matrix::{Cell, phase_cells};
use netreach_core::plan::{resolved_policies, synthetic_deployment};
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

/// The error of loading the suite at `path` under `env`, checked to be one line.
pub fn one_line_load_error(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> String {
    let error = load_suite_with_env(path, env)
        .expect_err("invalid input")
        .to_string();
    assert!(!error.contains('\n'), "errors are one line: {error}");
    error
}

/// The cells of phase `index` of `suite` on its synthetic deployment, under that phase's policies.
pub fn cells(suite: &Suite, index: usize) -> Vec<Cell> {
    let deployment = synthetic_deployment(suite);
    let policies = resolved_policies(&suite.phases[index], &deployment.placeholders);
    phase_cells(
        suite,
        index,
        &deployment.layout,
        &deployment.world,
        &policies,
    )
    .unwrap()
}
