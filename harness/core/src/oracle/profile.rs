//! Implementation-defined switches of NetworkPolicy and ClusterNetworkPolicy enforcement (the oracle's profile) and their defaults.

use serde::{Deserialize, Serialize};

/// The points where the NetworkPolicy specification leaves behaviour to the network plugin.
///
/// The defaults describe upstream Kubernetes' own e2e expectations and kube-router (the
/// reference plugin of this project's local clusters); each field says why. Suites set it in
/// kebab-case (`ipblock-matches-pod-ips: false`); missing fields keep their default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Profile {
    /// Whether an `ipBlock` peer matches the IP of a (non-hostNetwork) pod.
    ///
    /// Default `true`: kube-router and Calico match ipBlocks against any source/destination
    /// address, pod IPs included; the API documentation only says ipBlocks are "meant" for
    /// cluster-external IPs. Cilium deliberately does not match pod IPs (set `false` for it).
    pub ipblock_matches_pod_ips: bool,
    /// Whether an `ipBlock` peer matches a node address (a hostNetwork pod's IP is one).
    ///
    /// Default `true`: kube-router's ipsets hold plain CIDRs and match node addresses like any
    /// other; Calico does the same for host traffic. Cilium only with
    /// `policy-cidr-match-mode=nodes` (set `false` for a default Cilium).
    pub ipblock_matches_node_ips: bool,
    /// Whether policies restrict traffic from a pod to itself (via its own pod IP).
    ///
    /// Default `false`: upstream's netpol e2e suite expects such traffic to be allowed whatever
    /// the policies say (`Reachability::AllowLoopback`, "loopback logic follows no policy").
    pub policy_applies_to_self_traffic: bool,
    /// Whether hostNetwork pods are selected by policies' `podSelector` and matched by peers'
    /// pod/namespace selectors.
    ///
    /// Default `false`: the Kubernetes documentation leaves hostNetwork pods undefined and
    /// plugins (kube-router included) cannot tell their traffic from the node's, so they are
    /// never isolated, and as peers they can be matched only by an `ipBlock` covering the node.
    pub host_network_pods_selected: bool,
    /// When ClusterNetworkPolicies of the same tier and priority both have a rule matching a connection, which one
    /// applies: the first by `metadata.name` (`true`) or the last (`false`).
    ///
    /// Default `true`, an arbitrary choice: the API says the implementation "can apply any of the matching
    /// policies", and no implementation documents its tie-break. A cell whose verdict depends on the tie is flagged.
    pub equal_priority_first_by_name: bool,
    /// Whether a ClusterNetworkPolicy `networks` peer matches a node address (a hostNetwork pod's IP is one).
    ///
    /// Default `true`: the API's `networks` field says cluster-internal traffic is checked against it as well, and
    /// NPEP-126 says a node CIDR put there "will work". Cilium matches `networks` like ipBlocks (CIDR selectors that
    /// reach nodes only with `policy-cidr-match-mode` containing `nodes`; set `false` for a default Cilium).
    pub networks_match_node_ips: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            ipblock_matches_pod_ips: true,
            ipblock_matches_node_ips: true,
            policy_applies_to_self_traffic: false,
            host_network_pods_selected: false,
            equal_priority_first_by_name: true,
            networks_match_node_ips: true,
        }
    }
}

/// Names one field of [`Profile`], to report which switches a decision depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileSwitch {
    IpblockMatchesPodIps,
    IpblockMatchesNodeIps,
    PolicyAppliesToSelfTraffic,
    HostNetworkPodsSelected,
    EqualPriorityFirstByName,
    NetworksMatchNodeIps,
}

impl ProfileSwitch {
    /// Every switch, in declaration order.
    pub const ALL: [ProfileSwitch; 6] = [
        Self::IpblockMatchesPodIps,
        Self::IpblockMatchesNodeIps,
        Self::PolicyAppliesToSelfTraffic,
        Self::HostNetworkPodsSelected,
        Self::EqualPriorityFirstByName,
        Self::NetworksMatchNodeIps,
    ];

    /// The switch called `name` (kebab-case, as in suites and reports).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The kebab-case name used in suites and reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::IpblockMatchesPodIps => "ipblock-matches-pod-ips",
            Self::IpblockMatchesNodeIps => "ipblock-matches-node-ips",
            Self::PolicyAppliesToSelfTraffic => "policy-applies-to-self-traffic",
            Self::HostNetworkPodsSelected => "host-network-pods-selected",
            Self::EqualPriorityFirstByName => "equal-priority-first-by-name",
            Self::NetworksMatchNodeIps => "networks-match-node-ips",
        }
    }
}

impl std::fmt::Display for ProfileSwitch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Profile {
    /// The value of one switch.
    pub fn get(&self, switch: ProfileSwitch) -> bool {
        match switch {
            ProfileSwitch::IpblockMatchesPodIps => self.ipblock_matches_pod_ips,
            ProfileSwitch::IpblockMatchesNodeIps => self.ipblock_matches_node_ips,
            ProfileSwitch::PolicyAppliesToSelfTraffic => self.policy_applies_to_self_traffic,
            ProfileSwitch::HostNetworkPodsSelected => self.host_network_pods_selected,
            ProfileSwitch::EqualPriorityFirstByName => self.equal_priority_first_by_name,
            ProfileSwitch::NetworksMatchNodeIps => self.networks_match_node_ips,
        }
    }

    /// This profile with one switch set to `value`.
    pub fn with(mut self, switch: ProfileSwitch, value: bool) -> Self {
        match switch {
            ProfileSwitch::IpblockMatchesPodIps => self.ipblock_matches_pod_ips = value,
            ProfileSwitch::IpblockMatchesNodeIps => self.ipblock_matches_node_ips = value,
            ProfileSwitch::PolicyAppliesToSelfTraffic => {
                self.policy_applies_to_self_traffic = value
            }
            ProfileSwitch::HostNetworkPodsSelected => self.host_network_pods_selected = value,
            ProfileSwitch::EqualPriorityFirstByName => self.equal_priority_first_by_name = value,
            ProfileSwitch::NetworksMatchNodeIps => self.networks_match_node_ips = value,
        }
        self
    }

    /// This profile with one switch inverted.
    pub fn flipped(self, switch: ProfileSwitch) -> Self {
        let value = !self.get(switch);
        self.with(switch, value)
    }
}

/// The switches an evaluation looked at. A switch not looked at cannot change the outcome when
/// flipped, so only these are re-evaluated to find the implementation-defined ones.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Consulted(u8);

impl Consulted {
    pub(crate) fn mark(&mut self, switch: ProfileSwitch) {
        self.0 |= 1 << switch as u8;
    }

    pub(crate) fn has(self, switch: ProfileSwitch) -> bool {
        self.0 & (1 << switch as u8) != 0
    }
}
