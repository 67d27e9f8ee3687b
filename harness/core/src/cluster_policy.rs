//! ClusterNetworkPolicy (`policy.networking.k8s.io` v1alpha2 and v1beta1, network-policy-api v0.2/v0.3) as serde types.
//!
//! The two API versions have the same schema, so one set of types reads both; `apiVersion` says which. Enumerated
//! strings (`tier`, `action`) stay strings here so that the oracle can name the field of a misspelt value; the
//! API's limits (priority range, at most 25 rules, peers and protocols, canonical CIDRs) are checked when the oracle
//! compiles a policy. Label selectors and object metadata are the Kubernetes ones, as for NetworkPolicy.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

/// The API group of ClusterNetworkPolicy.
pub const GROUP: &str = "policy.networking.k8s.io";
/// The API versions netreach reads (same schema).
pub const API_VERSIONS: [&str; 2] = [
    "policy.networking.k8s.io/v1alpha2",
    "policy.networking.k8s.io/v1beta1",
];
/// The kind, as written in manifests.
pub const KIND: &str = "ClusterNetworkPolicy";
/// Most rules per direction, peers per rule, and protocols per rule the API accepts.
pub const MAX_ITEMS: usize = 25;
/// The priority range of the API (lower is checked first).
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i32> = 0..=1000;

/// A cluster-scoped policy of the Admin or Baseline tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterNetworkPolicy {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ClusterNetworkPolicySpec,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterNetworkPolicySpec {
    /// `Admin` or `Baseline` (required; empty when missing).
    #[serde(default)]
    pub tier: String,
    /// 0–1000; lower values are checked first within the tier (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<IngressRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
}

/// The pods the policy applies to: exactly one of `namespaces` or `pods`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
}

/// Pods matching `podSelector` in namespaces matching `namespaceSelector` (empty selectors match everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedPod {
    #[serde(default)]
    pub namespace_selector: LabelSelector,
    pub pod_selector: LabelSelector,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Accept`, `Deny` or `Pass` (required; empty when missing).
    #[serde(default)]
    pub action: String,
    /// At least one (required).
    #[serde(default)]
    pub from: Vec<IngressPeer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocols: Option<Vec<ProtocolMatch>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Accept`, `Deny` or `Pass` (required; empty when missing).
    #[serde(default)]
    pub action: String,
    /// At least one (required).
    #[serde(default)]
    pub to: Vec<EgressPeer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocols: Option<Vec<ProtocolMatch>>,
}

/// A source of ingress traffic: exactly one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressPeer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
}

/// A destination of egress traffic: exactly one field. `nodes` and `domainNames` are of the experimental channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressPeer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<NamespacedPod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_names: Option<Vec<String>>,
}

/// One entry of `protocols`: exactly one field. `destinationNamedPort` is of the experimental channel (v0.2.1+).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<ProtocolPorts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp: Option<ProtocolPorts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sctp: Option<ProtocolPorts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_named_port: Option<String>,
}

/// The attributes of one protocol (the API requires `destinationPort`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolPorts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<PortMatch>,
}

/// A port number or an inclusive range: exactly one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<PortRange>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PortRange {
    pub start: i32,
    pub end: i32,
}

impl ClusterNetworkPolicy {
    /// `metadata.name` (the loader guarantees it is set).
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
}

impl ClusterNetworkPolicy {
    /// The version part of `apiVersion` (`v1alpha2`, `v1beta1`).
    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or(self.api_version.as_str(), |(_, version)| version)
    }

    /// Paths of the fields of the experimental channel this policy uses (`nodes`, `domainNames` peers,
    /// `destinationNamedPort`): a cluster with the standard-channel CRD would reject it.
    pub fn experimental_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        let named = |protocols: &Option<Vec<ProtocolMatch>>, field: &str, out: &mut Vec<String>| {
            for (k, p) in protocols.iter().flatten().enumerate() {
                if p.destination_named_port.is_some() {
                    out.push(format!("{field}.protocols[{k}].destinationNamedPort"));
                }
            }
        };
        for (i, rule) in self.spec.ingress.iter().enumerate() {
            named(&rule.protocols, &format!("spec.ingress[{i}]"), &mut out);
        }
        for (i, rule) in self.spec.egress.iter().enumerate() {
            let field = format!("spec.egress[{i}]");
            for (j, peer) in rule.to.iter().enumerate() {
                if peer.nodes.is_some() {
                    out.push(format!("{field}.to[{j}].nodes"));
                }
                if peer.domain_names.is_some() {
                    out.push(format!("{field}.to[{j}].domainNames"));
                }
            }
            named(&rule.protocols, &field, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experimental_fields_are_listed_with_their_paths() {
        let policy: ClusterNetworkPolicy = serde_json::from_value(serde_json::json!({
            "apiVersion": "policy.networking.k8s.io/v1beta1",
            "kind": "ClusterNetworkPolicy",
            "metadata": {"name": "p"},
            "spec": {"tier": "Admin", "priority": 1, "subject": {"namespaces": {}},
                "ingress": [{"action": "Deny", "from": [{"namespaces": {}}], "protocols": [{"destinationNamedPort": "http"}]}],
                "egress": [{"action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}, {"nodes": {}}]}]},
        }))
        .unwrap();
        assert_eq!(policy.version(), "v1beta1");
        assert_eq!(
            policy.experimental_fields(),
            [
                "spec.ingress[0].protocols[0].destinationNamedPort",
                "spec.egress[0].to[1].nodes"
            ]
        );
    }
}
