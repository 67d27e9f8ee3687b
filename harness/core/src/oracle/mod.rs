//! The NetworkPolicy oracle: given a world and its policies, decides whether each traffic is allowed, and why.
//!
//! Pure: no cluster client, no I/O. [`Oracle::new`] validates and precompiles the policies
//! (CIDRs parsed, selectors pre-evaluated over the world's pods, the policies selecting each pod
//! indexed per direction) so that [`Oracle::decide`] is cheap. [`Oracle::explain`] says the same
//! decision in plain words. Where the specification leaves behaviour to the network plugin, the
//! [`Profile`] decides, and each [`Decision`] lists the switches its outcome depends on.
//!
//! ```
//! use netreach_core::oracle::{Oracle, PodRef, Profile, SideVerdict, Target, Traffic};
//! use netreach_core::world::{PodInfo, Protocol, World};
//!
//! let pod = |name: &str, ip: &str| PodInfo {
//!     name: name.into(),
//!     namespace: "shop".into(),
//!     labels: [("app".to_string(), name.to_string())].into(),
//!     ip: ip.parse().unwrap(),
//!     secondary_ip: None,
//!     node: "node-1".into(),
//!     host_network: false,
//!     ports: vec![],
//! };
//! let world = World { pods: vec![pod("web", "10.0.0.1"), pod("db", "10.0.0.2")], ..World::default() };
//! let deny_db: k8s_openapi::api::networking::v1::NetworkPolicy = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
//!     "metadata": {"name": "db-deny", "namespace": "shop"},
//!     "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"]},
//! })).unwrap();
//!
//! let oracle = Oracle::new(&world, &[deny_db], Profile::default())?;
//! let traffic = Traffic {
//!     from: PodRef::new("shop", "web").into(),
//!     to: Target::Pod(PodRef::new("shop", "db")),
//!     port: 5432,
//!     protocol: Protocol::Tcp,
//! };
//! let decision = oracle.decide(&traffic)?;
//! assert!(!decision.allowed);
//! assert_eq!(decision.egress, SideVerdict::NotIsolated);
//! assert!(matches!(decision.ingress, SideVerdict::Denied { .. }));
//! assert!(oracle.explain(&traffic)?.starts_with("shop/web -> shop/db 5432/TCP: denied"));
//! # Ok::<(), netreach_core::oracle::OracleError>(())
//! ```

mod bitset;
mod cluster;
mod error;
mod evaluate;
mod explain;
mod index;
mod name;
mod peers;
mod policy;
mod ports;
mod profile;
mod selectors;

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::{Deserialize, Serialize};

pub use cluster::{Action, Tier, subject_covers_namespace};
pub use error::OracleError;
pub use name::PolicyName;
pub use profile::{Profile, ProfileSwitch};

use crate::cluster_policy::ClusterNetworkPolicy;
use crate::world::{Protocol, World};
use cluster::ClusterPolicy;
use index::WorldIndex;
use policy::{Direction, Policy};

/// A pod of the world, by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
}

impl PodRef {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for PodRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Where a traffic goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// A pod of the world (reached on its pod IP).
    Pod(PodRef),
    /// An address. If it is the pod IP of exactly one (non-hostNetwork) pod of the world, the
    /// traffic is judged as going to that pod (both sides); otherwise it is an outside endpoint
    /// (or a node, if a node has it) with no ingress side.
    Address(IpAddr),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pod(pod) => pod.fmt(f),
            Self::Address(ip) => ip.fmt(f),
        }
    }
}

/// Where a traffic comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A pod of the world (its egress side applies).
    Pod(PodRef),
    /// An address. If it is the pod IP of exactly one (non-hostNetwork) pod of the world, the traffic is judged as
    /// coming from that pod; otherwise it is an outside source (or a node, if a node has it): it has no egress side,
    /// and on the destination's ingress side only ipBlock peers (and ClusterNetworkPolicy networks) can match it.
    Address(IpAddr),
}

impl Source {
    /// The source pod, when it is given as one.
    pub fn pod(&self) -> Option<&PodRef> {
        match self {
            Self::Pod(pod) => Some(pod),
            Self::Address(_) => None,
        }
    }
}

