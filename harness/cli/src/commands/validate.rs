//! `netreach validate`: load a suite and its manifests with no cluster, reporting the first problem.

use std::path::Path;

use netreach_core::suite::load_suite;

pub fn validate(path: &Path) -> anyhow::Result<i32> {
    let suite = load_suite(path)?;
    let cells: usize = suite.pods.len() * suite.destinations.len();
    println!(
        "{}: suite {} is valid: {} pods, {} destinations, {} phases, {} cells per phase",
        path.display(),
        suite.name,
        suite.pods.len(),
        suite.destinations.len(),
        suite.phases.len(),
        cells
    );
    Ok(0)
}
