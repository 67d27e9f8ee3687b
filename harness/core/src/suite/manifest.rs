//! Loading policy manifests (NetworkPolicy and ClusterNetworkPolicy, mixed freely in multi-document files): YAML
//! documents, unknown fields, CIDRs and namespaces checked up front.

use std::path::Path;

use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer};
use serde_json::Value;

use super::error::{SuiteError, from_yaml};
use crate::cluster_policy::{self, ClusterNetworkPolicy};

/// The policies of one manifest file, by kind, in the order written.
#[derive(Debug, Default)]
pub struct LoadedPolicies {
    pub network: Vec<NetworkPolicy>,
    pub cluster: Vec<ClusterNetworkPolicy>,
}

/// Parses every document of a manifest file into NetworkPolicies (defaulting a missing namespace) and
/// ClusterNetworkPolicies (cluster-scoped: a namespace is an error).
pub fn load_policies(path: &Path, default_namespace: &str) -> Result<LoadedPolicies, SuiteError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SuiteError::new(path, "(file)", e.to_string()))?;
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(&text).map_err(|e| from_yaml(path, e))?;
    let mut policies = Vec::new();
    let mut cluster = Vec::new();
    for (index, document) in documents
        .into_iter()
        .enumerate()
        .filter(|(_, d)| !d.is_null())
    {
        let at = |field: &str| {
            if index == 0 {
                field.to_owned()
            } else {
                format!("document[{index}].{field}")
            }
        };
        let kind = document
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind == cluster_policy::KIND {
            cluster.push(cluster_document(path, &document, &at)?);
            continue;
        }
        if kind != "NetworkPolicy" {
            return Err(SuiteError::new(
                path,
                at("kind"),
                format!("expected NetworkPolicy or ClusterNetworkPolicy, got {kind:?}"),
            ));
        }
        let mut policy: NetworkPolicy = serde_path_to_error::deserialize(document.clone())
            .map_err(|e| type_error(path, &at, &e))?;
        let reparsed = serde_json::to_value(&policy)
            .map_err(|e| SuiteError::new(path, at("(document)"), e.to_string()))?;
        if let Some(field) = first_unknown_field(&document, &reparsed, "") {
            return Err(SuiteError::new(path, at(&field), "unknown field"));
        }
        if policy
            .metadata
            .name
            .as_deref()
            .unwrap_or_default()
            .is_empty()
        {
            return Err(SuiteError::new(path, at("metadata.name"), "missing"));
        }
        policy
            .metadata
            .namespace
            .get_or_insert_with(|| default_namespace.to_owned());
        check_cidrs(&policy)
            .map_err(|(field, message)| SuiteError::new(path, at(&field), message))?;
        policies.push(policy);
    }
    if policies.is_empty() && cluster.is_empty() {
        return Err(SuiteError::new(
            path,
            "(file)",
            "no NetworkPolicy or ClusterNetworkPolicy in this file",
        ));
    }
    Ok(LoadedPolicies {
        network: policies,
        cluster,
    })
}

/// One ClusterNetworkPolicy document: typed, no unknown field, named, cluster-scoped. The API's own rules (tier,
/// priority, actions, limits, CIDRs) are checked with the phase's policies by the oracle.
fn cluster_document(
    path: &Path,
    document: &Value,
    at: &dyn Fn(&str) -> String,
) -> Result<ClusterNetworkPolicy, SuiteError> {
    let policy: ClusterNetworkPolicy = serde_json::from_value(document.clone())
        .map_err(|e| SuiteError::new(path, at("(document)"), e.to_string()))?;
    let reparsed = serde_json::to_value(&policy)
        .map_err(|e| SuiteError::new(path, at("(document)"), e.to_string()))?;
    if let Some(field) = first_unknown_field(document, &reparsed, "") {
        let hint = if field.ends_with(".ports") {
            " (ClusterNetworkPolicy rules use `protocols`)"
        } else {
            ""
        };
        return Err(SuiteError::new(
            path,
            at(&field),
            format!("unknown field{hint}"),
        ));
    }
    if policy.name().is_empty() {
        return Err(SuiteError::new(path, at("metadata.name"), "missing"));
    }
    if policy.metadata.namespace.is_some() {
        return Err(SuiteError::new(
            path,
            at("metadata.namespace"),
            "a ClusterNetworkPolicy is cluster-scoped: remove the namespace",
        ));
    }
    Ok(policy)
}

/// A value of the wrong type, named by its field path. A YAML 1.1 boolean (`yes`, `on`, ...) where a string belongs
/// is read as a boolean, as kubectl reads it, and the API server rejects it too: the message says to quote it.
fn type_error(
    path: &Path,
    at: &dyn Fn(&str) -> String,
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> SuiteError {
    let field = error.path().to_string();
    let field = if field == "." { "(document)" } else { &field };
    let inner = error.inner().to_string();
    let message =
        if inner.starts_with("invalid type: boolean") && inner.ends_with("expected a string") {
            format!("{inner} (YAML reads yes/no/true/false/on/off as booleans: quote the value)")
        } else {
            inner
        };
    SuiteError::new(path, at(field), message)
}

/// The first key present in `input` but dropped by the typed round trip: a field the API does not know.
fn first_unknown_field(input: &Value, reparsed: &Value, prefix: &str) -> Option<String> {
    match (input, reparsed) {
        (Value::Object(given), Value::Object(kept)) => given.iter().find_map(|(key, value)| {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match kept.get(key) {
                None if !value.is_null() => Some(path),
                None => None,
                Some(inner) => first_unknown_field(value, inner, &path),
            }
        }),
        (Value::Array(given), Value::Array(kept)) => {
            given
                .iter()
                .zip(kept)
                .enumerate()
                .find_map(|(i, (value, inner))| {
                    first_unknown_field(value, inner, &format!("{prefix}[{i}]"))
                })
        }
        _ => None,
    }
}

/// Every ipBlock CIDR and except must parse, and each except must lie inside its CIDR.
fn check_cidrs(policy: &NetworkPolicy) -> Result<(), (String, String)> {
    let Some(spec) = &policy.spec else {
        return Ok(());
    };
    let ingress = spec
        .ingress
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| (format!("spec.ingress[{i}].from"), r.from.as_deref()));
    let egress = spec
        .egress
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| (format!("spec.egress[{i}].to"), r.to.as_deref()));
    for (rule_path, peers) in ingress.chain(egress) {
        for (p, peer) in peers.unwrap_or_default().iter().enumerate() {
            check_peer(peer, &format!("{rule_path}[{p}].ipBlock"))?;
        }
    }
    Ok(())
}

fn check_peer(peer: &NetworkPolicyPeer, path: &str) -> Result<(), (String, String)> {
    let Some(block) = &peer.ip_block else {
        return Ok(());
    };
    let cidr = parse_cidr(&block.cidr).map_err(|m| (format!("{path}.cidr"), m))?;
    for (e, except) in block.except.iter().flatten().enumerate() {
        let field = format!("{path}.except[{e}]");
        let carved = parse_cidr(except).map_err(|m| (field.clone(), m))?;
        if !cidr.contains(&carved) {
            return Err((field, format!("{except} is not inside cidr {}", block.cidr)));
        }
    }
    Ok(())
}

/// Parses a CIDR with ipnet, naming the bad value.
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .map_err(|_| format!("invalid CIDR {text:?}"))
}
