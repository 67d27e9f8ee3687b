//! The cells of a phase, built in this one place for `plan`, `run` and the cargo-test harness: the pod ×
//! destination matrix laid out on a world (deployed, or made up for planning), with each cell's route, URL,
//! expectation, oracle verdict and implementation-defined switches, or the reason it is skipped.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Serialize;

use crate::cell::{CellKey, CellResult, Observation, Reach, SourceKind};
use crate::cluster_policy::ClusterNetworkPolicy;
use crate::oracle::{self, Oracle, OracleError, PodRef, Profile, Target, Traffic};
use crate::suite::{
    Column, Destination, DestinationKind, Expectation, ExternalDestination, ServerDestination,
    ServiceAddressing, Suite,
};
use crate::world::{IpFamily, Protocol, World};

/// A source pod of the suite as it stands in the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub pod: PodRef,
    pub node: Option<String>,
    /// Its pod IP: where its self cells probe.
    pub address: IpAddr,
    /// The Service in front of this pod alone, where a Service destination of the `self` destination probes (its
    /// `by` is set per destination).
    pub own_service: Option<ServiceAddress>,
}

/// Where a destination is: what the oracle judges, and the address, port and path a probe fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The server pod, or the outside address.
    pub target: Target,
    pub address: IpAddr,
    pub port: u16,
    pub path: String,
    /// The server pod's node (`None` for an outside endpoint).
    pub node: Option<String>,
    /// For a Service destination: the Service, and the name a probe resolves when it goes by name.
    pub service: Option<ServiceAddress>,
}

/// A Service netreach created, as a probe addresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAddress {
    /// `namespace/name`.
    pub service: String,
    pub cluster_ip: IpAddr,
    /// A dual-stack Service's ClusterIP of the other family.
    pub secondary_ip: Option<IpAddr>,
    /// `NAME.NAMESPACE.svc.cluster.local.` (absolute: no search-list lookups).
    pub dns_name: String,
    pub by: ServiceAddressing,
}

impl ServiceAddress {
    /// The cluster DNS name of Service `name` in `namespace` (the cluster domain is assumed `cluster.local`).
    pub fn new(namespace: &str, name: &str, cluster_ip: IpAddr, by: ServiceAddressing) -> Self {
        Self {
            service: format!("{namespace}/{name}"),
            cluster_ip,
            secondary_ip: None,
            dns_name: format!("{name}.{namespace}.svc.cluster.local."),
            by,
        }
    }

    /// The same, with a dual-stack Service's ClusterIP of the other family.
    pub fn with_secondary(self, secondary_ip: Option<IpAddr>) -> Self {
        Self {
            secondary_ip,
            ..self
        }
    }

    /// The name a probe resolves, when it goes by name.
    pub fn resolved_name(&self) -> Option<&str> {
        (self.by == ServiceAddressing::Name).then_some(self.dns_name.as_str())
    }
}

impl Endpoint {
    /// `http://ADDRESS:PORT/PATH`, with an IPv6 address in brackets; a Service probed by name gets its DNS name.
    pub fn url(&self) -> String {
        self.url_for(self.port, Protocol::Tcp)
    }

    /// What a probe of `port`/`protocol` fetches: `http://HOST:PORT/PATH` for TCP, `udp://HOST:PORT` or
    /// `sctp://HOST:PORT` for the others; HOST is the address (an IPv6 one in brackets), or the DNS name of a Service
    /// probed by name.
    pub fn url_for(&self, port: u16, protocol: Protocol) -> String {
        let host = match (
            self.service
                .as_ref()
                .and_then(ServiceAddress::resolved_name),
            self.address,
        ) {
            (Some(name), _) => name.to_owned(),
            (None, IpAddr::V4(v4)) => v4.to_string(),
            (None, IpAddr::V6(v6)) => format!("[{v6}]"),
        };
        match protocol {
            Protocol::Tcp => format!("http://{host}:{port}{}", self.path),
            Protocol::Udp => format!("udp://{host}:{port}"),
            Protocol::Sctp => format!("sctp://{host}:{port}"),
        }
    }
}

