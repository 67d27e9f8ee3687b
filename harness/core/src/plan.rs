//! Planning with no cluster: the made-up deployment of a suite (world and layout), the oracle's table of every
//! phase on it (`netreach plan`), and the hand-written cells the oracle contradicts.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Serialize;

use crate::cell::{Reach, SourceKind};
use crate::cluster_policy::ClusterNetworkPolicy;
use crate::matrix::{Cell, Layout, ServerPod, ServiceAddress, Source, phase_cells_layered};
use crate::oracle::{OracleError, PodRef};
use crate::placeholder::{resolve_cluster_placeholders, resolve_placeholders};
use crate::suite::{
    DestinationKind, Expectation, Phase, ServerDestination, ServiceAddressing, Suite,
    source_service_name,
};
use crate::world::{
    CLUSTER_DNS_LABEL, CLUSTER_DNS_NAMESPACE, ContainerPort, IpFamily, Labels, NamespaceInfo,
    NodeInfo, PodInfo, Protocol, World,
};

/// Namespace label the API server sets on every namespace.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// Node label the kubelet sets on every node.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// A made-up deployment of a suite, for planning with no cluster.
#[derive(Debug, Clone)]
pub struct SyntheticDeployment {
    pub world: World,
    /// The suite's pods and destinations on that world (an unavailable outside destination has no endpoint).
    pub layout: Layout,
    /// Placeholder address -> the made-up address of its destination.
    pub placeholders: BTreeMap<IpAddr, IpAddr>,
}

/// Name of the namespace that stands for netreach's own in a plan.
pub const PLAN_OWN_NAMESPACE: &str = "netreach-plan";

