//! The validated suite: what the runner, the oracle and the renderers consume.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde::Serialize;

use crate::cell::Reach;
use crate::cluster_policy::ClusterNetworkPolicy;
use crate::oracle::Profile;
use crate::world::{IpFamily, Labels, Protocol};

#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    pub description: Option<String>,
    pub path: PathBuf,
    pub namespaces: Vec<SuiteNamespace>,
    pub pods: Vec<FixturePod>,
    /// Sources that are not pods (rows after the pods).
    pub sources: Vec<OutsideSource>,
    pub destinations: Vec<Destination>,
    pub placeholders: Vec<Placeholder>,
    pub phases: Vec<Phase>,
    /// Implementation-defined choices the oracle assumes for this suite's cluster (the suite's own, unless
    /// `--profile-name`/`--profile` chose others).
    pub profile: Profile,
    /// The suite's own `profile`: the choices its hand-written tables were written for.
    pub tables_profile: Profile,
    /// The suite's own tags (each phase's `tags` include them).
    pub tags: Vec<String>,
}

impl Suite {
    /// The ports every source pod serves for its self cells (none without a `self` destination).
    pub fn self_ports(&self) -> Vec<ServerPort> {
        self.destinations
            .iter()
            .flat_map(|d| match &d.kind {
                DestinationKind::SelfTraffic { ports } => ports.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// The `self` destination's name when a Service destination fronts it: every source pod then has a Service of
    /// its own ([`source_service_name`]).
    pub fn self_service(&self) -> Option<&str> {
        self.destinations.iter().find_map(|d| match &d.kind {
            DestinationKind::Service(s) if s.of_self => Some(s.of.as_str()),
            _ => None,
        })
    }

    /// Every column of the matrix, in suite order (destinations, then their ports as written).
    pub fn columns(&self) -> Vec<Column> {
        self.destinations
            .iter()
            .flat_map(Destination::columns)
            .collect()
    }

    /// The rows of the matrix, in order: the pods, then the outside sources.
    pub fn row_names(&self) -> Vec<&str> {
        let pods = self.pods.iter().map(|p| p.name.as_str());
        pods.chain(self.sources.iter().map(|s| s.name.as_str()))
            .collect()
    }

    /// The outside source named `name`.
    pub fn outside_source(&self, name: &str) -> Option<&OutsideSource> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// Outside sources and destinations planned with a made-up address, each with a line saying so (for `plan`,
    /// `validate`).
    pub fn stand_in_notes(&self) -> Vec<String> {
        let sources = self.sources.iter().filter_map(|s| match &s.state {
            OutsideSourceState::Unavailable {
                reason,
                optional,
                stand_in,
            } => Some(format!(
                "source {}: {reason}; planned with the made-up address {stand_in} (never contacted); {}",
                s.name,
                if *optional {
                    "a run skips its cells"
                } else {
                    "`netreach run` needs the address"
                }
            )),
            OutsideSourceState::Resolved { .. } => None,
        });
        let destinations = self
            .destinations
            .iter()
            .filter_map(|d| match &d.kind {
                DestinationKind::External(ExternalDestination::Unavailable {
                    reason,
                    optional,
                    stand_in,
                    ..
                }) => Some(format!(
                    "destination {}: {reason}; planned with the made-up address {stand_in} (never contacted); {}",
                    d.name,
                    if *optional {
                        "a run skips its cells"
                    } else {
                        "`netreach run` needs the address"
                    }
                )),
                _ => None,
            });
        sources.chain(destinations).collect()
    }

    /// The phase's policies for headings and reports: ClusterNetworkPolicies by name, then `namespace/name`,
    /// followed by ` from FILE` (relative to the suite) when another manifest of the suite carries the same name, so
    /// two versions of a policy are told apart.
    pub fn policy_labels(&self, phase: &Phase) -> Vec<String> {
        let base = self.path.parent().unwrap_or(Path::new(""));
        let cluster = phase.cluster_policies.iter().map(|m| m.name().to_owned());
        let namespaced = phase.policies.iter().map(|manifest| {
            let name = manifest.qualified_name();
            let ambiguous = self
                .phases
                .iter()
                .flat_map(|p| &p.policies)
                .any(|other| other.qualified_name() == name && other.path != manifest.path);
            if ambiguous {
                let file = manifest.path.strip_prefix(base).unwrap_or(&manifest.path);
                format!("{name} from {}", file.display())
            } else {
                name
            }
        });
        cluster.chain(namespaced).collect()
    }

    /// Index of the phase at whose start `pod` is created (`None`: deployed before the first phase).
    pub fn created_in_index(&self, pod: &FixturePod) -> Option<usize> {
        let phase = pod.created_in.as_deref()?;
        self.phases.iter().position(|p| p.name == phase)
    }

    /// Why the cells of source pod `pod` are skipped in phase `phase_index`: it is created in a later phase.
    pub fn not_created_yet(&self, pod: &str, phase_index: usize) -> Option<String> {
        let pod = self.pods.iter().find(|p| p.name == pod)?;
        let index = self.created_in_index(pod)?;
        (phase_index < index).then(|| format!("created in phase {}", self.phases[index].name))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SuiteNamespace {
    pub name: String,
    pub labels: Labels,
}

/// A pod that probes (the source side of every cell).
#[derive(Debug, Clone, Serialize)]
pub struct FixturePod {
    pub name: String,
    pub namespace: String,
    pub labels: Labels,
    /// In the node's network namespace: outside NetworkPolicy's reach.
    #[serde(default)]
    pub host_network: bool,
    /// The phase at whose start the pod is created, after that phase's policies are applied; `None`: deployed
    /// with the other fixtures before the first phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_in: Option<String>,
}

/// A probe source that is not a pod: an address outside the cluster's pods, whose connections an agent there makes.
#[derive(Debug, Clone, Serialize)]
pub struct OutsideSource {
    pub name: String,
    pub state: OutsideSourceState,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OutsideSourceState {
    /// Connections leave from `address`; the agent's netexec answers at `agent`.
    Resolved {
        address: IpAddr,
        agent: std::net::SocketAddr,
    },
    /// Not resolvable here (an unset variable): a run skips its cells with this reason (only `optional` ones), and
    /// planning computes with the made-up `stand_in`, never contacted.
    Unavailable {
        reason: String,
        optional: bool,
        stand_in: IpAddr,
    },
}

impl OutsideSource {
    /// The address the oracle judges: the real one, or the made-up stand-in of an unavailable source.
    pub fn planned_address(&self) -> IpAddr {
        match &self.state {
            OutsideSourceState::Resolved { address, .. } => *address,
            OutsideSourceState::Unavailable { stand_in, .. } => *stand_in,
        }
    }

    /// Where its agent answers, if the source is available.
    pub fn agent(&self) -> Option<std::net::SocketAddr> {
        match &self.state {
            OutsideSourceState::Resolved { agent, .. } => Some(*agent),
            OutsideSourceState::Unavailable { .. } => None,
        }
    }

    pub fn skip_reason(&self) -> Option<&str> {
        match &self.state {
            OutsideSourceState::Unavailable { reason, .. } => Some(reason),
            OutsideSourceState::Resolved { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Destination {
    pub name: String,
    pub kind: DestinationKind,
    /// For a server: the family of the pod address it is probed at (`None`: the pod's primary address). On a
    /// cluster that gives the pod no address of that family, its cells are skipped with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<IpFamily>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DestinationKind {
    /// A server pod netreach deploys; `namespace: None` means netreach's own namespace for the run.
    Server(ServerDestination),
    External(ExternalDestination),
    /// Each source pod to itself by its own pod IP (the source pods serve these ports).
    #[serde(rename = "self")]
    SelfTraffic {
        ports: Vec<ServerPort>,
    },
    /// A ClusterIP Service in front of a server destination, its cells decided by that server's pod; or in front
    /// of each source pod (of the `self` destination), each source pod's cell decided as traffic to itself.
    Service(ServiceDestination),
}

/// A Service netreach creates in front of server destination `of`: named like it, in its namespace, selecting its
/// pod, with its ports. Several Service destinations of one server share that one Service. When `of` is the `self`
/// destination, every source pod gets a Service of its own instead ([`source_service_name`]), selecting it alone:
/// a pod probing it reaches itself through the Service (hairpin).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceDestination {
    pub of: String,
    pub by: ServiceAddressing,
    /// The server's ports (each the Service's port and target port, with its protocol).
    pub ports: Vec<ServerPort>,
    /// Whether `of` is the `self` destination (one Service per source pod) rather than a server.
    pub of_self: bool,
}

/// The name of the Service in front of source pod `pod` alone, for Service destinations of the `self` destination
/// `of`: `OF-POD` (the loader checks it is a valid Service name and names no destination).
pub fn source_service_name(of: &str, pod: &str) -> String {
    format!("{of}-{pod}")
}

/// How a probe addresses a Service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceAddressing {
    /// Its ClusterIP.
    #[default]
    Ip,
    /// `NAME.NAMESPACE.svc.cluster.local.`, resolved by the source pod through cluster DNS (kube-dns).
    Name,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerDestination {
    pub namespace: Option<String>,
    pub labels: Labels,
    pub host_network: bool,
    /// Every port the server answers on, in the order written (at least one).
    pub ports: Vec<ServerPort>,
    pub body: String,
}

impl ServerDestination {
    /// Whether every port is TCP: such a server is busybox httpd serving `body`; any other runs agnhost `netexec`.
    pub fn tcp_only(&self) -> bool {
        self.ports.iter().all(|p| p.protocol == Protocol::Tcp)
    }
}

/// One port of a server: the container port a policy's named port resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerPort {
    /// The container port's name (`http` for the short form unless the suite names it; optional in `ports`).
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// One column of the matrix: a destination and one of its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub destination: String,
    pub port: u16,
    pub protocol: Protocol,
    /// How tables and reports name it: the destination's name when it has one port, else `NAME:PORT`, with
    /// `/udp` or `/sctp` after a port of another protocol than TCP.
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ExternalDestination {
    Resolved {
        address: IpAddr,
        port: u16,
        path: String,
    },
    /// Not resolvable here (an unset variable): a run skips its cells with this reason (only `optional` ones; a
    /// required one is an error when loading for a run), and planning computes with the made-up `stand_in`, a
    /// documentation address that is never contacted.
    Unavailable {
        reason: String,
        port: u16,
        optional: bool,
        stand_in: IpAddr,
    },
}

impl Destination {
    /// The ports a probe connects to, with their protocols: the suite's (or the default), never the environment's,
    /// so cell and test names are the same wherever the suite is loaded. An outside destination has one TCP port.
    pub fn ports(&self) -> Vec<(u16, Protocol)> {
        match &self.kind {
            DestinationKind::Server(ServerDestination { ports, .. })
            | DestinationKind::SelfTraffic { ports } => {
                ports.iter().map(|p| (p.port, p.protocol)).collect()
            }
            DestinationKind::Service(service) => {
                service.ports.iter().map(|p| (p.port, p.protocol)).collect()
            }
            DestinationKind::External(ExternalDestination::Resolved { port, .. })
            | DestinationKind::External(ExternalDestination::Unavailable { port, .. }) => {
                vec![(*port, Protocol::Tcp)]
            }
        }
    }

    /// The first port (the only one but for a server with several).
    pub fn port(&self) -> u16 {
        self.ports().first().map(|p| p.0).unwrap_or_default()
    }

    /// The destination's columns of the matrix, one per port.
    pub fn columns(&self) -> Vec<Column> {
        let ports = self.ports();
        let single = ports.len() == 1;
        ports
            .into_iter()
            .map(|(port, protocol)| Column {
                destination: self.name.clone(),
                port,
                protocol,
                label: column_label(&self.name, port, protocol, single),
            })
            .collect()
    }

    /// Whether this destination is each source pod itself: the `self` destination, or a Service in front of it
    /// (each cell then has its own address, the source's; none stands for the destination as a whole).
    pub fn of_each_source(&self) -> bool {
        match &self.kind {
            DestinationKind::SelfTraffic { .. } => true,
            DestinationKind::Service(service) => service.of_self,
            _ => false,
        }
    }

    pub fn skip_reason(&self) -> Option<&str> {
        match &self.kind {
            DestinationKind::External(ExternalDestination::Unavailable { reason, .. }) => {
                Some(reason)
            }
            _ => None,
        }
    }

    /// The made-up address an unavailable outside destination is planned with (and its placeholders resolve to).
    pub fn stand_in(&self) -> Option<IpAddr> {
        match &self.kind {
            DestinationKind::External(ExternalDestination::Unavailable { stand_in, .. }) => {
                Some(*stand_in)
            }
            _ => None,
        }
    }
}

/// A column's name: `NAME` alone when `single`, else `NAME:PORT`, then `/udp` or `/sctp` for those protocols.
pub fn column_label(destination: &str, port: u16, protocol: Protocol, single: bool) -> String {
    let suffix = match protocol {
        Protocol::Tcp => String::new(),
        other => format!("/{}", other.as_api().to_ascii_lowercase()),
    };
    if single {
        format!("{destination}{suffix}")
    } else {
        format!("{destination}:{port}{suffix}")
    }
}

/// An address written in the manifests, standing for a destination's (or an outside source's) real address.
#[derive(Debug, Clone, Serialize)]
pub struct Placeholder {
    pub address: IpAddr,
    pub destination: String,
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub policies: Vec<PolicyManifest>,
    /// ClusterNetworkPolicies of the phase (from the same manifest files), in the order written.
    pub cluster_policies: Vec<ClusterPolicyManifest>,
    pub expectation: Expectation,
    /// The suite's tags and the phase's own, sorted, without duplicates.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PolicyManifest {
    pub path: PathBuf,
    pub policy: NetworkPolicy,
}

impl PolicyManifest {
    /// `namespace/name` of the policy (the loader guarantees both are set).
    pub fn qualified_name(&self) -> String {
        format!(
            "{}/{}",
            self.policy
                .metadata
                .namespace
                .as_deref()
                .unwrap_or_default(),
            self.policy.metadata.name.as_deref().unwrap_or_default()
        )
    }
}

/// A ClusterNetworkPolicy and the file it came from.
#[derive(Debug, Clone)]
pub struct ClusterPolicyManifest {
    pub path: PathBuf,
    pub policy: ClusterNetworkPolicy,
}

impl ClusterPolicyManifest {
    /// `metadata.name` (cluster-scoped: no namespace).
    pub fn name(&self) -> &str {
        self.policy.name()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Hand-written: (pod, column label) -> reach, for every pod and column of the suite (a destination's name
    /// when it has one port, see [`Column`]).
    Table(BTreeMap<(String, String), Reach>),
    /// `expect: oracle`: computed by the oracle from the policies and the deployed world.
    Oracle,
}

impl Expectation {
    /// The hand-written expectation of a cell (by its column's label); `None` for oracle phases.
    pub fn expected(&self, pod: &str, column: &str) -> Option<Reach> {
        match self {
            Expectation::Table(table) => table.get(&(pod.to_owned(), column.to_owned())).copied(),
            Expectation::Oracle => None,
        }
    }
}
