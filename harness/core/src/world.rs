//! The cluster as the oracle sees it: namespaces, pods, nodes and outside endpoints, with no client attached.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Labels as Kubernetes stores them.
pub type Labels = BTreeMap<String, String>;

/// Transport protocol of a probe or a container port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// Parses the protocol spelling of the Kubernetes API (`TCP`, `UDP`, `SCTP`), which is case-sensitive.
    pub fn from_api(value: &str) -> Option<Self> {
        match value {
            "TCP" => Some(Self::Tcp),
            "UDP" => Some(Self::Udp),
            "SCTP" => Some(Self::Sctp),
            _ => None,
        }
    }

    pub fn as_api(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
            Self::Sctp => "SCTP",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_api())
    }
}

/// An IP family, spelled as the Kubernetes API spells it (`ipFamilies`: `IPv4`, `IPv6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IpFamily {
    IPv4,
    IPv6,
}

impl IpFamily {
    /// The family of an address.
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(_) => Self::IPv4,
            IpAddr::V6(_) => Self::IPv6,
        }
    }

    /// Parses the API's spelling (case-sensitive, as the API server is).
    pub fn from_api(value: &str) -> Option<Self> {
        match value {
            "IPv4" => Some(Self::IPv4),
            "IPv6" => Some(Self::IPv6),
            _ => None,
        }
    }

    pub fn as_api(self) -> &'static str {
        match self {
            Self::IPv4 => "IPv4",
            Self::IPv6 => "IPv6",
        }
    }
}

impl std::fmt::Display for IpFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_api())
    }
}

/// A namespace and its labels (including `kubernetes.io/metadata.name`, which the API server always sets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceInfo {
    pub name: String,
    pub labels: Labels,
}

/// A named container port of a pod, as used for named-port resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// A pod with what policy evaluation needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodInfo {
    pub name: String,
    pub namespace: String,
    pub labels: Labels,
    pub ip: IpAddr,
    /// On a dual-stack cluster, the pod's address of the other family (`status.podIPs[1]`); `None` on a single-stack
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_ip: Option<IpAddr>,
    pub node: String,
    pub host_network: bool,
    pub ports: Vec<ContainerPort>,
}

impl PodInfo {
    /// The pod's address of `family`, if it has one.
    pub fn address(&self, family: IpFamily) -> Option<IpAddr> {
        std::iter::once(self.ip)
            .chain(self.secondary_ip)
            .find(|ip| IpFamily::of(*ip) == family)
    }

    /// Every address of the pod, the primary first.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        std::iter::once(self.ip).chain(self.secondary_ip)
    }
}

/// A node and its addresses (a hostNetwork pod has one of them as its IP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    pub addresses: Vec<IpAddr>,
    /// The node's labels (for ClusterNetworkPolicy `nodes` peers).
    #[serde(default)]
    pub labels: Labels,
}

/// Namespace of the cluster DNS pods (`kube-dns`, as kubeadm and most distributions deploy CoreDNS).
pub const CLUSTER_DNS_NAMESPACE: &str = "kube-system";
/// Label of the cluster DNS pods, which DNS egress policies select.
pub const CLUSTER_DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");

/// Everything the oracle reasons about, besides the policies themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct World {
    pub namespaces: Vec<NamespaceInfo>,
    pub pods: Vec<PodInfo>,
    pub nodes: Vec<NodeInfo>,
}

impl World {
    pub fn namespace(&self, name: &str) -> Option<&NamespaceInfo> {
        self.namespaces.iter().find(|ns| ns.name == name)
    }

    pub fn pod(&self, namespace: &str, name: &str) -> Option<&PodInfo> {
        self.pods
            .iter()
            .find(|pod| pod.namespace == namespace && pod.name == name)
    }

    /// The cluster DNS pods of the world (see [`CLUSTER_DNS_LABEL`]), which a probe by name must reach first.
    pub fn dns_pods(&self) -> impl Iterator<Item = &PodInfo> {
        let (key, value) = CLUSTER_DNS_LABEL;
        self.pods.iter().filter(move |pod| {
            pod.namespace == CLUSTER_DNS_NAMESPACE
                && pod.labels.get(key).map(String::as_str) == Some(value)
        })
    }

    /// Whether an address belongs to a node (directly, or as a hostNetwork pod's IP).
    pub fn is_node_address(&self, address: IpAddr) -> bool {
        self.nodes
            .iter()
            .any(|node| node.addresses.contains(&address))
    }
}