/// The suite's pods and destinations placed on a world, by their suite names. A pod or destination missing here
/// has no cell to probe (not created yet, or an outside destination with no address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub sources: BTreeMap<String, Source>,
    /// Outside sources (not pods) by suite name, at the address their connections leave from.
    pub outside: BTreeMap<String, IpAddr>,
    pub destinations: BTreeMap<String, Endpoint>,
    /// Destinations left out for a reason of the world (a server pod with no address of the destination's family),
    /// with that reason: their cells are skipped with it.
    pub unplaced: BTreeMap<String, String>,
}

impl Layout {
    /// Places every outside source of the suite at its address; one with no address at its made-up stand-in when
    /// `stand_ins` (planning), else left out (a run: its cells are skipped).
    pub fn place_outside_sources(&mut self, suite: &Suite, stand_ins: bool) {
        for source in &suite.sources {
            if stand_ins || source.skip_reason().is_none() {
                self.outside
                    .insert(source.name.clone(), source.planned_address());
            }
        }
    }

    /// Places every destination of the suite: a server where `server` says its pod runs (given the destination's
    /// index), an outside destination at its address. One with no address is placed at its made-up stand-in when
    /// `stand_ins` (planning: it is only computed with), else left out (a run: its cells are skipped). A Service
    /// destination goes to its server's pod through the address `service` gives for the server's destination name.
    pub fn place_destinations<E>(
        &mut self,
        suite: &Suite,
        stand_ins: bool,
        mut server: impl FnMut(usize, &Destination, &ServerDestination) -> Result<ServerPod, E>,
        mut service: impl FnMut(&str, ServiceAddressing) -> Result<ServiceAddress, E>,
    ) -> Result<(), E> {
        // Each server's pod as a Service in front of it reaches it: the pod, its IPv6 twin address, its node.
        let mut server_pods: BTreeMap<&str, ServerPod> = BTreeMap::new();
        for (index, destination) in suite.destinations.iter().enumerate() {
            let endpoint = match &destination.kind {
                DestinationKind::Server(spec) => {
                    let placed = server(index, destination, spec)?;
                    server_pods.insert(&destination.name, placed.clone());
                    let (target, address) = match destination.family {
                        Some(family) if IpFamily::of(placed.address) != family => {
                            match placed.secondary.filter(|a| IpFamily::of(*a) == family) {
                                // The oracle finds the pod by that address, and sees both ends in its family.
                                Some(address) => (Target::Address(address), address),
                                None => {
                                    self.unplaced.insert(
                                        destination.name.clone(),
                                        no_address_of(&placed.pod, family),
                                    );
                                    continue;
                                }
                            }
                        }
                        _ => (Target::Pod(placed.pod), placed.address),
                    };
                    Endpoint {
                        target,
                        address,
                        port: spec.ports.first().map(|p| p.port).unwrap_or_default(),
                        path: "/".into(),
                        node: placed.node,
                        service: None,
                    }
                }
                // One Service per source pod: placed with each cell (see `phase_cells_layered`).
                DestinationKind::Service(spec) if spec.of_self => continue,
                DestinationKind::Service(spec) => {
                    // The loader checked that `of` is a server declared earlier.
                    let Some(backend) = server_pods.get(spec.of.as_str()).cloned() else {
                        continue;
                    };
                    let mut address = service(&spec.of, spec.by)?;
                    // Policies see the traffic after the DNAT, to the pod's address of the ClusterIP's family.
                    let target = match destination.family {
                        Some(family) if IpFamily::of(address.cluster_ip) != family => {
                            let of_family =
                                |ip: Option<IpAddr>| ip.filter(|ip| IpFamily::of(*ip) == family);
                            match (
                                of_family(address.secondary_ip),
                                of_family(backend.secondary),
                            ) {
                                (Some(cluster_ip), Some(pod_ip)) => {
                                    address.cluster_ip = cluster_ip;
                                    Target::Address(pod_ip)
                                }
                                _ => {
                                    self.unplaced.insert(
                                        destination.name.clone(),
                                        format!(
                                            "the cluster gave Service {} no {family} ClusterIP (a single-stack \
                                             cluster; the cells need a dual-stack one)",
                                            address.service
                                        ),
                                    );
                                    continue;
                                }
                            }
                        }
                        _ => Target::Pod(backend.pod),
                    };
                    Endpoint {
                        target,
                        address: address.cluster_ip,
                        port: spec.ports.first().map(|p| p.port).unwrap_or_default(),
                        path: "/".into(),
                        node: backend.node,
                        service: Some(address),
                    }
                }
                DestinationKind::External(ExternalDestination::Resolved {
                    address,
                    port,
                    path,
                }) => Endpoint {
                    target: Target::Address(*address),
                    address: *address,
                    port: *port,
                    path: path.clone(),
                    node: None,
                    service: None,
                },
                DestinationKind::External(ExternalDestination::Unavailable {
                    stand_in,
                    port,
                    ..
                }) if stand_ins => Endpoint {
                    target: Target::Address(*stand_in),
                    address: *stand_in,
                    port: *port,
                    path: "/".into(),
                    node: None,
                    service: None,
                },
                DestinationKind::External(ExternalDestination::Unavailable { .. }) => continue,
                // One endpoint per source pod: placed with each cell (see `phase_cells_layered`).
                DestinationKind::SelfTraffic { .. } => continue,
            };
            self.destinations.insert(destination.name.clone(), endpoint);
        }
        Ok(())
    }
}

