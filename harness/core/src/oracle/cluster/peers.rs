//! The peers of a ClusterNetworkPolicy rule: namespaces, pods, networks (standard); nodes, domainNames (experimental).

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::super::bitset::BitSet;
use super::super::error::Invalid;
use super::super::index::WorldIndex;
use super::super::peers::Endpoint;
use super::super::profile::{Consulted, Profile, ProfileSwitch};
use super::super::selectors::Selector;
use crate::cluster_policy::{MAX_ITEMS, NamespacedPod};

/// Pods picked by a namespace selector and an optional pod selector; hostNetwork pods are never members.
#[derive(Debug, Clone)]
pub(crate) struct PodSet {
    pub namespaces: Selector,
    pub pods: Option<Selector>,
    pub members: BitSet,
}

impl PodSet {
    /// `namespaces: {...}` (`pods: None`) or `pods: {namespaceSelector, podSelector}`, pre-evaluated over the world.
    pub(crate) fn compile(
        namespaces: Option<&LabelSelector>,
        pods: Option<&NamespacedPod>,
        field: &str,
        index: &WorldIndex<'_>,
    ) -> Result<Self, Invalid> {
        let (namespaces, pods) = match (namespaces, pods) {
            (Some(ns), None) => (Selector::compile(ns, &format!("{field}.namespaces"))?, None),
            (None, Some(p)) => (
                Selector::compile(
                    &p.namespace_selector,
                    &format!("{field}.pods.namespaceSelector"),
                )?,
                Some(Selector::compile(
                    &p.pod_selector,
                    &format!("{field}.pods.podSelector"),
                )?),
            ),
            _ => {
                return Err(Invalid::new(
                    field,
                    "give exactly one of namespaces or pods",
                ));
            }
        };
        let mut members = BitSet::new(index.pods().len());
        for (i, pod) in index.pods().iter().enumerate() {
            let in_namespace = index
                .pod_namespace_labels(pod)
                .is_some_and(|labels| namespaces.matches(labels));
            if !pod.host_network
                && in_namespace
                && pods.as_ref().is_none_or(|s| s.matches(&pod.labels))
            {
                members.insert(i);
            }
        }
        Ok(Self {
            namespaces,
            pods,
            members,
        })
    }
}

/// `pods app=db in namespaces team=a`, `all pods in all namespaces`.
impl fmt::Display for PodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pods {
            Some(selector) if !selector.is_everything() => write!(f, "pods {selector}")?,
            _ => f.write_str("all pods")?,
        }
        if self.namespaces.is_everything() {
            f.write_str(" in all namespaces")
        } else {
            write!(f, " in namespaces {}", self.namespaces)
        }
    }
}

/// One compiled peer.
#[derive(Debug, Clone)]
pub(crate) enum ClusterPeer {
    Pods(PodSet),
    /// Any address inside one of the CIDRs: pod and outside addresses alike, node addresses as the profile says
    /// (`networks-match-node-ips`).
    Networks(Vec<IpNet>),
    /// The addresses of the nodes whose labels match.
    Nodes {
        selector: Selector,
        addresses: HashSet<IpAddr>,
    },
    /// Out of scope for netreach: never matches (and the API allows it only in Accept rules).
    DomainNames(Vec<String>),
}

/// Why a peer does not match an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClusterPeerMiss {
    NotSelected,
    HostNetwork,
    NotAPod,
    OutsideNetworks,
    /// Inside the networks, but a node address, which the profile says `networks` do not match.
    NodeIpNotMatched,
    NotASelectedNode,
    DomainNames,
}

impl ClusterPeer {
    /// An egress `to` entry (`ingress` false) or an ingress `from` entry, at `field`.
    pub(crate) fn compile_egress(
        peer: &crate::cluster_policy::EgressPeer,
        field: &str,
        index: &WorldIndex<'_>,
    ) -> Result<Self, Invalid> {
        let given = usize::from(peer.namespaces.is_some())
            + usize::from(peer.pods.is_some())
            + usize::from(peer.nodes.is_some())
            + usize::from(peer.networks.is_some())
            + usize::from(peer.domain_names.is_some());
        if given != 1 {
            return Err(Invalid::new(
                field,
                "give exactly one of namespaces, pods, networks, nodes or domainNames",
            ));
        }
        if peer.namespaces.is_some() || peer.pods.is_some() {
            return PodSet::compile(peer.namespaces.as_ref(), peer.pods.as_ref(), field, index)
                .map(Self::Pods);
        }
        if let Some(selector) = &peer.nodes {
            let selector = Selector::compile(selector, &format!("{field}.nodes"))?;
            let addresses = index
                .world
                .nodes
                .iter()
                .filter(|node| selector.matches(&node.labels))
                .flat_map(|node| node.addresses.iter().copied())
                .collect();
            return Ok(Self::Nodes {
                selector,
                addresses,
            });
        }
        if let Some(networks) = &peer.networks {
            let here = format!("{field}.networks");
            check_count(networks.len(), &here)?;
            let mut nets = Vec::new();
            for (i, text) in networks.iter().enumerate() {
                nets.push(canonical_cidr(text, &format!("{here}[{i}]"))?);
            }
            return Ok(Self::Networks(nets));
        }
        let names = peer.domain_names.clone().unwrap_or_default();
        check_count(names.len(), &format!("{field}.domainNames"))?;
        Ok(Self::DomainNames(names))
    }

