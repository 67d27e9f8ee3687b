//! ClusterNetworkPolicy in the oracle: the Admin and Baseline tiers around NetworkPolicy, compiled and evaluated.
//!
//! Each side of a connection (the source's egress, the destination's ingress) is decided by three layers in turn:
//! the Admin tier (policies by priority, lower first; the first matching rule's Accept or Deny is final, Pass hands
//! the side to the next layer), NetworkPolicy (final for pods it selects), the Baseline tier (same as Admin), and
//! the default, allow. hostNetwork pods are never subjects or pod peers of a ClusterNetworkPolicy, and a pod's
//! traffic to its own pod IP is not subject to ClusterNetworkPolicy (the API's hairpin rule).

mod compile;
mod evaluate;
mod explain;
mod peers;
mod ports;

use serde::{Deserialize, Serialize};

pub(crate) use compile::ClusterPolicy;
pub use compile::subject_covers_namespace;
pub(crate) use evaluate::ClusterHit;
pub(crate) use peers::ClusterPeer;
pub(crate) use ports::ClusterPort;

/// The tier of a ClusterNetworkPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Tier {
    /// Checked before NetworkPolicy: cannot be overridden by namespace owners.
    Admin,
    /// Checked after NetworkPolicy, for sides no NetworkPolicy selects.
    Baseline,
}

impl Tier {
    pub const BOTH: [Tier; 2] = [Tier::Admin, Tier::Baseline];

    pub fn name(self) -> &'static str {
        match self {
            Self::Admin => "Admin",
            Self::Baseline => "Baseline",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a matching ClusterNetworkPolicy rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Final: the side is allowed.
    Accept,
    /// Final: the side is denied.
    Deny,
    /// The rest of the tier is skipped; the next layer decides.
    Pass,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Self::Accept => "Accept",
            Self::Deny => "Deny",
            Self::Pass => "Pass",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A compiled rule: its action applies to traffic on one of `protocols` (all when `None`) to/from one of `peers`.
#[derive(Debug, Clone)]
pub(crate) struct ClusterRule {
    /// The rule's optional `name`.
    pub name: Option<String>,
    pub action: Action,
    pub peers: Vec<ClusterPeer>,
    pub protocols: Option<Vec<ClusterPort>>,
}