/// Lays the suite out on one made-up dual-stack node: source pods get 10.244.0.10+, server pods 10.244.0.100+ (and
/// the same host numbers in fd00:10:244::/64 as their IPv6 addresses), and
/// hostNetwork servers the node's address — the placeholder they stand for, when one does, else 192.0.2.1 — and
/// outside destinations whose address is unavailable here their made-up stand-in. These addresses are only
/// computed with, never contacted.
pub fn synthetic_deployment(suite: &Suite) -> SyntheticDeployment {
    let node_address = suite
        .placeholders
        .iter()
        .find(|p| {
            suite.destinations.iter().any(|d| {
                d.name == p.destination
                    && matches!(&d.kind, DestinationKind::Server(s) if s.host_network)
            })
        })
        .map(|p| p.address)
        .unwrap_or(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    let node = "node-1".to_owned();
    let mut world = World {
        namespaces: suite
            .namespaces
            .iter()
            .map(|ns| namespace_info(&ns.name, &ns.labels))
            .chain(std::iter::once(namespace_info(
                PLAN_OWN_NAMESPACE,
                &Labels::from([(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "netreach".to_owned(),
                )]),
            )))
            .collect(),
        pods: Vec::new(),
        nodes: vec![NodeInfo {
            name: node.clone(),
            addresses: vec![node_address],
            labels: Labels::from([(HOSTNAME_LABEL.to_owned(), node.clone())]),
        }],
    };
    // Every source pod serves the self ports (its container ports, for named ports).
    let self_ports: Vec<ContainerPort> = suite
        .self_ports()
        .into_iter()
        .map(|p| ContainerPort {
            name: p.name,
            port: p.port,
            protocol: p.protocol,
        })
        .collect();
    for (i, pod) in suite.pods.iter().enumerate() {
        world.pods.push(PodInfo {
            name: pod.name.clone(),
            namespace: pod.namespace.clone(),
            labels: pod.labels.clone(),
            ip: if pod.host_network {
                node_address
            } else {
                synthetic_ip(10 + i)
            },
            secondary_ip: (!pod.host_network).then(|| synthetic_ip6(10 + i)),
            node: node.clone(),
            host_network: pod.host_network,
            ports: self_ports.clone(),
        });
    }
    let mut layout = Layout::default();
    layout.place_outside_sources(suite, true);
    for (i, pod) in world.pods.iter().enumerate() {
        // A source pod's own Service (a suite with a Service of its `self` destination): 10.96.1.10 + its index.
        let own_service = suite.self_service().map(|of| {
            let cluster_ip = IpAddr::V4(Ipv4Addr::new(
                10,
                96,
                1,
                u8::try_from(10 + i).unwrap_or(u8::MAX),
            ));
            let name = source_service_name(of, &pod.name);
            ServiceAddress::new(&pod.namespace, &name, cluster_ip, ServiceAddressing::Ip)
        });
        layout.sources.insert(
            pod.name.clone(),
            Source {
                pod: PodRef::new(pod.namespace.clone(), pod.name.clone()),
                node: Some(node.clone()),
                address: pod.ip,
                own_service,
            },
        );
    }
    // Nothing fails on a made-up node.
    let Ok(()) = layout.place_destinations(
        suite,
        true,
        |j, destination, server| {
            let address = if server.host_network {
                node_address
            } else {
                synthetic_ip(100 + j)
            };
            let namespace = server
                .namespace
                .clone()
                .unwrap_or_else(|| PLAN_OWN_NAMESPACE.to_owned());
            let secondary = (!server.host_network).then(|| synthetic_ip6(100 + j));
            let mut info = server_info(&destination.name, &namespace, server, address, &node);
            info.secondary_ip = secondary;
            world.pods.push(info);
            Ok::<_, std::convert::Infallible>(ServerPod {
                pod: PodRef::new(namespace, destination.name.clone()),
                address,
                secondary,
                node: Some(node.clone()),
            })
        },
        |server, by| {
            let (ip, ip6) = synthetic_cluster_ips(suite, server);
            Ok(
                ServiceAddress::new(&server_namespace(suite, server), server, ip, by)
                    .with_secondary(Some(ip6)),
            )
        },
    );
    if suite
        .destinations
        .iter()
        .any(|d| matches!(&d.kind, DestinationKind::Service(s) if s.by == ServiceAddressing::Name))
    {
        world
            .namespaces
            .push(namespace_info(CLUSTER_DNS_NAMESPACE, &Labels::new()));
        world.pods.push(synthetic_dns_pod(&node));
    }
    let placeholders = suite
        .placeholders
        .iter()
        .filter_map(|p| {
            let destination = layout.destinations.get(&p.destination).map(|to| to.address);
            destination
                .or_else(|| layout.outside.get(&p.destination).copied())
                .map(|address| (p.address, address))
        })
        .collect();
    SyntheticDeployment {
        world,
        layout,
        placeholders,
    }
}

/// A namespace as the API server stores it: its labels plus `kubernetes.io/metadata.name`.
pub fn namespace_info(name: &str, labels: &Labels) -> NamespaceInfo {
    let mut labels = labels.clone();
    labels.insert(NAME_LABEL.to_owned(), name.to_owned());
    NamespaceInfo {
        name: name.to_owned(),
        labels,
    }
}

/// A server pod as the oracle sees it: its labels and its container ports.
pub fn server_info(
    name: &str,
    namespace: &str,
    server: &ServerDestination,
    ip: IpAddr,
    node: &str,
) -> PodInfo {
    PodInfo {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        labels: server.labels.clone(),
        ip,
        secondary_ip: None,
        node: node.to_owned(),
        host_network: server.host_network,
        ports: server
            .ports
            .iter()
            .map(|p| ContainerPort {
                name: p.name.clone(),
                port: p.port,
                protocol: p.protocol,
            })
            .collect(),
    }
}

/// The namespace a server destination's pod (and its Service) is planned in.
fn server_namespace(suite: &Suite, server: &str) -> String {
    suite
        .destinations
        .iter()
        .find_map(|d| match &d.kind {
            DestinationKind::Server(s) if d.name == server => s.namespace.clone(),
            _ => None,
        })
        .unwrap_or_else(|| PLAN_OWN_NAMESPACE.to_owned())
}

/// Made-up ClusterIPs for the (dual-stack) Service in front of `server`: 10.96.0.100 + the server's index, and the
/// same host number in fd00:10:96::/112.
fn synthetic_cluster_ips(suite: &Suite, server: &str) -> (IpAddr, IpAddr) {
    let index = suite
        .destinations
        .iter()
        .position(|d| d.name == server)
        .unwrap_or_default();
    let host = 100 + index;
    (
        IpAddr::V4(Ipv4Addr::new(
            10,
            96,
            0,
            u8::try_from(host).unwrap_or(u8::MAX),
        )),
        IpAddr::V6(std::net::Ipv6Addr::new(
            0xfd00,
            0x10,
            0x96,
            0,
            0,
            0,
            0,
            u16::try_from(host).unwrap_or(u16::MAX),
        )),
    )
}

/// A made-up cluster DNS pod, as kubeadm deploys CoreDNS (planned only when the suite probes a name).
fn synthetic_dns_pod(node: &str) -> PodInfo {
    let (key, value) = CLUSTER_DNS_LABEL;
    let port = |name: &str, protocol| ContainerPort {
        name: Some(name.to_owned()),
        port: 53,
        protocol,
    };
    PodInfo {
        name: "coredns".to_owned(),
        namespace: CLUSTER_DNS_NAMESPACE.to_owned(),
        labels: Labels::from([(key.to_owned(), value.to_owned())]),
        ip: synthetic_ip(2),
        secondary_ip: None,
        node: node.to_owned(),
        host_network: false,
        ports: vec![port("dns", Protocol::Udp), port("dns-tcp", Protocol::Tcp)],
    }
}

/// A made-up pod IPv6 address (a ULA), the IPv6 twin of [`synthetic_ip`].
fn synthetic_ip6(index: usize) -> IpAddr {
    IpAddr::V6(std::net::Ipv6Addr::new(
        0xfd00,
        0x10,
        0x244,
        0,
        0,
        0,
        0,
        u16::try_from(index).unwrap_or(u16::MAX),
    ))
}

fn synthetic_ip(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        10,
        244,
        0,
        u8::try_from(index).unwrap_or(u8::MAX),
    ))
}