/// Why a server destination of `family` has no cell to probe.
fn no_address_of(pod: &PodRef, family: IpFamily) -> String {
    format!(
        "the cluster gave pod {pod} no {family} address (a single-stack cluster; the cells need a dual-stack one)"
    )
}

/// Where a server destination's pod runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerPod {
    pub pod: PodRef,
    /// Its primary pod IP.
    pub address: IpAddr,
    /// On a dual-stack cluster, its pod IP of the other family.
    pub secondary: Option<IpAddr>,
    pub node: Option<String>,
}

/// How a cell maps onto the world: the source pod and the target the oracle judges.
#[derive(Debug, Clone)]
pub struct CellRoute {
    pub key: CellKey,
    pub from: oracle::Source,
    pub to: Target,
    /// The probe resolves this name through cluster DNS first (a Service by name): the oracle also judges the
    /// source's DNS egress, and the cell is allowed only if both are.
    pub resolves: Option<String>,
    /// `namespace/name (ClusterIP)` of the Service the probe goes through, for the explanation.
    pub service: Option<String>,
}

/// The oracle's verdict on one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OracleCell {
    pub key: CellKey,
    pub expected: Reach,
    /// Profile switches whose value decided this cell (empty: the specification alone decides it).
    pub implementation_defined: Vec<String>,
    pub explanation: String,
    /// For a probe by name: the oracle's verdict on the source reaching cluster DNS (UDP 53).
    pub dns: Option<Reach>,
}

fn reach(allowed: bool) -> Reach {
    if allowed { Reach::Allow } else { Reach::Deny }
}

/// The oracle's verdict on `from` reaching a cluster DNS pod on UDP 53 (any one will do: the kube-dns Service
/// picks one), with its switches and explanation; `None` when the world has no DNS pod.
fn dns_egress(
    oracle: &Oracle,
    world: &World,
    from: &PodRef,
    name: &str,
) -> Result<Option<(bool, Vec<String>, String)>, OracleError> {
    let mut first = None;
    for pod in world.dns_pods() {
        let traffic = Traffic {
            from: from.clone().into(),
            to: Target::Pod(PodRef::new(pod.namespace.clone(), pod.name.clone())),
            port: 53,
            protocol: Protocol::Udp,
        };
        let decision = oracle.decide(&traffic)?;
        let verdict = (
            decision.allowed,
            decision
                .implementation_defined
                .iter()
                .map(|s| s.name().to_owned())
                .collect(),
            format!(
                "resolving {name} needs DNS egress: {}",
                oracle.explain(&traffic)?
            ),
        );
        if decision.allowed {
            return Ok(Some(verdict));
        }
        first.get_or_insert(verdict);
    }
    Ok(first)
}

