//! Proptest strategies and checks shared by the property tests over the xyz world: selectors, the run
//! configuration, and an independent reading of which cells are a pod's traffic to itself.

use netreach_core::oracle::{Target, Traffic};
use netreach_core::world::World;
use proptest::prelude::*;
use serde_json::{Value, json};

/// 48 cases a property, no failure-persistence files.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Pod selectors by labels: every pod, one `pod=` name of the world (the hostNetwork pod too), or `tier=web`.
pub fn pod_selector() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        prop::sample::select(vec!["a", "b", "c", "host"])
            .prop_map(|p| json!({"matchLabels": {"pod": p}})),
        Just(json!({"matchLabels": {"tier": "web"}})),
    ]
}

/// [`pod_selector`] plus set-based expressions (DoesNotExist, NotIn, In); each of the seven arms equally likely.
pub fn pod_selector_with_expressions() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => pod_selector(),
        1 => Just(json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]})),
        1 => Just(json!({"matchExpressions": [{"key": "pod", "operator": "NotIn", "values": ["a"]}]})),
        1 => Just(
            json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]})
        ),
        1 => Just(json!({"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b", "c"]}]})),
    ]
}

/// Namespace selectors: every namespace, `team=a`, or any namespace with a `team` label.
pub fn namespace_selector() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        Just(json!({"matchLabels": {"team": "a"}})),
        Just(json!({"matchExpressions": [{"key": "team", "operator": "Exists"}]})),
    ]
}

/// [`namespace_selector`] plus namespace `z` by its automatic name label; each of the four arms equally likely.
pub fn namespace_selector_with_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => namespace_selector(),
        1 => Just(json!({"matchLabels": {"kubernetes.io/metadata.name": "z"}})),
    ]
}

/// Whether `t` is a pod's traffic to itself: to its own pod, or to its pod IP when that IP is its alone (not a
/// hostNetwork pod's node address, not shared with another pod).
pub fn is_self(t: &Traffic, world: &World) -> bool {
    let source = t.from.pod().expect("a pod");
    let from = world.pod(&source.namespace, &source.name).expect("known");
    match &t.to {
        Target::Pod(to) => to == source,
        Target::Address(ip) => {
            *ip == from.ip
                && !from.host_network
                && world.pods.iter().filter(|p| p.ip == *ip).count() == 1
        }
    }
}
