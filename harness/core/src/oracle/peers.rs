//! The peers of a rule (`from`/`to` entries): pod/namespace selectors pre-evaluated over the world, and ipBlocks.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicyPeer};

use super::bitset::BitSet;
use super::error::Invalid;
use super::index::WorldIndex;
use super::profile::{Consulted, Profile, ProfileSwitch};
use super::selectors::Selector;
use crate::world::PodInfo;

/// The other end of a traffic, as seen from the side whose rules are being evaluated.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Endpoint<'a> {
    /// A pod of the world at `ip`, its address in the traffic's family; `node_ip` when its IP is a node address
    /// (hostNetwork pods).
    Pod {
        index: usize,
        pod: &'a PodInfo,
        ip: IpAddr,
        node_ip: bool,
    },
    /// An address that is no pod of the world; `node_ip` when it belongs to a node.
    Address { ip: IpAddr, node_ip: bool },
}

impl Endpoint<'_> {
    pub(crate) fn ip(&self) -> IpAddr {
        match self {
            Self::Pod { ip, .. } | Self::Address { ip, .. } => *ip,
        }
    }

    /// Whether this end is a node's address (a hostNetwork pod's IP is one).
    pub(crate) fn is_node_address(&self) -> bool {
        match self {
            Self::Pod { node_ip, .. } | Self::Address { node_ip, .. } => *node_ip,
        }
    }
}

/// Which namespaces a selector peer looks in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NamespaceScope {
    /// No `namespaceSelector`: the policy's own namespace.
    PolicyNamespace(String),
    /// `namespaceSelector` (`{}` = every namespace).
    Matching(Selector),
}

/// An ipBlock: `cidr` minus its `except` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub cidr: IpNet,
    pub except: Vec<IpNet>,
    /// `cidr` and `except` as inclusive numeric ranges, for fast matching.
    cidr_span: Span,
    except_spans: Vec<Span>,
}

/// An address family and an inclusive range of addresses in it, as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    v6: bool,
    first: u128,
    last: u128,
}

impl Span {
    fn of(net: &IpNet) -> Self {
        match net {
            IpNet::V4(n) => Self {
                v6: false,
                first: u32::from(n.network()).into(),
                last: u32::from(n.broadcast()).into(),
            },
            IpNet::V6(n) => Self {
                v6: true,
                first: n.network().into(),
                last: n.broadcast().into(),
            },
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let (v6, value) = match ip {
            IpAddr::V4(a) => (false, u128::from(u32::from(a))),
            IpAddr::V6(a) => (true, u128::from(a)),
        };
        v6 == self.v6 && self.first <= value && value <= self.last
    }
}

/// One compiled peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Peer {
    Pods {
        namespaces: NamespaceScope,
        /// `None` when absent (every pod of the selected namespaces).
        pods: Option<Selector>,
        /// Pods of the world matched by both selectors (hostNetwork pods included; the profile decides later).
        members: BitSet,
    },
    Block(Block),
}

/// Why a peer does not match an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerMiss {
    /// A pod outside the selected namespaces, or whose labels do not match.
    NotSelected,
    /// The selectors match a hostNetwork pod, but the profile says such pods are not selectable.
    HostNetworkNotSelectable,
    /// Selectors only ever match pods; the endpoint is an address.
    NotAPod,
    OutsideCidr,
    /// Inside the cidr but inside `except[i]`.
    Excepted(usize),
    /// Inside the block, but it is a pod IP and the profile says ipBlocks do not match pod IPs.
    PodIpNotMatched,
    /// Inside the block, but it is a node address and the profile says ipBlocks do not match those.
    NodeIpNotMatched,
}

impl Peer {
    /// Validates and compiles the peer at `field` of a policy in `policy_namespace`.
    pub(crate) fn compile(
        peer: &NetworkPolicyPeer,
        field: &str,
        policy_namespace: &str,
        index: &WorldIndex<'_>,
    ) -> Result<Self, Invalid> {
        match (&peer.ip_block, &peer.namespace_selector, &peer.pod_selector) {
            (Some(block), None, None) => Ok(Self::Block(Block::compile(
                block,
                &format!("{field}.ipBlock"),
            )?)),
            (Some(_), _, _) => Err(Invalid::new(
                field,
                "ipBlock cannot be combined with podSelector or namespaceSelector",
            )),
            (None, None, None) => Err(Invalid::new(
                field,
                "a peer needs one of podSelector, namespaceSelector or ipBlock",
            )),
            (None, namespace_selector, pod_selector) => {
                let namespaces = match namespace_selector {
                    None => NamespaceScope::PolicyNamespace(policy_namespace.to_string()),
                    Some(selector) => NamespaceScope::Matching(Selector::compile(
                        selector,
                        &format!("{field}.namespaceSelector"),
                    )?),
                };
                let pods = pod_selector
                    .as_ref()
                    .map(|s| Selector::compile(s, &format!("{field}.podSelector")))
                    .transpose()?;
                let mut members = BitSet::new(index.pods().len());
                for (i, pod) in index.pods().iter().enumerate() {
                    let in_namespace = match &namespaces {
                        NamespaceScope::PolicyNamespace(ns) => pod.namespace == *ns,
                        NamespaceScope::Matching(selector) => index
                            .pod_namespace_labels(pod)
                            .is_some_and(|labels| selector.matches(labels)),
                    };
                    if in_namespace && pods.as_ref().is_none_or(|s| s.matches(&pod.labels)) {
                        members.insert(i);
                    }
                }
                Ok(Self::Pods {
                    namespaces,
                    pods,
                    members,
                })
            }
        }
    }