/// Judges every routed cell under the given policies (already resolved to real addresses).
pub fn oracle_cells(
    world: &World,
    policies: &[NetworkPolicy],
    profile: Profile,
    routes: &[CellRoute],
) -> Result<Vec<OracleCell>, OracleError> {
    oracle_cells_layered(world, policies, &[], profile, routes)
}

/// [`oracle_cells`] with ClusterNetworkPolicies (already resolved) around the NetworkPolicies.
pub fn oracle_cells_layered(
    world: &World,
    policies: &[NetworkPolicy],
    cluster_policies: &[ClusterNetworkPolicy],
    profile: Profile,
    routes: &[CellRoute],
) -> Result<Vec<OracleCell>, OracleError> {
    let oracle = Oracle::layered(world, policies, cluster_policies, profile)?;
    routes
        .iter()
        .map(|route| {
            let traffic = Traffic {
                from: route.from.clone(),
                to: route.to.clone(),
                port: route.key.port,
                protocol: route.key.protocol,
            };
            let decision = oracle.decide(&traffic)?;
            let mut implementation_defined: Vec<String> = decision
                .implementation_defined
                .iter()
                .map(|s| s.name().to_owned())
                .collect();
            let mut explanation = oracle.explain(&traffic)?;
            if let Some(service) = &route.service {
                explanation = format!(
                    "through Service {service}: policies see the traffic after its DNAT, to the backend pod\n\
                     {explanation}"
                );
            }
            let mut allowed = decision.allowed;
            let mut dns = None;
            if let (Some(name), oracle::Source::Pod(from)) = (&route.resolves, &route.from) {
                let (resolves, switches, why) = dns_egress(&oracle, world, from, name)?
                    .unwrap_or_else(|| (false, Vec::new(), format!("resolving {name}: {NO_DNS}")));
                dns = Some(reach(resolves));
                explanation = format!("{why}\nthen {explanation}");
                implementation_defined =
                    flipping_both(allowed, &implementation_defined, resolves, &switches);
                allowed &= resolves;
            }
            Ok(OracleCell {
                key: route.key.clone(),
                expected: reach(allowed),
                implementation_defined,
                explanation,
                dns,
            })
        })
        .collect()
}

/// The switches that flip `a && b` (one at a time), given those that flip `a` and those that flip `b`: a side's
/// switch matters only while the other side allows (or flips with it).
fn flipping_both(a: bool, a_flips: &[String], b: bool, b_flips: &[String]) -> Vec<String> {
    let mut all: Vec<String> = a_flips.to_vec();
    all.extend(b_flips.iter().filter(|s| !a_flips.contains(s)).cloned());
    all.retain(|switch| {
        let a2 = a ^ a_flips.contains(switch);
        let b2 = b ^ b_flips.contains(switch);
        (a2 && b2) != (a && b)
    });
    all
}

/// Why a cell by name is not probed when the world has no cluster DNS pod.
pub const NO_DNS: &str = "no cluster DNS: no pod labelled k8s-app=kube-dns in kube-system";

