//! Reading a suite file into a validated [`Suite`]: every error names the file and the field.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use super::address::{expand, parse_endpoint, written_port};
use super::error::{SuiteError, from_yaml};
use super::expect::parse_table;
use super::manifest::load_policies;
use super::model::*;
use super::spec::*;
use crate::names::{check_dns_label, check_labels, check_port_name};
use crate::oracle::{Oracle, OracleError, Profile};
use crate::placeholder::resolve_cluster_placeholders;
use crate::world::World;
use crate::world::{IpFamily, Labels, Protocol};

/// Loads a suite for a run, expanding `${VAR}` references in outside addresses from the process environment.
pub fn load_suite(path: &Path) -> Result<Suite, SuiteError> {
    load_suite_with_env(path, &|name| std::env::var(name).ok())
}

/// Loads a suite for a run with an explicit environment (for tests): an outside address that cannot be resolved is
/// an error, unless it is `optional`.
pub fn load_suite_with_env(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Suite, SuiteError> {
    load(path, env, false)
}

/// Loads a suite for planning (`plan`, `validate`, `explain`, listing test names), which contacts nothing: every
/// outside address that cannot be resolved here is planned with a made-up one ([`Suite::stand_in_notes`]).
pub fn load_suite_for_planning(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Suite, SuiteError> {
    load(path, env, true)
}

fn load(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    planning: bool,
) -> Result<Suite, SuiteError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SuiteError::new(path, "(file)", e.to_string()))?;
    let spec: SuiteSpec = serde_saphyr::from_str(&text).map_err(|e| from_yaml(path, e))?;
    Loader {
        path,
        env,
        planning,
    }
    .suite(spec)
}

struct Loader<'a> {
    path: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
    /// Nothing is contacted: unresolvable outside addresses get made-up ones instead of failing.
    planning: bool,
}

/// What every phase of a suite is checked against, gathered once from the suite: its namespaces, the row and column
/// names of its tables, its tags (phases inherit them) and its placeholders (each standing for itself).
#[derive(Clone, Copy)]
struct PhaseScope<'a> {
    namespaces: &'a [&'a str],
    pods: &'a [&'a str],
    destinations: &'a [&'a str],
    suite_tags: &'a [String],
    placeholders: &'a BTreeMap<IpAddr, IpAddr>,
}

