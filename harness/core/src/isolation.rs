//! Run isolation: the namespaces a run works in (the suite's names plus the run id), and the suite's manifests and
//! world renamed to them so that their meaning is kept.
//!
//! A renaming is a one-to-one map of namespace names. What names a namespace in a manifest is renamed with it:
//! `metadata.namespace`, and the values of `kubernetes.io/metadata.name` in every namespace selector (NetworkPolicy
//! peers; ClusterNetworkPolicy subjects and peers), in `matchLabels` and in `In`/`NotIn` expressions. Names the map
//! does not hold (`kube-system`, netreach's own namespace) are kept. Other labels are the suite's own and are kept:
//! the renamed namespaces carry them too. So a selector matches a renamed namespace exactly when it matched the
//! original one, which `tests/isolation.rs` checks against the oracle for every suite of the repository.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::cluster_policy::{ClusterNetworkPolicy, NamespacedPod};
use crate::matrix::Layout;
use crate::oracle::{PodRef, Target};
use crate::plan::NAME_LABEL;
use crate::suite::Suite;
use crate::world::World;

/// Suite namespace -> namespace in the cluster (or the reverse, see [`invert`]).
pub type NamespaceMap = BTreeMap<String, String>;

/// The longest namespace name the API server accepts (a DNS label).
const MAX_NAME: usize = 63;

/// The namespace of a run for the suite's namespace `name`: `NAME-RUNID`, the suite's part shortened when the whole
/// would be longer than a DNS label.
pub fn run_namespace(name: &str, run_id: &str) -> String {
    let room = MAX_NAME.saturating_sub(run_id.len() + 1);
    let mut base = &name[..name.len().min(room)];
    base = base.trim_end_matches('-');
    format!("{base}-{run_id}")
}

/// Every namespace of the suite -> its run's namespace. An error when shortening made two of them equal.
pub fn run_namespaces(suite: &Suite, run_id: &str) -> Result<NamespaceMap, String> {
    let mut map = NamespaceMap::new();
    for ns in &suite.namespaces {
        let renamed = run_namespace(&ns.name, run_id);
        if let Some((other, _)) = map.iter().find(|(_, v)| **v == renamed) {
            return Err(format!(
                "namespaces {other} and {} both become {renamed} for run {run_id}; shorten one",
                ns.name
            ));
        }
        map.insert(ns.name.clone(), renamed);
    }
    Ok(map)
}

/// The reverse map (cluster namespace -> suite namespace).
pub fn invert(map: &NamespaceMap) -> NamespaceMap {
    map.iter().map(|(k, v)| (v.clone(), k.clone())).collect()
}

fn rename(name: &str, map: &NamespaceMap) -> String {
    map.get(name).cloned().unwrap_or_else(|| name.to_owned())
}

/// Renames the namespace names a label selector holds: values of `kubernetes.io/metadata.name`.
pub fn rename_selector(selector: &LabelSelector, map: &NamespaceMap) -> LabelSelector {
    let mut out = selector.clone();
    if let Some(value) = out
        .match_labels
        .as_mut()
        .and_then(|l| l.get_mut(NAME_LABEL))
    {
        *value = rename(value, map);
    }
    for expression in out.match_expressions.iter_mut().flatten() {
        if expression.key == NAME_LABEL {
            for value in expression.values.iter_mut().flatten() {
                *value = rename(value, map);
            }
        }
    }
    out
}

/// The NetworkPolicy in the renamed namespaces: its own namespace and its peers' namespace selectors.
pub fn rename_policy(policy: &NetworkPolicy, map: &NamespaceMap) -> NetworkPolicy {
    let mut out = policy.clone();
    if let Some(namespace) = out.metadata.namespace.as_mut() {
        *namespace = rename(namespace, map);
    }
    let rename_peer = |peer: &mut NetworkPolicyPeer| {
        if let Some(selector) = peer.namespace_selector.as_mut() {
            *selector = rename_selector(selector, map);
        }
    };
    if let Some(spec) = out.spec.as_mut() {
        let ingress = spec.ingress.iter_mut().flatten();
        ingress
            .flat_map(|r| r.from.iter_mut().flatten())
            .for_each(rename_peer);
        let egress = spec.egress.iter_mut().flatten();
        egress
            .flat_map(|r| r.to.iter_mut().flatten())
            .for_each(rename_peer);
    }
    out
}

/// The ClusterNetworkPolicy in the renamed namespaces: namespace selectors of its subject and of its peers.
pub fn rename_cluster_policy(
    policy: &ClusterNetworkPolicy,
    map: &NamespaceMap,
) -> ClusterNetworkPolicy {
    let mut out = policy.clone();
    let namespaces = |selector: &mut Option<LabelSelector>| {
        if let Some(selector) = selector.as_mut() {
            *selector = rename_selector(selector, map);
        }
    };
    let pods = |pods: &mut Option<NamespacedPod>| {
        if let Some(pods) = pods.as_mut() {
            pods.namespace_selector = rename_selector(&pods.namespace_selector, map);
        }
    };
    if let Some(subject) = out.spec.subject.as_mut() {
        namespaces(&mut subject.namespaces);
        pods(&mut subject.pods);
    }
    for peer in out.spec.ingress.iter_mut().flat_map(|r| &mut r.from) {
        namespaces(&mut peer.namespaces);
        pods(&mut peer.pods);
    }
    for peer in out.spec.egress.iter_mut().flat_map(|r| &mut r.to) {
        namespaces(&mut peer.namespaces);
        pods(&mut peer.pods);
    }
    out
}