/// One cell of a phase, before it is probed.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub key: CellKey,
    pub from_node: Option<String>,
    pub to_node: Option<String>,
    /// The source pod, when it stands in the world.
    pub source: Option<PodRef>,
    /// A pod, or an outside source.
    pub source_kind: SourceKind,
    /// An outside source's address (as placed: the real one, or a stand-in when planning).
    pub source_address: Option<IpAddr>,
    /// What a probe fetches; empty for a skipped cell.
    pub url: String,
    /// Why the cell is not probed (a pod created in a later phase, an outside destination with no address).
    pub skipped: Option<String>,
    /// The suite's hand-written expectation, when the phase has a table.
    pub table: Option<Reach>,
    /// What the cell is judged against ([`expectation`]): the phase's table when it has one (under another profile
    /// than the tables', the oracle's verdict on an implementation-defined cell the table got right), else the
    /// oracle's verdict.
    pub expected: Option<Reach>,
    /// The oracle's verdict, when the cell is probed and its source stands in the world.
    pub oracle: Option<OracleCell>,
    /// The Service the probe goes through (a Service destination).
    pub service: Option<ServiceAddress>,
    /// The family of the address probed (for a skipped cell, the destination's family when it names one).
    pub family: Option<IpFamily>,
}

impl Cell {
    /// The cell as a result not yet observed: skipped with its reason, or waiting for its first probe.
    /// `reproduce` is the command that repeats its probe by hand (empty when there is none).
    pub fn unobserved(&self, reproduce: String) -> CellResult {
        let observed = match &self.skipped {
            Some(reason) => Observation::Skipped {
                reason: reason.clone(),
            },
            None => Observation::Error {
                message: "not probed".into(),
            },
        };
        CellResult {
            key: self.key.clone(),
            from_node: self.from_node.clone(),
            to_node: self.to_node.clone(),
            url: self.url.clone(),
            expected: self.expected,
            observed,
            attempts: 0,
            settled_after: None,
            implementation_defined: self
                .oracle
                .as_ref()
                .map(|o| o.implementation_defined.clone())
                .unwrap_or_default(),
            oracle: self.oracle.as_ref().map(|o| o.expected),
            explanation: self.oracle.as_ref().map(|o| o.explanation.clone()),
            dns: self.oracle.as_ref().and_then(|o| o.dns),
            reproduce,
            ready_after: None,
            first_probe_after: None,
        }
    }
}

/// The key of every cell of the matrix, in suite order (rows: pods then outside sources, then columns): the same in
/// every phase.
pub fn cell_keys(suite: &Suite) -> Vec<CellKey> {
    let columns = suite.columns();
    suite
        .row_names()
        .into_iter()
        .flat_map(|row| columns.iter().map(move |column| key_of(row, column)))
        .collect()
}

/// One row of a phase's matrix: a source pod or an outside source, as it stands in the layout.
struct Row<'s> {
    name: &'s str,
    kind: SourceKind,
    /// The source pod as it stands in the layout (its self cells go to its own address).
    pod: Option<Source>,
    /// What the oracle judges the traffic from; `None` when the source does not stand in the layout.
    from: Option<oracle::Source>,
    node: Option<String>,
    /// Why the whole row is not probed in this phase (a pod created later, an outside source with no address).
    skipped: Option<String>,
}

/// The rows of phase `index`: the suite's pods, then its outside sources.
fn rows<'s>(suite: &'s Suite, layout: &Layout, index: usize) -> Vec<Row<'s>> {
    let pods = suite.pods.iter().map(|pod| {
        let source = layout.sources.get(&pod.name);
        Row {
            name: &pod.name,
            kind: SourceKind::Pod,
            pod: source.cloned(),
            from: source.map(|s| oracle::Source::Pod(s.pod.clone())),
            node: source.and_then(|s| s.node.clone()),
            skipped: suite.not_created_yet(&pod.name, index),
        }
    });
    let outside = suite.sources.iter().map(|source| {
        let address = layout.outside.get(&source.name).copied();
        Row {
            name: &source.name,
            kind: SourceKind::Outside,
            pod: None,
            from: address.map(oracle::Source::Address),
            node: None,
            skipped: match address {
                Some(_) => None,
                None => Some(source.skip_reason().unwrap_or("no address").to_owned()),
            },
        }
    });
    pods.chain(outside).collect()
}

