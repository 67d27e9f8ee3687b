//! Test-only: the repository's suites loaded as the unit tests of this crate need them (outside addresses set).

use std::path::Path;

use netreach_core::suite::{Suite, load_suite_with_env};

/// Loads `file` (relative to the repository root) with `NETREACH_OUTSIDE_ADDRS` set to two made-up addresses.
pub(crate) fn repository_suite(file: &str) -> Suite {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(file);
    let env = |name: &str| {
        (name == "NETREACH_OUTSIDE_ADDRS").then(|| "10.251.0.10 10.251.0.11".to_owned())
    };
    load_suite_with_env(&path, &env).unwrap()
}