/// One cell of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedCell {
    pub from: String,
    /// `pod`, or `outside` for a source that is no pod (an outside address probing through its agent).
    pub source_kind: SourceKind,
    /// An outside source's address (a made-up one when the environment does not give it); absent for a pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_address: Option<IpAddr>,
    pub to: String,
    pub port: u16,
    pub protocol: Protocol,
    /// `allow`/`deny`; absent for a skipped cell.
    pub expected: Option<Reach>,
    /// The suite's hand-written expectation, when the phase has a table.
    pub table: Option<Reach>,
    pub implementation_defined: bool,
    pub switches: Vec<String>,
    pub explanation: String,
    pub skipped: Option<String>,
    /// The family of the address probed (`IPv4`, `IPv6`); for a skipped cell, its destination's when it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<IpFamily>,
    /// A Service destination: `namespace/name` of the Service probed (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// A Service probed by name: the DNS name the source resolves (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A Service probed by name: the oracle's verdict on the source's DNS egress to kube-dns (UDP 53).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<Reach>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhasePlan {
    pub name: String,
    pub policies: Vec<String>,
    pub expectation: &'static str,
    pub cells: Vec<PlannedCell>,
}

impl From<Cell> for PlannedCell {
    /// The oracle's verdict (not the table's) as the expectation; a skipped cell has none.
    fn from(cell: Cell) -> Self {
        let dns = cell.oracle.as_ref().and_then(|o| o.dns);
        let (expected, switches, explanation) = match (&cell.skipped, cell.oracle) {
            (Some(reason), _) => (None, Vec::new(), format!("skipped: {reason}")),
            (None, Some(oracle)) => (
                Some(oracle.expected),
                oracle.implementation_defined,
                oracle.explanation,
            ),
            (None, None) => (None, Vec::new(), String::new()),
        };
        let name = cell
            .service
            .as_ref()
            .and_then(|s| s.resolved_name())
            .map(str::to_owned);
        PlannedCell {
            from: cell.key.from,
            source_kind: cell.source_kind,
            source_address: cell.source_address,
            to: cell.key.to,
            port: cell.key.port,
            protocol: cell.key.protocol,
            expected,
            table: cell.table,
            implementation_defined: !switches.is_empty(),
            switches,
            explanation,
            skipped: cell.skipped,
            family: cell.family,
            service: cell.service.map(|s| s.service),
            name,
            dns,
        }
    }
}