/// Why a cell from an outside source to `destination` is not probed: only server pods are (a Service may be
/// masqueraded by kube-proxy on the way in and cannot be resolved by name outside the cluster; between two outside
/// ends no policy decides anything).
fn not_from_outside(destination: &Destination) -> Option<String> {
    match &destination.kind {
        DestinationKind::Server(_) => None,
        DestinationKind::Service(_) => Some(
            "not probed from an outside source: netreach probes a server pod from outside directly, not through a \
             Service (kube-proxy may masquerade the source on the way in)"
                .to_owned(),
        ),
        DestinationKind::External(_) => Some(
            "not probed: both ends are outside the cluster's pods, no policy decides it".to_owned(),
        ),
        DestinationKind::SelfTraffic { .. } => {
            Some("not probed: an outside source has no pod IP of its own".to_owned())
        }
    }
}

/// The key of the cell `pod` × `column`: the column's port (the suite's, so names do not depend on the
/// environment) and protocol.
fn key_of(pod: &str, column: &Column) -> CellKey {
    CellKey {
        from: pod.to_owned(),
        to: column.destination.clone(),
        port: column.port,
        protocol: column.protocol,
    }
}

/// Every cell of phase `index` in suite order (pods, then destinations), judged by the oracle on `world` under
/// `policies` (the phase's, as applied). A cell is skipped when its pod is created in a later phase or its
/// destination has no endpoint; the oracle judges the others whose source stands in the layout.
pub fn phase_cells(
    suite: &Suite,
    index: usize,
    layout: &Layout,
    world: &World,
    policies: &[NetworkPolicy],
) -> Result<Vec<Cell>, OracleError> {
    phase_cells_layered(suite, index, layout, world, policies, &[])
}

/// [`phase_cells`] with the phase's ClusterNetworkPolicies (as applied) around its NetworkPolicies.
pub fn phase_cells_layered(
    suite: &Suite,
    index: usize,
    layout: &Layout,
    world: &World,
    policies: &[NetworkPolicy],
    cluster_policies: &[ClusterNetworkPolicy],
) -> Result<Vec<Cell>, OracleError> {
    let phase = &suite.phases[index];
    let has_dns = world.dns_pods().next().is_some();
    let mut cells = Vec::new();
    let mut routes = Vec::new();
    for row in rows(suite, layout, index) {
        for column in suite.columns() {
            let key = key_of(row.name, &column);
            let destination = suite
                .destinations
                .iter()
                .find(|d| d.name == column.destination)
                .expect("every column names a destination of the suite");
            let not_probed = (row.kind == SourceKind::Outside)
                .then(|| not_from_outside(destination))
                .flatten();
            let own = row
                .pod
                .as_ref()
                .and_then(|source| own_endpoint(source, destination, column.port));
            let endpoint = own
                .as_ref()
                .or_else(|| layout.destinations.get(&destination.name))
                .filter(|_| row.skipped.is_none() && not_probed.is_none());
            let resolves = endpoint
                .and_then(|to| to.service.as_ref())
                .and_then(ServiceAddress::resolved_name);
            let endpoint = endpoint.filter(|_| resolves.is_none() || has_dns);
            let skipped = match endpoint {
                Some(_) => None,
                None if resolves.is_some() && row.skipped.is_none() => Some(NO_DNS.to_owned()),
                None => Some(
                    row.skipped
                        .clone()
                        .or(not_probed.clone())
                        .unwrap_or_else(|| {
                            layout
                                .unplaced
                                .get(&destination.name)
                                .map(String::as_str)
                                .or(destination.skip_reason())
                                .unwrap_or("no address")
                                .to_owned()
                        }),
                ),
            };
            if let (Some(from), Some(to)) = (&row.from, endpoint) {
                routes.push(CellRoute {
                    key: key.clone(),
                    from: from.clone(),
                    to: to.target.clone(),
                    resolves: resolves.map(str::to_owned),
                    service: to
                        .service
                        .as_ref()
                        .map(|s| format!("{} ({})", s.service, s.cluster_ip)),
                });
            }
            cells.push(Cell {
                key,
                from_node: row.node.clone(),
                to_node: endpoint.and_then(|to| to.node.clone()),
                source: match &row.from {
                    Some(oracle::Source::Pod(pod)) => Some(pod.clone()),
                    _ => None,
                },
                source_kind: row.kind,
                source_address: match &row.from {
                    Some(oracle::Source::Address(ip)) => Some(*ip),
                    _ => None,
                },
                url: endpoint
                    .map(|to| to.url_for(column.port, column.protocol))
                    .unwrap_or_default(),
                service: endpoint.and_then(|to| to.service.clone()),
                family: endpoint
                    .map(|to| IpFamily::of(to.address))
                    .or(destination.family),
                skipped,
                table: phase.expectation.expected(row.name, &column.label),
                expected: None,
                oracle: None,
            });
        }
    }
    let mut judged: BTreeMap<CellKey, OracleCell> =
        oracle_cells_layered(world, policies, cluster_policies, suite.profile, &routes)?
            .into_iter()
            .map(|cell| (cell.key.clone(), cell))
            .collect();
    // Under another profile than the tables', what the oracle says under the tables' own tells a symbol that is only
    // the author's plugin's choice from one that contradicts the policy.
    let as_written: BTreeMap<CellKey, Reach> = match phase.expectation {
        Expectation::Table(_) if suite.profile != suite.tables_profile => oracle_cells_layered(
            world,
            policies,
            cluster_policies,
            suite.tables_profile,
            &routes,
        )?
        .into_iter()
        .map(|cell| (cell.key, cell.expected))
        .collect(),
        _ => BTreeMap::new(),
    };
    for cell in &mut cells {
        cell.oracle = judged.remove(&cell.key);
        cell.expected = expectation(
            &phase.expectation,
            cell.table,
            cell.oracle.as_ref(),
            as_written.get(&cell.key).copied(),
        );
    }
    Ok(cells)
}

