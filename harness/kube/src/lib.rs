//! netreach-kube: everything that talks to a cluster — connect, deploy fixtures, apply policies, probe, clean up.

mod admission;
mod agent;
mod cleanup;
mod cluster_policies;
mod connect;
mod error;
mod exec;
mod fixture_plan;
mod fixtures;
mod foreign;
mod leases;
mod objects;
mod permissions;
mod policies;
mod probe_script;
mod prober;
mod runner;
mod session;
#[cfg(test)]
mod test_suites;
mod world;

pub use cleanup::{Cleaned, cleanup_all, cleanup_one, cleanup_run};
pub use connect::{Cluster, connect, now};
pub use error::{Error, Result};
pub use fixtures::{FixtureImages, Mode};
pub use foreign::foreign_policies;
pub use leases::{LEASE_NAMESPACE, RunLeases, live_runs};
pub use objects::new_run_id;
pub use permissions::{Access, check_permissions, run_permissions};
pub use runner::{RunOptions, Runner};
pub use session::{Outcome, run_session};