impl Loader<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> SuiteError {
        SuiteError::new(self.path, field, message)
    }

    fn suite(&self, spec: SuiteSpec) -> Result<Suite, SuiteError> {
        if spec.name.trim().is_empty() {
            return Err(self.err("name", "must not be empty"));
        }
        let namespaces = self.namespaces(&spec.namespaces)?;
        let namespace_names: Vec<&str> = namespaces.iter().map(|n| n.name.as_str()).collect();
        let pods = self.pods(&spec.pods, &namespace_names)?;
        let sources = self.sources(&spec.sources, &pods)?;
        let destinations =
            self.destinations(&spec.destinations, &namespace_names, &spec.placeholders)?;
        let placeholders = self.placeholders(&spec, &destinations, &sources)?;
        self.self_sources(&destinations, &pods)?;
        let pod_names: Vec<&str> = pods
            .iter()
            .map(|p| p.name.as_str())
            .chain(sources.iter().map(|s| s.name.as_str()))
            .collect();
        let columns: Vec<String> = destinations
            .iter()
            .flat_map(Destination::columns)
            .map(|c| c.label)
            .collect();
        let destination_names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let suite_tags = self.tags("tags", &spec.tags, &[])?;
        // Each placeholder standing for itself: a ClusterNetworkPolicy CIDR must be canonical once resolved.
        let identity: BTreeMap<IpAddr, IpAddr> = placeholders
            .iter()
            .map(|p| (p.address, p.address))
            .collect();
        let scope = PhaseScope {
            namespaces: &namespace_names,
            pods: &pod_names,
            destinations: &destination_names,
            suite_tags: &suite_tags,
            placeholders: &identity,
        };
        let mut phases = Vec::new();
        let mut phase_names = BTreeSet::new();
        for (index, phase) in spec.phases.iter().enumerate() {
            if !phase_names.insert(phase.name.as_str()) {
                return Err(self.err(
                    format!("phases[{index}].name"),
                    format!("duplicate phase {:?}", phase.name),
                ));
            }
            phases.push(self.phase(index, phase, &scope)?);
        }
        if phases.is_empty() {
            return Err(self.err("phases", "at least one phase is needed"));
        }
        for (i, pod) in pods.iter().enumerate() {
            if let Some(phase) = &pod.created_in
                && !phase_names.contains(phase.as_str())
            {
                return Err(self.err(
                    format!("pods[{i}].createdIn"),
                    format!("no phase named {phase:?}"),
                ));
            }
        }
        Ok(Suite {
            name: spec.name,
            description: spec.description,
            path: self.path.to_owned(),
            namespaces,
            pods,
            sources,
            destinations,
            placeholders,
            phases,
            profile: spec.profile,
            tables_profile: spec.profile,
            tags: suite_tags,
        })
    }

    /// A `self` destination makes every source pod serve its ports: not on a hostNetwork pod (it would bind them on
    /// its node, and its traffic is no pod's under NetworkPolicy).
    fn self_sources(
        &self,
        destinations: &[Destination],
        pods: &[FixturePod],
    ) -> Result<(), SuiteError> {
        let own = destinations
            .iter()
            .position(|d| matches!(d.kind, DestinationKind::SelfTraffic { .. }));
        match (own, pods.iter().position(|p| p.host_network)) {
            (Some(i), Some(j)) => Err(self.err(
                format!("destinations[{i}].self"),
                format!(
                    "pods[{j}] {:?} is a hostNetwork pod: a `self` destination needs every source pod on the pod network",
                    pods[j].name
                ),
            )),
            _ => Ok(()),
        }?;
        // Each source pod's own Service (a Service destination of `self`): a valid Service name, no destination's.
        let services = destinations
            .iter()
            .enumerate()
            .filter_map(|(i, d)| match &d.kind {
                DestinationKind::Service(s) if s.of_self => Some((i, &s.of)),
                _ => None,
            });
        for (i, of) in services {
            for pod in pods {
                let name = source_service_name(of, &pod.name);
                let field = format!("destinations[{i}].service.of");
                if !name.starts_with(|c: char| c.is_ascii_lowercase()) || name.len() > 63 {
                    return Err(self.err(
                        field,
                        format!(
                            "the Service in front of pod {:?} would be named {name:?}: a Service name starts \
                             with a letter and has at most 63 characters",
                            pod.name
                        ),
                    ));
                }
                if destinations.iter().any(|d| d.name == name) {
                    return Err(self.err(
                        field,
                        format!(
                            "the Service in front of pod {:?} is named {name:?}, like a destination",
                            pod.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Tags are DNS-label-like words (`ipblock`, `implementation-defined`); `inherited` ones come first.
    fn tags(
        &self,
        field: &str,
        tags: &[String],
        inherited: &[String],
    ) -> Result<Vec<String>, SuiteError> {
        let mut out: BTreeSet<String> = inherited.iter().cloned().collect();
        for (i, tag) in tags.iter().enumerate() {
            check_dns_label(tag).map_err(|m| self.err(format!("{field}[{i}]"), m))?;
            out.insert(tag.clone());
        }
        Ok(out.into_iter().collect())
    }

    /// Label keys and values as the API server checks them, before any cluster call.
    fn labels(&self, field: &str, labels: &Labels) -> Result<(), SuiteError> {
        check_labels(labels).map_err(|(key, message)| self.err(format!("{field}.{key}"), message))
    }

    fn namespaces(&self, specs: &[NamespaceSpec]) -> Result<Vec<SuiteNamespace>, SuiteError> {
        if specs.is_empty() {
            return Err(self.err("namespaces", "at least one namespace is needed"));
        }
        let mut seen = BTreeSet::new();
        specs
            .iter()
            .enumerate()
            .map(|(i, ns)| {
                check_dns_label(&ns.name)
                    .map_err(|m| self.err(format!("namespaces[{i}].name"), m))?;
                if !seen.insert(&ns.name) {
                    return Err(self.err(
                        format!("namespaces[{i}].name"),
                        format!("duplicate namespace {:?}", ns.name),
                    ));
                }
                self.labels(&format!("namespaces[{i}].labels"), &ns.labels)?;
                Ok(SuiteNamespace {
                    name: ns.name.clone(),
                    labels: ns.labels.clone(),
                })
            })
            .collect()
    }

    fn namespace_of(
        &self,
        field: String,
        given: &Option<String>,
        known: &[&str],
    ) -> Result<String, SuiteError> {
        match given {
            None => Ok(known[0].to_owned()),
            Some(ns) if known.contains(&ns.as_str()) => Ok(ns.clone()),
            Some(ns) => Err(self.err(
                field,
                format!("namespace {ns:?} is not declared under `namespaces`"),
            )),
        }
    }

    fn pods(&self, specs: &[PodSpec], namespaces: &[&str]) -> Result<Vec<FixturePod>, SuiteError> {
        if specs.is_empty() {
            return Err(self.err("pods", "at least one pod is needed"));
        }
        let mut seen = BTreeSet::new();
        specs
            .iter()
            .enumerate()
            .map(|(i, pod)| {
                check_dns_label(&pod.name).map_err(|m| self.err(format!("pods[{i}].name"), m))?;
                if !seen.insert(&pod.name) {
                    return Err(self.err(
                        format!("pods[{i}].name"),
                        format!("duplicate pod {:?}", pod.name),
                    ));
                }
                let namespace =
                    self.namespace_of(format!("pods[{i}].namespace"), &pod.namespace, namespaces)?;
                self.labels(&format!("pods[{i}].labels"), &pod.labels)?;
                Ok(FixturePod {
                    name: pod.name.clone(),
                    namespace,
                    labels: pod.labels.clone(),
                    host_network: pod.host_network,
                    created_in: pod.created_in.clone(),
                })
            })
            .collect()
    }

    /// A destination's `family`: `IPv4` or `IPv6`, on a server netreach deploys in the pod network, or a Service in
    /// front of one probed by its ClusterIP.
    fn family(
        &self,
        field: &str,
        dest: &DestinationSpec,
        kind: &DestinationKind,
    ) -> Result<Option<IpFamily>, SuiteError> {
        let Some(written) = &dest.family else {
            return Ok(None);
        };
        let family = IpFamily::from_api(written).ok_or_else(|| {
            self.err(
                field,
                format!("{written:?} is not an IP family (IPv4 or IPv6, as the API spells them)"),
            )
        })?;
        match kind {
            DestinationKind::Server(server) if !server.host_network => Ok(Some(family)),
            DestinationKind::Server(_) => Err(self.err(
                field,
                "a hostNetwork server is probed at the node's primary address: no family",
            )),
            DestinationKind::Service(service) if service.by == ServiceAddressing::Ip => {
                Ok(Some(family))
            }
            DestinationKind::Service(_) => Err(self.err(
                field,
                "a Service probed by name may answer in either family: probe it in a family `by: ip`",
            )),
            DestinationKind::External(_) => Err(self.err(
                field,
                "an outside destination's family is its address's: no family",
            )),
            DestinationKind::SelfTraffic { .. } => Err(self.err(
                field,
                "a self destination is probed at each pod's primary address: no family",
            )),
        }
    }

    /// Sources that are not pods: named apart from every pod, each an IP address and the `http://IP:PORT` of its
    /// agent; one that cannot be resolved here is planned with a made-up address (optional ones, or when planning).
    fn sources(
        &self,
        specs: &[SourceSpec],
        pods: &[FixturePod],
    ) -> Result<Vec<OutsideSource>, SuiteError> {
        let mut seen: BTreeSet<&str> = pods.iter().map(|p| p.name.as_str()).collect();
        let mut out = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let field = |f: &str| format!("sources[{i}].{f}");
            check_dns_label(&spec.name).map_err(|m| self.err(field("name"), m))?;
            if !seen.insert(&spec.name) {
                return Err(self.err(
                    field("name"),
                    format!("{:?} is already the name of a pod or source", spec.name),
                ));
            }
            let address = self.outside_part(&field("address"), &spec.address, |text| {
                text.trim()
                    .parse::<IpAddr>()
                    .map_err(|_| format!("{text:?} is not an IP address"))
            })?;
            let agent =
                self.outside_part(&field("agent"), &spec.agent, |text| {
                    match parse_endpoint(text) {
                        Ok(e) if text.trim().starts_with("http://") && e.path == "/" => {
                            Ok(std::net::SocketAddr::new(e.address, e.port))
                        }
                        _ => Err(format!(
                            "{text:?} is not an agent URL http://IP:PORT (agnhost netexec)"
                        )),
                    }
                })?;
            let state = match (address, agent) {
                (Ok(address), Ok(agent)) => OutsideSourceState::Resolved { address, agent },
                (Err((at, reason)), _) | (_, Err((at, reason))) => {
                    if !(spec.optional || self.planning) {
                        return Err(self.err(at, reason));
                    }
                    OutsideSourceState::Unavailable {
                        reason: skip_reason(&spec.skip_reason, reason),
                        optional: spec.optional,
                        stand_in: source_stand_in(i),
                    }
                }
            };
            out.push(OutsideSource {
                name: spec.name.clone(),
                state,
            });
        }
        Ok(out)
    }

    /// A source's `address` or `agent`: parsed once expanded (a bad value is an error at `field`); `Ok(Err)` with the
    /// field and reason when a variable it names is not set.
    fn outside_part<T>(
        &self,
        field: &str,
        template: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Result<T, (String, String)>, SuiteError> {
        match expand(template, self.env) {
            Ok(text) => parse(&text).map(Ok).map_err(|m| self.err(field, m)),
            Err(reason) => Ok(Err((field.to_owned(), reason))),
        }
    }

    fn destinations(
        &self,
        specs: &[DestinationSpec],
        namespaces: &[&str],
        placeholders: &BTreeMap<String, String>,
    ) -> Result<Vec<Destination>, SuiteError> {
        if specs.is_empty() {
            return Err(self.err("destinations", "at least one destination is needed"));
        }
        let mut seen = BTreeSet::new();
        let mut host_ports = BTreeSet::new();
        let mut seen_self = false;
        let mut out = Vec::new();
        for (i, dest) in specs.iter().enumerate() {
            let field = |f: &str| format!("destinations[{i}].{f}");
            check_dns_label(&dest.name).map_err(|m| self.err(field("name"), m))?;
            if !seen.insert(&dest.name) {
                return Err(self.err(
                    field("name"),
                    format!("duplicate destination {:?}", dest.name),
                ));
            }
            let kind = match (
                &dest.server,
                &dest.external,
                &dest.service,
                &dest.self_traffic,
            ) {
                (None, None, Some(service), None) => {
                    let own = out.iter().find_map(|d: &Destination| match &d.kind {
                        DestinationKind::SelfTraffic { ports } if d.name == service.of => {
                            Some(ports)
                        }
                        _ => None,
                    });
                    if let Some(ports) = own {
                        DestinationKind::Service(ServiceDestination {
                            of: service.of.clone(),
                            by: service.by,
                            ports: ports.clone(),
                            of_self: true,
                        })
                    } else {
                        let server = out
                        .iter()
                        .find_map(|d: &Destination| match &d.kind {
                            DestinationKind::Server(server) if d.name == service.of => Some(server),
                            _ => None,
                        })
                        .ok_or_else(|| {
                            self.err(
                                field("service.of"),
                                format!(
                                    "{:?} is not a server or `self` destination declared before this one",
                                    service.of
                                ),
                            )
                        })?;
                        if server.host_network {
                            return Err(self.err(
                            field("service.of"),
                            format!(
                                "{:?} is a hostNetwork server: a Service in front of it is not supported",
                                service.of
                            ),
                        ));
                        }
                        DestinationKind::Service(ServiceDestination {
                            of: service.of.clone(),
                            by: service.by,
                            ports: server.ports.clone(),
                            of_self: false,
                        })
                    }
                }
                (Some(server), None, None, None) => {
                    self.labels(&field("server.labels"), &server.labels)?;
                    let ports = self.server_ports(
                        &field,
                        "server",
                        server.port,
                        &server.port_name,
                        &server.ports,
                    )?;
                    for port in ports.iter().filter(|_| server.host_network) {
                        if !host_ports.insert((port.port, port.protocol)) {
                            return Err(self.err(
                                field("server.port"),
                                format!(
                                    "two hostNetwork servers cannot share a port ({} {})",
                                    port.port, port.protocol
                                ),
                            ));
                        }
                    }
                    let namespace = match &server.namespace {
                        None => None,
                        Some(_) => Some(self.namespace_of(
                            field("server.namespace"),
                            &server.namespace,
                            namespaces,
                        )?),
                    };
                    DestinationKind::Server(ServerDestination {
                        namespace,
                        labels: server.labels.clone(),
                        host_network: server.host_network,
                        ports,
                        body: server.body.clone().unwrap_or_else(|| dest.name.clone()),
                    })
                }
                (None, None, None, Some(own)) => {
                    let ports =
                        self.server_ports(&field, "self", own.port, &own.port_name, &own.ports)?;
                    if seen_self {
                        return Err(self.err(field("self"), "only one `self` destination"));
                    }
                    seen_self = true;
                    DestinationKind::SelfTraffic { ports }
                }
                (None, Some(external), None, None) => {
                    // A placeholder standing for it gives the stand-in's family.
                    let v6 = placeholders.iter().any(|(address, name)| {
                        name == &dest.name && address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv6())
                    });
                    let stand_in = stand_in_address(i, v6);
                    DestinationKind::External(self.external(
                        &field("external.address"),
                        external,
                        stand_in,
                    )?)
                }
                _ => {
                    return Err(self.err(
                        field("(destination)"),
                        "give exactly one of `server`, `external`, `service` or `self`",
                    ));
                }
            };
            let family = self.family(&field("family"), dest, &kind)?;
            out.push(Destination {
                name: dest.name.clone(),
                kind,
                family,
            });
        }
        // A Service some destination probes in a family is dual-stack: a probe of it by name could take either.
        for (i, by_name) in out.iter().enumerate() {
            let DestinationKind::Service(service) = &by_name.kind else {
                continue;
            };
            let in_family = out.iter().find(|d| {
                d.family.is_some()
                    && matches!(&d.kind, DestinationKind::Service(s) if s.of == service.of)
            });
            if let (ServiceAddressing::Name, Some(other)) = (service.by, in_family) {
                return Err(self.err(
                    format!("destinations[{i}].service.by"),
                    format!(
                        "the Service of {:?} is dual-stack for {:?} (family), so a probe by name could take either \
                         family (probe a name on another server)",
                        service.of, other.name
                    ),
                ));
            }
        }
        Ok(out)
    }

    /// The ports of a server or of `self` (`kind`): the short form (`port`, `portName`: one TCP port, default 80
    /// named `http`) or `ports`.
    fn server_ports(
        &self,
        field: &dyn Fn(&str) -> String,
        kind: &str,
        port: Option<u16>,
        port_name: &Option<String>,
        ports: &Option<Vec<ServerPortSpec>>,
    ) -> Result<Vec<ServerPort>, SuiteError> {
        let field = |f: &str| field(&format!("{kind}.{f}"));
        let Some(specs) = ports else {
            let port = port.unwrap_or(80);
            if port == 0 {
                return Err(self.err(field("port"), "must be 1-65535"));
            }
            let name = port_name.clone().unwrap_or_else(|| "http".into());
            check_port_name(&name).map_err(|m| self.err(field("portName"), m))?;
            return Ok(vec![ServerPort {
                name: Some(name),
                port,
                protocol: Protocol::Tcp,
            }]);
        };
        if port.is_some() || port_name.is_some() {
            return Err(self.err(
                field("ports"),
                "give either `port`/`portName` or `ports`, not both",
            ));
        }
        if specs.is_empty() {
            return Err(self.err(field("ports"), "at least one port is needed"));
        }
        let mut out: Vec<ServerPort> = Vec::new();
        for (j, spec) in specs.iter().enumerate() {
            let at = |f: &str| field(&format!("ports[{j}].{f}"));
            if spec.port == 0 {
                return Err(self.err(at("port"), "must be 1-65535"));
            }
            let protocol = spec.protocol.unwrap_or(Protocol::Tcp);
            if let Some(name) = &spec.name {
                check_port_name(name).map_err(|m| self.err(at("name"), m))?;
                if out.iter().any(|p| p.name.as_ref() == Some(name)) {
                    return Err(self.err(at("name"), format!("duplicate port name {name:?}")));
                }
            }
            if out
                .iter()
                .any(|p| p.port == spec.port && p.protocol == protocol)
            {
                return Err(self.err(
                    at("port"),
                    format!("{} {protocol} is declared twice", spec.port),
                ));
            }
            out.push(ServerPort {
                name: spec.name.clone(),
                port: spec.port,
                protocol,
            });
        }
        Ok(out)
    }

    /// An outside address; its port is the one written in the suite (default 80), whatever the environment holds.
    fn external(
        &self,
        field: &str,
        spec: &ExternalSpec,
        stand_in: IpAddr,
    ) -> Result<ExternalDestination, SuiteError> {
        let port = written_port(&spec.address);
        match expand(&spec.address, self.env) {
            Ok(text) => {
                let endpoint = parse_endpoint(&text).map_err(|m| self.err(field, m))?;
                if endpoint.port != port {
                    return Err(self.err(
                        field,
                        format!(
                            "{text:?} has port {}, the suite's address {:?} gives {port}: write the port in the \
                             suite and leave it out of the variable (test names must not depend on the environment)",
                            endpoint.port, spec.address
                        ),
                    ));
                }
                Ok(ExternalDestination::Resolved {
                    address: endpoint.address,
                    port,
                    path: endpoint.path,
                })
            }
            Err(reason) if spec.optional || self.planning => Ok(ExternalDestination::Unavailable {
                reason: skip_reason(&spec.skip_reason, reason),
                port,
                optional: spec.optional,
                stand_in,
            }),
            Err(reason) => Err(self.err(field, reason)),
        }
    }

    fn placeholders(
        &self,
        spec: &SuiteSpec,
        destinations: &[Destination],
        sources: &[OutsideSource],
    ) -> Result<Vec<Placeholder>, SuiteError> {
        spec.placeholders
            .iter()
            .map(|(address, destination)| {
                let field = format!("placeholders.{address}");
                let address: IpAddr = address
                    .parse()
                    .map_err(|_| self.err(&field, format!("{address:?} is not an IP address")))?;
                if sources.iter().any(|s| &s.name == destination) {
                    return Ok(Placeholder {
                        address,
                        destination: destination.clone(),
                    });
                }
                let Some(found) = destinations.iter().find(|d| &d.name == destination) else {
                    return Err(self.err(
                        &field,
                        format!("no destination or source named {destination:?}"),
                    ));
                };
                if found.of_each_source() {
                    return Err(self.err(
                        &field,
                        format!(
                            "{destination:?} is each source pod itself: it has no one address to stand for"
                        ),
                    ));
                }
                Ok(Placeholder {
                    address,
                    destination: destination.clone(),
                })
            })
            .collect()
    }

    fn phase(
        &self,
        index: usize,
        spec: &PhaseSpec,
        scope: &PhaseScope<'_>,
    ) -> Result<Phase, SuiteError> {
        let PhaseScope {
            namespaces,
            pods,
            destinations,
            suite_tags,
            placeholders,
        } = *scope;
        let base = self.path.parent().unwrap_or(Path::new("."));
        let mut policies: Vec<PolicyManifest> = Vec::new();
        let mut cluster_policies: Vec<ClusterPolicyManifest> = Vec::new();
        for (p, relative) in spec.policies.iter().enumerate() {
            let path = base.join(relative);
            if !path.is_file() {
                return Err(self.err(
                    format!("phases[{index}].policies[{p}]"),
                    format!("no such file {}", path.display()),
                ));
            }
            let loaded = load_policies(&path, namespaces[0])?;
            for policy in loaded.cluster {
                if cluster_policies.iter().any(|m| m.name() == policy.name()) {
                    return Err(self.err(
                        format!("phases[{index}].policies[{p}]"),
                        format!(
                            "ClusterNetworkPolicy {} appears twice in this phase",
                            policy.name()
                        ),
                    ));
                }
                cluster_policies.push(ClusterPolicyManifest {
                    path: path.clone(),
                    policy,
                });
            }
            for policy in loaded.network {
                let manifest = PolicyManifest {
                    path: path.clone(),
                    policy,
                };
                let namespace = manifest
                    .policy
                    .metadata
                    .namespace
                    .clone()
                    .unwrap_or_default();
                if !namespaces.contains(&namespace.as_str()) {
                    return Err(SuiteError::new(
                        &path,
                        "metadata.namespace",
                        format!("namespace {namespace:?} is not one of the suite's namespaces"),
                    ));
                }
                if policies
                    .iter()
                    .any(|m| m.qualified_name() == manifest.qualified_name())
                {
                    return Err(self.err(
                        format!("phases[{index}].policies[{p}]"),
                        format!(
                            "policy {} appears twice in this phase",
                            manifest.qualified_name()
                        ),
                    ));
                }
                policies.push(manifest);
            }
        }
        check_policies(&policies, &cluster_policies, placeholders)?;
        let expectation = if spec.expect.trim() == "oracle" {
            Expectation::Oracle
        } else {
            let table = parse_table(&spec.expect, pods, destinations)
                .map_err(|m| self.err(format!("phases[{index}].expect"), m))?;
            Expectation::Table(table)
        };
        Ok(Phase {
            name: spec.name.clone(),
            policies,
            cluster_policies,
            expectation,
            tags: self.tags(&format!("phases[{index}].tags"), &spec.tags, suite_tags)?,
        })
    }
}

/// What the API server would reject in a phase's policies (selector operators, ports, ...), named by file and field.
fn check_policies(
    manifests: &[PolicyManifest],
    cluster: &[ClusterPolicyManifest],
    placeholders: &BTreeMap<IpAddr, IpAddr>,
) -> Result<(), SuiteError> {
    let policies: Vec<_> = manifests.iter().map(|m| m.policy.clone()).collect();
    let cluster_policies: Vec<_> = cluster
        .iter()
        .map(|m| resolve_cluster_placeholders(&m.policy, placeholders))
        .collect();
    match Oracle::layered(
        &World::default(),
        &policies,
        &cluster_policies,
        Profile::default(),
    ) {
        Ok(_) => Ok(()),
        Err(OracleError::InvalidPolicy {
            policy,
            field,
            problem,
        }) => {
            let file = manifests
                .iter()
                .find(|m| m.qualified_name() == policy)
                .map(|m| m.path.as_path())
                .or_else(|| {
                    cluster
                        .iter()
                        .find(|m| m.name() == policy)
                        .map(|m| m.path.as_path())
                });
            Err(SuiteError::new(
                file.unwrap_or(Path::new(&policy)),
                field,
                problem,
            ))
        }
        Err(other) => Err(SuiteError::new(
            Path::new("(policies)"),
            "(phase)",
            other.to_string(),
        )),
    }
}

/// Why an optional outside source's or destination's cells are skipped: the suite's `skipReason`, if written, before
/// the details (`reason`).
fn skip_reason(written: &Option<String>, reason: String) -> String {
    match written {
        Some(why) => format!("{why} ({reason})"),
        None => reason,
    }
}

/// The made-up address of the `index`-th outside source when its address is unavailable: in the documentation range
/// 203.0.113.0/24, so it is only computed with, never contacted.
fn source_stand_in(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        203,
        0,
        113,
        u8::try_from(index + 1).unwrap_or(u8::MAX),
    ))
}

/// The made-up address of the `index`-th destination when its outside address is unavailable: in the documentation
/// ranges (198.51.100.0/24, 2001:db8::/32), so it is only computed with, never contacted.
fn stand_in_address(index: usize, v6: bool) -> IpAddr {
    let host = u8::try_from(index + 1).unwrap_or(u8::MAX);
    if v6 {
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(host)))
    } else {
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, host))
    }
}