/// The policies of a phase with their placeholders resolved.
pub fn resolved_policies(
    phase: &Phase,
    placeholders: &BTreeMap<IpAddr, IpAddr>,
) -> Vec<NetworkPolicy> {
    phase
        .policies
        .iter()
        .map(|m| resolve_placeholders(&m.policy, placeholders))
        .collect()
}

/// The ClusterNetworkPolicies of a phase with their placeholders resolved.
pub fn resolved_cluster_policies(
    phase: &Phase,
    placeholders: &BTreeMap<IpAddr, IpAddr>,
) -> Vec<ClusterNetworkPolicy> {
    phase
        .cluster_policies
        .iter()
        .map(|m| resolve_cluster_placeholders(&m.policy, placeholders))
        .collect()
}

/// The oracle's table for every phase of the suite, on a made-up deployment.
pub fn plan_suite(suite: &Suite) -> Result<Vec<PhasePlan>, OracleError> {
    let deployment = synthetic_deployment(suite);
    suite
        .phases
        .iter()
        .enumerate()
        .map(|(index, phase)| {
            let policies = resolved_policies(phase, &deployment.placeholders);
            let cluster = resolved_cluster_policies(phase, &deployment.placeholders);
            let cells = phase_cells_layered(
                suite,
                index,
                &deployment.layout,
                &deployment.world,
                &policies,
                &cluster,
            )?
            .into_iter()
            .map(PlannedCell::from)
            .collect();
            Ok(PhasePlan {
                name: phase.name.clone(),
                policies: suite.policy_labels(phase),
                expectation: match phase.expectation {
                    Expectation::Table(_) => "table",
                    Expectation::Oracle => "oracle",
                },
                cells,
            })
        })
        .collect()
}

/// Hand-written cells the oracle contradicts in `plans` (the suite's plan): `phase: from->to: ...`. Under the
/// profile the tables were written for, every cell counts; under another one (`--profile-name`), implementation-defined
/// cells are left out, since there a table's symbol is only its author's plugin's choice (and a run expects the
/// oracle's verdict: [`crate::matrix::expectation`]).
pub fn contradictions(suite: &Suite, plans: &[PhasePlan]) -> Vec<String> {
    let own_profile = suite.profile == suite.tables_profile;
    plans
        .iter()
        .flat_map(|phase| {
            phase
                .cells
                .iter()
                .filter_map(move |cell| match (cell.table, cell.expected) {
                    (Some(table), Some(oracle))
                        if table != oracle && (own_profile || !cell.implementation_defined) =>
                    {
                        let switches = if cell.implementation_defined {
                            format!(" (implementation-defined: {})", cell.switches.join(", "))
                        } else {
                            String::new()
                        };
                        Some(format!(
                            "phase {}: {}->{}: the table says {}, the oracle says {}{switches}",
                            phase.name,
                            cell.from,
                            cell.to,
                            table.symbol(),
                            oracle.symbol()
                        ))
                    }
                    _ => None,
                })
        })
        .collect()
}