impl From<PodRef> for Source {
    fn from(pod: PodRef) -> Self {
        Self::Pod(pod)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pod(pod) => pod.fmt(f),
            Self::Address(ip) => ip.fmt(f),
        }
    }
}

/// One connection attempt: from a pod (or an outside address) to a target, on a destination port and protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Traffic {
    pub from: Source,
    pub to: Target,
    pub port: u16,
    pub protocol: Protocol,
}

impl std::fmt::Display for Traffic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} -> {} {}/{}",
            self.from, self.to, self.port, self.protocol
        )
    }
}

/// The verdict of one side (the source's egress or the destination's ingress).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum SideVerdict {
    /// No policy of that direction selects the pod (or it is a hostNetwork pod and the profile
    /// says those are never selected): unrestricted.
    NotIsolated,
    /// Allowed by the first matching rule, in the order the policies were given and the rules
    /// written. `rule` indexes the policy's `ingress`/`egress` list; `peer` its `from`/`to`
    /// list, `None` when the rule has no peers (any peer). Indices are 0-based.
    Allowed {
        policy: PolicyName,
        rule: usize,
        peer: Option<usize>,
    },
    /// Selected by these policies (`namespace/name`), and no rule of theirs allows the traffic.
    Denied { selecting_policies: Vec<PolicyName> },
    /// Decided by a ClusterNetworkPolicy rule whose action is final (Accept or Deny). `rule` indexes the policy's
    /// `ingress`/`egress` list, `peer` the rule's `from`/`to` list (0-based).
    Cluster {
        tier: Tier,
        policy: PolicyName,
        priority: i32,
        rule: usize,
        peer: usize,
        action: Action,
    },
    /// This side does not exist: the ingress side of a destination outside the cluster's pods, or the egress side of
    /// a source outside them.
    NotApplicable,
}

impl SideVerdict {
    /// Whether this side lets the traffic through.
    pub fn permits(&self) -> bool {
        match self {
            Self::Denied { .. } => false,
            Self::Cluster { action, .. } => *action == Action::Accept,
            _ => true,
        }
    }
}

/// What the oracle decided for one traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Decision {
    /// Egress permits it and ingress permits it (or it is a pod's traffic to itself and the
    /// profile exempts such traffic).
    pub allowed: bool,
    pub egress: SideVerdict,
    pub ingress: SideVerdict,
    /// Profile switches which, flipped one at a time, would flip `allowed`. Empty when the
    /// outcome is fully specified by Kubernetes.
    pub implementation_defined: Vec<ProfileSwitch>,
}

/// The oracle over one world and one set of policies.
#[derive(Debug)]
pub struct Oracle<'w> {
    index: WorldIndex<'w>,
    policies: Vec<Policy>,
    /// `[direction][pod]`: indices of the policies selecting the pod in that direction.
    selecting: [Vec<Vec<u32>>; 2],
    /// ClusterNetworkPolicies, in the order given.
    cluster: Vec<ClusterPolicy>,
    /// `[tier][direction][pod]`: indices of the ClusterNetworkPolicies of that tier with rules of that direction
    /// whose subject is the pod, by priority then name.
    cluster_selecting: [[Vec<Vec<u32>>; 2]; 2],
    profile: Profile,
}

impl<'w> Oracle<'w> {
    /// Validates and precompiles `policies` against `world`.
    ///
    /// Fails on a policy the API server would reject or that cannot be interpreted (missing
    /// `metadata.namespace` or `name`, bad CIDR or `except` outside its cidr, unknown selector
    /// operator, `endPort` without a numeric `port`, unknown protocol or policy type, a peer
    /// mixing ipBlock with selectors, ...), naming the policy and the field; on duplicate
    /// policies; and on duplicate pods in the world. A policy without `spec` is read as the
    /// empty spec (all pods of its namespace, isolated for ingress). Pods whose namespace the
    /// world does not list get a namespace with only its `kubernetes.io/metadata.name` label.
    pub fn new(
        world: &'w World,
        policies: &[NetworkPolicy],
        profile: Profile,
    ) -> Result<Self, OracleError> {
        Self::layered(world, policies, &[], profile)
    }