/// The world with its namespaces renamed: their names, their `kubernetes.io/metadata.name` label (as the API server
/// sets it) and the pods' namespaces. With [`invert`]ed map, a run's world seen in the suite's names.
pub fn rename_world(world: &World, map: &NamespaceMap) -> World {
    let mut out = world.clone();
    for ns in &mut out.namespaces {
        if let Some(renamed) = map.get(&ns.name) {
            ns.name = renamed.clone();
            ns.labels.insert(NAME_LABEL.to_owned(), renamed.clone());
        }
    }
    for pod in &mut out.pods {
        pod.namespace = rename(&pod.namespace, map);
    }
    out
}

/// The layout with its pods' namespaces renamed (outside endpoints are kept).
pub fn rename_layout(layout: &Layout, map: &NamespaceMap) -> Layout {
    let pod = |pod: &mut PodRef| pod.namespace = rename(&pod.namespace, map);
    let mut out = layout.clone();
    out.sources.values_mut().for_each(|s| pod(&mut s.pod));
    for endpoint in out.destinations.values_mut() {
        if let Target::Pod(target) = &mut endpoint.target {
            pod(target);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map() -> NamespaceMap {
        NamespaceMap::from([
            ("a".to_owned(), "a-1234".to_owned()),
            ("b".to_owned(), "b-1234".to_owned()),
        ])
    }

    #[test]
    fn run_namespaces_fit_a_dns_label() {
        assert_eq!(
            run_namespace("metadata-access", "abcd1234"),
            "metadata-access-abcd1234"
        );
        let long = format!("{}-x", "n".repeat(60));
        let renamed = run_namespace(&long, "abcd1234");
        assert_eq!(renamed.len(), 63);
        assert!(renamed.ends_with("n-abcd1234"));
        // Shortening never leaves a doubled dash.
        let dashed = format!("{}-{}", "n".repeat(53), "m".repeat(9));
        assert_eq!(
            run_namespace(&dashed, "abcd1234"),
            format!("{}-abcd1234", "n".repeat(53))
        );
    }

    #[test]
    fn policy_namespace_and_name_selectors_are_renamed_other_labels_kept() {
        let policy: NetworkPolicy = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "a"},
            "spec": {
                "podSelector": {"matchLabels": {"kubernetes.io/metadata.name": "a"}},
                "ingress": [{"from": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "b", "team": "a"}}},
                    {"namespaceSelector": {"matchExpressions": [
                        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["a", "kube-system"]},
                        {"key": "team", "operator": "In", "values": ["b"]}
                    ]}, "podSelector": {}}
                ]}],
                "egress": [{"to": [{"namespaceSelector": {"matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "Exists"}
                ]}}]}]
            }
        }))
        .unwrap();
        let out = serde_json::to_value(rename_policy(&policy, &map())).unwrap();
        assert_eq!(out["metadata"]["namespace"], "a-1234");
        // A pod selector names no namespace.
        assert_eq!(
            out["spec"]["podSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "a"
        );
        let from = &out["spec"]["ingress"][0]["from"];
        assert_eq!(
            from[0]["namespaceSelector"]["matchLabels"],
            json!({"kubernetes.io/metadata.name": "b-1234", "team": "a"})
        );
        let expressions = &from[1]["namespaceSelector"]["matchExpressions"];
        assert_eq!(expressions[0]["values"], json!(["a-1234", "kube-system"]));
        assert_eq!(expressions[1]["values"], json!(["b"]));
        let egress = &out["spec"]["egress"][0]["to"][0]["namespaceSelector"];
        assert_eq!(egress["matchExpressions"][0].get("values"), None);
    }

    #[test]
    fn cluster_policy_subject_and_peers_are_renamed() {
        let policy: ClusterNetworkPolicy = serde_json::from_value(json!({
            "metadata": {"name": "c"},
            "spec": {
                "tier": "Admin", "priority": 1,
                "subject": {"pods": {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "a"}},
                    "podSelector": {}
                }},
                "ingress": [{"action": "Deny", "from": [
                    {"namespaces": {"matchExpressions": [
                        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["b"]}
                    ]}}
                ]}],
                "egress": [{"action": "Accept", "to": [
                    {"pods": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "b"}},
                              "podSelector": {"matchLabels": {"kubernetes.io/metadata.name": "b"}}}},
                    {"nodes": {"matchLabels": {"kubernetes.io/metadata.name": "a"}}}
                ]}]
            }
        }))
        .unwrap();
        let out = serde_json::to_value(rename_cluster_policy(&policy, &map())).unwrap();
        let spec = &out["spec"];
        assert_eq!(
            spec["subject"]["pods"]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "a-1234"
        );
        assert_eq!(
            spec["ingress"][0]["from"][0]["namespaces"]["matchExpressions"][0]["values"],
            json!(["b-1234"])
        );
        let to = &spec["egress"][0]["to"];
        assert_eq!(
            to[0]["pods"]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "b-1234"
        );
        assert_eq!(
            to[0]["pods"]["podSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "b"
        );
        assert_eq!(
            to[1]["nodes"]["matchLabels"]["kubernetes.io/metadata.name"],
            "a"
        );
    }

    #[test]
    fn renaming_a_world_and_back_is_the_identity() {
        use crate::plan::namespace_info;
        use crate::world::Labels;
        let world = World {
            namespaces: vec![
                namespace_info("a", &Labels::from([("team".into(), "x".into())])),
                namespace_info("kube-system", &Labels::new()),
            ],
            ..World::default()
        };
        let renamed = rename_world(&world, &map());
        assert_eq!(renamed.namespaces[0].name, "a-1234");
        assert_eq!(renamed.namespaces[0].labels[NAME_LABEL], "a-1234");
        assert_eq!(renamed.namespaces[0].labels["team"], "x");
        assert_eq!(renamed.namespaces[1], world.namespaces[1]);
        assert_eq!(rename_world(&renamed, &invert(&map())), world);
    }
}