/// Where `source`'s cell of a destination that is the source pod itself probes: its own pod IP (the `self`
/// destination), or the ClusterIP or name of the Service in front of it alone (a Service destination of `self`);
/// `None` for any other destination.
fn own_endpoint(source: &Source, destination: &Destination, port: u16) -> Option<Endpoint> {
    let (address, service) = match &destination.kind {
        DestinationKind::SelfTraffic { .. } => (source.address, None),
        DestinationKind::Service(spec) if spec.of_self => {
            let service = source.own_service.clone()?;
            let by = spec.by;
            (service.cluster_ip, Some(ServiceAddress { by, ..service }))
        }
        _ => return None,
    };
    Some(Endpoint {
        target: Target::Pod(source.pod.clone()),
        address,
        port,
        path: "/".into(),
        node: source.node.clone(),
        service,
    })
}

/// What a cell is judged against, the one rule for `run`, `conformance` and the cargo-test harness: the oracle's
/// verdict in an `expect: oracle` phase; in a table phase the table's symbol — except, when the profile in force is
/// not the one the tables were written for, on a cell a profile switch decides whose symbol is the oracle's verdict
/// under the tables' profile (`as_written`): that symbol is only the author's plugin's choice, and the oracle's verdict
/// under the profile in force (`plan`'s `X*`) is expected instead. A symbol that contradicts the policy as written
/// stays the expectation under any profile.
pub fn expectation(
    kind: &Expectation,
    table: Option<Reach>,
    oracle: Option<&OracleCell>,
    as_written: Option<Reach>,
) -> Option<Reach> {
    match (kind, oracle) {
        (Expectation::Oracle, oracle) => oracle.map(|o| o.expected),
        (Expectation::Table(_), Some(o))
            if !o.implementation_defined.is_empty()
                && as_written.is_some()
                && as_written == table =>
        {
            Some(o.expected)
        }
        (Expectation::Table(_), _) => table,
    }
}
