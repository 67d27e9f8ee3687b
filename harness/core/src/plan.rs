//! Expected results computed by the oracle: the world a suite implies (deployed, or made up for `plan`) and a
//! verdict with its explanation for every cell.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Serialize;

use crate::cell::{CellKey, Reach};
use crate::oracle::{Oracle, OracleError, PodRef, Profile, Target, Traffic};
use crate::placeholder::resolve_placeholders;
use crate::suite::{DestinationKind, Expectation, ExternalDestination, Phase, Suite};
use crate::world::{ContainerPort, Labels, NamespaceInfo, NodeInfo, PodInfo, Protocol, World};

/// Namespace label the API server sets on every namespace.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// How a cell maps onto the world: the source pod and the target the oracle judges.
#[derive(Debug, Clone)]
pub struct CellRoute {
    pub key: CellKey,
    pub from: PodRef,
    pub to: Target,
}

/// The oracle's verdict on one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OracleCell {
    pub key: CellKey,
    pub expected: Reach,
    /// Profile switches whose value decided this cell (empty: the specification alone decides it).
    pub implementation_defined: Vec<String>,
    pub explanation: String,
}

/// Judges every routed cell under the given policies (already resolved to real addresses).
pub fn oracle_cells(
    world: &World,
    policies: &[NetworkPolicy],
    profile: Profile,
    routes: &[CellRoute],
) -> Result<Vec<OracleCell>, OracleError> {
    let oracle = Oracle::new(world, policies, profile)?;
    routes
        .iter()
        .map(|route| {
            let traffic = Traffic {
                from: route.from.clone(),
                to: route.to.clone(),
                port: route.key.port,
                protocol: Protocol::Tcp,
            };
            let decision = oracle.decide(&traffic)?;
            Ok(OracleCell {
                key: route.key.clone(),
                expected: if decision.allowed {
                    Reach::Allow
                } else {
                    Reach::Deny
                },
                implementation_defined: decision
                    .implementation_defined
                    .iter()
                    .map(|s| s.name().to_owned())
                    .collect(),
                explanation: oracle.explain(&traffic)?,
            })
        })
        .collect()
}

/// A made-up deployment of a suite, for planning with no cluster.
#[derive(Debug, Clone)]
pub struct SyntheticDeployment {
    pub world: World,
    pub routes: Vec<CellRoute>,
    /// Placeholder address -> the made-up address of its destination.
    pub placeholders: BTreeMap<IpAddr, IpAddr>,
    /// Cells that cannot be planned (an unavailable outside destination), with the reason.
    pub skipped: Vec<(CellKey, String)>,
}

/// Name of the namespace that stands for netreach's own in a plan.
pub const PLAN_OWN_NAMESPACE: &str = "netreach-plan";