    /// Like [`Oracle::new`], with ClusterNetworkPolicies around the NetworkPolicies: the Admin tier before them, the
    /// Baseline tier after. Fails also on a ClusterNetworkPolicy the API server would reject (tier, priority range,
    /// actions, at most 25 rules/peers/protocols, CIDRs, selectors, ports), naming it and the field, and on two
    /// ClusterNetworkPolicies with one name.
    pub fn layered(
        world: &'w World,
        policies: &[NetworkPolicy],
        cluster_policies: &[ClusterNetworkPolicy],
        profile: Profile,
    ) -> Result<Self, OracleError> {
        let index = WorldIndex::new(world)?;
        let mut compiled: Vec<Policy> = Vec::with_capacity(policies.len());
        let mut seen = std::collections::HashSet::new();
        for (position, policy) in policies.iter().enumerate() {
            let policy = Policy::compile(policy, position, &index)?;
            if !seen.insert(policy.name.clone()) {
                return Err(OracleError::DuplicatePolicy {
                    policy: policy.name.to_string(),
                });
            }
            compiled.push(policy);
        }
        let pods = index.pods();
        let mut selecting = [vec![Vec::new(); pods.len()], vec![Vec::new(); pods.len()]];
        for (p, policy) in compiled.iter().enumerate() {
            let id = u32::try_from(p).unwrap_or(u32::MAX);
            for (i, pod) in pods.iter().enumerate() {
                if pod.namespace == policy.namespace && policy.pod_selector.matches(&pod.labels) {
                    for direction in Direction::BOTH {
                        if policy.affects[direction as usize] {
                            selecting[direction as usize][i].push(id);
                        }
                    }
                }
            }
        }
        let mut cluster = Vec::with_capacity(cluster_policies.len());
        let mut cluster_names = std::collections::HashSet::new();
        for (position, policy) in cluster_policies.iter().enumerate() {
            let policy = ClusterPolicy::compile(policy, position, &index)?;
            if !cluster_names.insert(policy.name.clone()) {
                return Err(OracleError::DuplicatePolicy {
                    policy: policy.name.to_string(),
                });
            }
            cluster.push(policy);
        }
        let mut order: Vec<usize> = (0..cluster.len()).collect();
        order.sort_by(|&a, &b| {
            (cluster[a].priority, &cluster[a].name).cmp(&(cluster[b].priority, &cluster[b].name))
        });
        let empty = || [vec![Vec::new(); pods.len()], vec![Vec::new(); pods.len()]];
        let mut cluster_selecting = [empty(), empty()];
        for p in order {
            let policy = &cluster[p];
            let id = u32::try_from(p).unwrap_or(u32::MAX);
            let selected = (0..pods.len()).filter(|&i| policy.subject.members.contains(i));
            for i in selected {
                for direction in Direction::BOTH {
                    if policy.affects(direction) {
                        cluster_selecting[policy.tier as usize][direction as usize][i].push(id);
                    }
                }
            }
        }
        Ok(Self {
            index,
            policies: compiled,
            selecting,
            cluster,
            cluster_selecting,
            profile,
        })
    }

    /// The profile this oracle decides with.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The world this oracle decides over.
    pub fn world(&self) -> &'w World {
        self.index.world
    }

    /// The policies (`namespace/name`) selecting a pod for ingress and for egress, in the order given.
    pub fn selecting_policies(&self, pod: &PodRef) -> Result<(Vec<&str>, Vec<&str>), OracleError> {
        let i = self.pod_index(pod)?;
        let names = |direction: Direction| {
            self.selecting[direction as usize][i]
                .iter()
                .map(|&p| self.policy(p).name.as_str())
                .collect()
        };
        Ok((names(Direction::Ingress), names(Direction::Egress)))
    }

    fn pod_index(&self, pod: &PodRef) -> Result<usize, OracleError> {
        self.index
            .pod_index(&pod.namespace, &pod.name)
            .ok_or_else(|| OracleError::UnknownPod {
                namespace: pod.namespace.clone(),
                name: pod.name.clone(),
            })
    }

    fn policy(&self, id: u32) -> &Policy {
        &self.policies[id as usize]
    }

    fn cluster_policy(&self, id: u32) -> &ClusterPolicy {
        &self.cluster[id as usize]
    }
}