    /// An ingress `from` entry at `field`.
    pub(crate) fn compile_ingress(
        peer: &crate::cluster_policy::IngressPeer,
        field: &str,
        index: &WorldIndex<'_>,
    ) -> Result<Self, Invalid> {
        if usize::from(peer.namespaces.is_some()) + usize::from(peer.pods.is_some()) != 1 {
            return Err(Invalid::new(
                field,
                "give exactly one of namespaces or pods",
            ));
        }
        PodSet::compile(peer.namespaces.as_ref(), peer.pods.as_ref(), field, index).map(Self::Pods)
    }

    /// Whether this peer matches `endpoint` under `profile`; marks in `consulted` each switch whose value was looked
    /// at.
    pub(crate) fn admits(
        &self,
        endpoint: Endpoint<'_>,
        profile: &Profile,
        consulted: &mut Consulted,
    ) -> Result<(), ClusterPeerMiss> {
        match (self, endpoint) {
            (Self::Pods(set), Endpoint::Pod { index, pod, .. }) => {
                if pod.host_network {
                    Err(ClusterPeerMiss::HostNetwork)
                } else if set.members.contains(index) {
                    Ok(())
                } else {
                    Err(ClusterPeerMiss::NotSelected)
                }
            }
            (Self::Pods(_), Endpoint::Address { .. }) => Err(ClusterPeerMiss::NotAPod),
            (Self::Networks(nets), endpoint) => {
                let ip = endpoint.ip();
                if !nets.iter().any(|net| net.contains(&ip)) {
                    return Err(ClusterPeerMiss::OutsideNetworks);
                }
                if endpoint.is_node_address() {
                    consulted.mark(ProfileSwitch::NetworksMatchNodeIps);
                    if !profile.networks_match_node_ips {
                        return Err(ClusterPeerMiss::NodeIpNotMatched);
                    }
                }
                Ok(())
            }
            (Self::Nodes { addresses, .. }, endpoint) => {
                if addresses.contains(&endpoint.ip()) {
                    Ok(())
                } else {
                    Err(ClusterPeerMiss::NotASelectedNode)
                }
            }
            (Self::DomainNames(_), _) => Err(ClusterPeerMiss::DomainNames),
        }
    }

    /// Whether this peer names addresses rather than pods (networks, nodes, domain names).
    pub(crate) fn is_address_peer(&self) -> bool {
        !matches!(self, Self::Pods(_))
    }
}

/// At least one and at most 25 entries.
pub(crate) fn check_count(len: usize, field: &str) -> Result<(), Invalid> {
    if len == 0 {
        Err(Invalid::new(field, "must have at least one entry"))
    } else if len > MAX_ITEMS {
        Err(Invalid::new(
            field,
            format!("{len} entries; the API allows at most {MAX_ITEMS}"),
        ))
    } else {
        Ok(())
    }
}

/// A CIDR in canonical form (network-policy-api v0.2.1+ rejects host bits: `10.1.2.3/8`).
fn canonical_cidr(text: &str, field: &str) -> Result<IpNet, Invalid> {
    let net: IpNet = text.parse().map_err(|_| {
        Invalid::new(
            field,
            format!("{text:?} is not a CIDR (address/prefix-length)"),
        )
    })?;
    if net.trunc() != net {
        return Err(Invalid::new(
            field,
            format!(
                "{text} has host bits set; the API wants the network {}",
                net.trunc()
            ),
        ));
    }
    Ok(net)
}

impl fmt::Display for ClusterPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pods(set) => set.fmt(f),
            Self::Networks(nets) => {
                let nets: Vec<String> = nets.iter().map(ToString::to_string).collect();
                write!(f, "networks {}", nets.join(", "))
            }
            Self::Nodes { selector, .. } if selector.is_everything() => f.write_str("all nodes"),
            Self::Nodes { selector, .. } => write!(f, "nodes {selector}"),
            Self::DomainNames(names) => write!(f, "domainNames {}", names.join(", ")),
        }
    }
}