/// Lays the suite out on one made-up node: source pods get 10.244.0.10+, server pods 10.244.0.100+, and
/// hostNetwork servers the node's address — the placeholder they stand for, when one does, else 192.0.2.1.
/// These addresses are only computed with, never contacted.
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
        }],
    };
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
            node: node.clone(),
            host_network: pod.host_network,
            ports: Vec::new(),
        });
    }
    let mut targets: BTreeMap<String, (Target, IpAddr, u16)> = BTreeMap::new();
    let mut skipped_destinations: BTreeMap<String, String> = BTreeMap::new();
    for (j, destination) in suite.destinations.iter().enumerate() {
        match &destination.kind {
            DestinationKind::Server(server) => {
                let ip = if server.host_network {
                    node_address
                } else {
                    synthetic_ip(100 + j)
                };
                let namespace = server
                    .namespace
                    .clone()
                    .unwrap_or_else(|| PLAN_OWN_NAMESPACE.to_owned());
                world.pods.push(server_info(
                    &destination.name,
                    &namespace,
                    &server.labels,
                    ip,
                    &node,
                    server.host_network,
                    server.port,
                ));
                let target = Target::Pod(PodRef::new(namespace, destination.name.clone()));
                targets.insert(destination.name.clone(), (target, ip, server.port));
            }
            DestinationKind::External(ExternalDestination::Resolved { address, port, .. }) => {
                targets.insert(
                    destination.name.clone(),
                    (Target::Address(*address), *address, *port),
                );
            }
            DestinationKind::External(ExternalDestination::Unavailable { reason }) => {
                skipped_destinations.insert(destination.name.clone(), reason.clone());
            }
        }
    }
    let placeholders = suite
        .placeholders
        .iter()
        .filter_map(|p| {
            targets
                .get(&p.destination)
                .map(|(_, ip, _)| (p.address, *ip))
        })
        .collect();
    let mut routes = Vec::new();
    let mut skipped = Vec::new();
    for pod in &suite.pods {
        for destination in &suite.destinations {
            let from = PodRef::new(pod.namespace.clone(), pod.name.clone());
            match targets.get(&destination.name) {
                Some((to, _, port)) => routes.push(CellRoute {
                    key: CellKey {
                        from: pod.name.clone(),
                        to: destination.name.clone(),
                        port: *port,
                    },
                    from,
                    to: to.clone(),
                }),
                None => skipped.push((
                    CellKey {
                        from: pod.name.clone(),
                        to: destination.name.clone(),
                        port: 0,
                    },
                    skipped_destinations
                        .get(&destination.name)
                        .cloned()
                        .unwrap_or_default(),
                )),
            }
        }
    }
    SyntheticDeployment {
        world,
        routes,
        placeholders,
        skipped,
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

/// A server pod as the oracle sees it: its labels and one TCP port named `http`.
pub fn server_info(
    name: &str,
    namespace: &str,
    labels: &Labels,
    ip: IpAddr,
    node: &str,
    host_network: bool,
    port: u16,
) -> PodInfo {
    PodInfo {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        labels: labels.clone(),
        ip,
        node: node.to_owned(),
        host_network,
        ports: vec![ContainerPort {
            name: Some("http".into()),
            port,
            protocol: Protocol::Tcp,
        }],
    }
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhasePlan {
    pub name: String,
    pub policies: Vec<String>,
    pub expectation: &'static str,
    pub cells: Vec<PlannedCell>,
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

/// The oracle's table for every phase of the suite, on a made-up deployment.
pub fn plan_suite(suite: &Suite) -> Result<Vec<PhasePlan>, OracleError> {
    let deployment = synthetic_deployment(suite);
    suite
        .phases
        .iter()
        .enumerate()
        .map(|(index, phase)| {
            let policies = resolved_policies(phase, &deployment.placeholders);
            let judged = oracle_cells(
                &deployment.world,
                &policies,
                suite.profile,
                &deployment.routes,
            )?;
            let mut cells: Vec<PlannedCell> = judged
                .into_iter()
                .map(|cell| PlannedCell {
                    table: phase.expectation.expected(&cell.key.from, &cell.key.to),
                    from: cell.key.from,
                    to: cell.key.to,
                    port: cell.key.port,
                    protocol: Protocol::Tcp,
                    expected: Some(cell.expected),
                    implementation_defined: !cell.implementation_defined.is_empty(),
                    switches: cell.implementation_defined,
                    explanation: cell.explanation,
                    skipped: None,
                })
                .collect();
            for cell in &mut cells {
                if let Some(reason) = suite.not_created_yet(&cell.from, index) {
                    cell.expected = None;
                    cell.implementation_defined = false;
                    cell.switches.clear();
                    cell.explanation = format!("skipped: {reason}");
                    cell.skipped = Some(reason);
                }
            }
            cells.extend(deployment.skipped.iter().map(|(key, reason)| PlannedCell {
                from: key.from.clone(),
                to: key.to.clone(),
                port: key.port,
                protocol: Protocol::Tcp,
                expected: None,
                table: phase.expectation.expected(&key.from, &key.to),
                implementation_defined: false,
                switches: Vec::new(),
                explanation: format!("skipped: {reason}"),
                skipped: Some(reason.clone()),
            }));
            let order = |c: &PlannedCell| {
                let pod = suite
                    .pods
                    .iter()
                    .position(|p| p.name == c.from)
                    .unwrap_or(usize::MAX);
                let destination = suite
                    .destinations
                    .iter()
                    .position(|d| d.name == c.to)
                    .unwrap_or(usize::MAX);
                (pod, destination)
            };
            cells.sort_by_key(order);
            Ok(PhasePlan {
                name: phase.name.clone(),
                policies: phase.policies.iter().map(|m| m.qualified_name()).collect(),
                expectation: match phase.expectation {
                    Expectation::Table(_) => "table",
                    Expectation::Oracle => "oracle",
                },
                cells,
            })
        })
        .collect()
}

/// Hand-written cells the oracle contradicts, leaving out implementation-defined ones: `phase: from->to: ...`.
pub fn contradictions(plans: &[PhasePlan]) -> Vec<String> {
    plans
        .iter()
        .flat_map(|phase| {
            phase
                .cells
                .iter()
                .filter_map(move |cell| match (cell.table, cell.expected) {
                    (Some(table), Some(oracle))
                        if table != oracle && !cell.implementation_defined =>
                    {
                        Some(format!(
                            "phase {}: {}->{}: the table says {}, the oracle says {}",
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