    /// Whether this peer matches `endpoint` under `profile`; marks in `consulted` each switch
    /// whose value was looked at.
    pub(crate) fn admits(
        &self,
        endpoint: Endpoint<'_>,
        profile: &Profile,
        consulted: &mut Consulted,
    ) -> Result<(), PeerMiss> {
        match (self, endpoint) {
            (Self::Pods { members, .. }, Endpoint::Pod { index, pod, .. }) => {
                if !members.contains(index) {
                    Err(PeerMiss::NotSelected)
                } else if pod.host_network {
                    consulted.mark(ProfileSwitch::HostNetworkPodsSelected);
                    if profile.host_network_pods_selected {
                        Ok(())
                    } else {
                        Err(PeerMiss::HostNetworkNotSelectable)
                    }
                } else {
                    Ok(())
                }
            }
            (Self::Pods { .. }, Endpoint::Address { .. }) => Err(PeerMiss::NotAPod),
            (Self::Block(block), endpoint) => {
                block.admits_ip(endpoint.ip())?;
                match endpoint {
                    Endpoint::Pod { node_ip: true, .. }
                    | Endpoint::Address { node_ip: true, .. } => {
                        consulted.mark(ProfileSwitch::IpblockMatchesNodeIps);
                        if profile.ipblock_matches_node_ips {
                            Ok(())
                        } else {
                            Err(PeerMiss::NodeIpNotMatched)
                        }
                    }
                    Endpoint::Pod { node_ip: false, .. } => {
                        consulted.mark(ProfileSwitch::IpblockMatchesPodIps);
                        if profile.ipblock_matches_pod_ips {
                            Ok(())
                        } else {
                            Err(PeerMiss::PodIpNotMatched)
                        }
                    }
                    Endpoint::Address { node_ip: false, .. } => Ok(()),
                }
            }
        }
    }

    /// The block, if this is an ipBlock peer.
    pub(crate) fn block(&self) -> Option<&Block> {
        match self {
            Self::Block(block) => Some(block),
            Self::Pods { .. } => None,
        }
    }
}

impl Block {
    fn compile(block: &IPBlock, field: &str) -> Result<Self, Invalid> {
        let parse = |text: &str, field: String| {
            text.parse::<IpNet>().map_err(|_| {
                Invalid::new(
                    field,
                    format!("{text:?} is not a CIDR (address/prefix-length)"),
                )
            })
        };
        let cidr = parse(&block.cidr, format!("{field}.cidr"))?;
        let mut except = Vec::new();
        for (i, text) in block.except.iter().flatten().enumerate() {
            let here = format!("{field}.except[{i}]");
            let net = parse(text, here.clone())?;
            if !(cidr.contains(&net) && net.prefix_len() > cidr.prefix_len()) {
                return Err(Invalid::new(
                    here,
                    format!("{text} is not a strict subset of cidr {}", block.cidr),
                ));
            }
            except.push(net);
        }
        Ok(Self {
            cidr_span: Span::of(&cidr),
            except_spans: except.iter().map(Span::of).collect(),
            cidr,
            except,
        })
    }

    /// Inside `cidr` and in no `except` entry (a family mismatch is simply outside).
    pub(crate) fn admits_ip(&self, ip: IpAddr) -> Result<(), PeerMiss> {
        if !self.cidr_span.contains(ip) {
            return Err(PeerMiss::OutsideCidr);
        }
        match self.except_spans.iter().position(|span| span.contains(ip)) {
            Some(i) => Err(PeerMiss::Excepted(i)),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ipBlock {}", self.cidr)?;
        if !self.except.is_empty() {
            let except: Vec<String> = self.except.iter().map(ToString::to_string).collect();
            write!(f, " except {}", except.join(", "))?;
        }
        Ok(())
    }
}

/// `pods app=db in namespace prod`, `all pods in namespaces team=a`, `ipBlock 10.0.0.0/8 except 10.1.0.0/16`.
impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Block(block) => block.fmt(f),
            Self::Pods {
                namespaces, pods, ..
            } => {
                match pods {
                    Some(selector) if !selector.is_everything() => write!(f, "pods {selector}")?,
                    _ => f.write_str("all pods")?,
                }
                match namespaces {
                    NamespaceScope::PolicyNamespace(ns) => write!(f, " in namespace {ns}"),
                    NamespaceScope::Matching(selector) if selector.is_everything() => {
                        f.write_str(" in all namespaces")
                    }
                    NamespaceScope::Matching(selector) => write!(f, " in namespaces {selector}"),
                }
            }
        }
    }
}

impl Peer {
    /// For a selector peer that does not select `pod`: whether at least its namespace part matches.
    pub(crate) fn namespace_matches(&self, pod: &PodInfo, index: &WorldIndex<'_>) -> bool {
        match self {
            Self::Pods {
                namespaces: NamespaceScope::PolicyNamespace(ns),
                ..
            } => pod.namespace == *ns,
            Self::Pods {
                namespaces: NamespaceScope::Matching(selector),
                ..
            } => index
                .pod_namespace_labels(pod)
                .is_some_and(|labels| selector.matches(labels)),
            Self::Block(_) => false,
        }
    }
}
