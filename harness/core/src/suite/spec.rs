//! The suite file as written: serde types that mirror the YAML, rejecting unknown fields.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::oracle::Profile;
use crate::world::{Labels, Protocol};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SuiteSpec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub namespaces: Vec<NamespaceSpec>,
    pub pods: Vec<PodSpec>,
    /// Probe sources that are not pods: outside addresses probing through an agent there (rows after the pods).
    #[serde(default)]
    pub sources: Vec<SourceSpec>,
    pub destinations: Vec<DestinationSpec>,
    /// Address written in the manifests -> name of the destination (or outside source) whose real address replaces it.
    #[serde(default)]
    pub placeholders: BTreeMap<String, String>,
    pub phases: Vec<PhaseSpec>,
    /// Implementation-defined choices the oracle assumes (see the README); missing keys keep their defaults.
    #[serde(default)]
    pub profile: Profile,
    /// Labels for choosing cases (`netreach conformance --tags`); every phase inherits them.
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamespaceSpec {
    pub name: String,
    #[serde(default)]
    pub labels: Labels,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodSpec {
    pub name: String,
    /// Defaults to the suite's first namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: Labels,
    /// Run the probing pod in the node's network namespace (such a pod is not covered by NetworkPolicy).
    #[serde(default)]
    pub host_network: bool,
    /// Create the pod only when this phase starts, after its policies are applied (cells of earlier phases are
    /// skipped); its first probe is decisive.
    #[serde(default)]
    pub created_in: Option<String>,
}

/// A source outside the cluster's pods: connections to the pods leave from `address`, made by an agent (agnhost
/// `netexec`, asked on its `/dial` endpoint) that netreach reaches at `agent`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SourceSpec {
    pub name: String,
    /// The address the agent's connections leave from: an IP; `${VAR}` and `${VAR[N]}` expand from the environment.
    pub address: String,
    /// `http://IP:PORT` of the agent's netexec; `${VAR}` and `${VAR[N]}` expand from the environment.
    pub agent: String,
    /// When the address or agent cannot be resolved (an unset variable), skip its cells with the reason instead of
    /// failing.
    #[serde(default)]
    pub optional: bool,
    /// With `optional`: why the cells are skipped when the source is unavailable (shown before the details).
    #[serde(default)]
    pub skip_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DestinationSpec {
    pub name: String,
    #[serde(default)]
    pub server: Option<ServerSpec>,
    #[serde(default)]
    pub external: Option<ExternalSpec>,
    #[serde(default)]
    pub service: Option<ServiceSpec>,
    /// Each source pod to itself, by its own pod IP, on these ports (which the source pods then serve).
    #[serde(default, rename = "self")]
    pub self_traffic: Option<SelfSpec>,
    /// A server probed at its pod's address of this family (`IPv4` or `IPv6`, as the API spells it); default: the
    /// pod's primary address.
    #[serde(default)]
    pub family: Option<String>,
}

/// A ClusterIP Service netreach creates in front of one of the suite's server destinations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceSpec {
    /// The server destination whose pod the Service selects (its backend).
    pub of: String,
    /// How a probe addresses the Service: `ip` (its ClusterIP, the default) or `name` (its cluster DNS name).
    #[serde(default)]
    pub by: crate::suite::ServiceAddressing,
}

/// A pod to itself: the ports each source pod serves and probes on its own IP (`port`/`portName` or `ports`, as
/// for a server; default port 80 named `http`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SelfSpec {
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub port_name: Option<String>,
    #[serde(default)]
    pub ports: Option<Vec<ServerPortSpec>>,
}

/// An HTTP server pod that netreach deploys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServerSpec {
    /// Defaults to a namespace of netreach's own, created for the run.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub host_network: bool,
    /// The one TCP port of the short form (default 80); not with `ports`.
    #[serde(default)]
    pub port: Option<u16>,
    /// Name of the short form's container port (what a policy's named port resolves to); default `http`.
    #[serde(default)]
    pub port_name: Option<String>,
    /// Several ports, each with an optional name and protocol (instead of `port`/`portName`).
    #[serde(default)]
    pub ports: Option<Vec<ServerPortSpec>>,
    #[serde(default)]
    pub body: Option<String>,
}

/// One entry of a server's `ports`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServerPortSpec {
    #[serde(default)]
    pub name: Option<String>,
    pub port: u16,
    /// `TCP` (default), `UDP` or `SCTP`, spelled as the Kubernetes API spells it.
    #[serde(default)]
    pub protocol: Option<Protocol>,
}

/// An endpoint that already exists, outside netreach's control.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalSpec {
    /// `IP`, `IP:PORT`, or `http://IP[:PORT]/path`; `${VAR}` and `${VAR[N]}` (N-th word, from 0) expand from the environment.
    pub address: String,
    /// When the address cannot be resolved (an unset variable), skip its cells with the reason instead of failing.
    #[serde(default)]
    pub optional: bool,
    /// With `optional`: why the cells are skipped when the address is unavailable (shown before the details).
    #[serde(default)]
    pub skip_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PhaseSpec {
    pub name: String,
    /// Manifest files, relative to the suite file.
    #[serde(default)]
    pub policies: Vec<String>,
    /// `oracle`, or a table of `.` (allowed) and `X` (denied): a header row of destination names, then one row per
    /// pod. A table is cross-checked by the oracle before anything is deployed.
    pub expect: String,
    /// Labels for choosing cases, added to the suite's.
    #[serde(default)]
    pub tags: Vec<String>,
}
