//! Property tests of the oracle over random policies on a fixed small world (proptest).

mod oracle_support;

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netreach_core::oracle::{Oracle, PodRef, Profile, ProfileSwitch, SideVerdict, Target};
use netreach_core::world::{Labels, Protocol, World};
use oracle_support::strategies::*;
use oracle_support::*;
use proptest::prelude::*;
use serde_json::{Value, json};

const ADDRESSES: [&str; 7] = [
    "192.168.1.9",
    "192.168.2.9",
    "10.0.1.2",
    "10.0.3.3",
    "172.18.0.2",
    "8.8.8.8",
    "fd00::1",
];
const PORTS: [(u16, Protocol); 5] = [
    (80, Protocol::Tcp),
    (53, Protocol::Udp),
    (8080, Protocol::Tcp),
    (443, Protocol::Tcp),
    (9, Protocol::Sctp),
];
const BLOCKS: [(&str, &[&str]); 6] = [
    ("0.0.0.0/0", &["192.168.1.0/24"]),
    ("10.0.0.0/16", &["10.0.1.0/24", "10.0.3.3/32"]),
    ("192.168.1.9/32", &[]),
    ("172.18.0.0/16", &[]),
    ("::/0", &["fd00::/64"]),
    ("192.168.0.0/16", &["192.168.1.0/24", "192.168.2.0/24"]),
];

fn peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        pod_selector_with_expressions().prop_map(|s| json!({"podSelector": s})),
        namespace_selector_with_name().prop_map(|n| json!({"namespaceSelector": n})),
        (
            pod_selector_with_expressions(),
            namespace_selector_with_name()
        )
            .prop_map(|(s, n)| json!({"podSelector": s, "namespaceSelector": n})),
        (0..BLOCKS.len()).prop_map(|i| {
            let (cidr, except) = BLOCKS[i];
            json!({"ipBlock": {"cidr": cidr, "except": except}})
        }),
    ]
}

fn port() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"port": 80})),
        Just(json!({"port": 53, "protocol": "UDP"})),
        Just(json!({"port": "http"})),
        Just(json!({"port": "dns", "protocol": "UDP"})),
        Just(json!({"port": 8000, "endPort": 8080})),
        Just(json!({"protocol": "SCTP"})),
    ]
}

fn rule(peers_key: &'static str) -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::collection::vec(port(), 0..3)),
        prop::option::of(prop::collection::vec(peer(), 0..3)),
    )
        .prop_map(move |(ports, peers)| {
            let mut rule = serde_json::Map::new();
            if let Some(ports) = ports {
                rule.insert("ports".into(), Value::Array(ports));
            }
            if let Some(peers) = peers {
                rule.insert(peers_key.into(), Value::Array(peers));
            }
            Value::Object(rule)
        })
}

/// A random policy spec; `types` is `None` (API defaulting) or a policyTypes list.
fn spec() -> impl Strategy<Value = Value> {
    (
        pod_selector_with_expressions(),
        prop_oneof![
            Just(None),
            Just(Some(vec!["Ingress"])),
            Just(Some(vec!["Egress"])),
            Just(Some(vec!["Ingress", "Egress"])),
        ],
        prop::collection::vec(rule("from"), 0..3),
        prop::collection::vec(rule("to"), 0..3),
    )
        .prop_map(|(selector, types, ingress, egress)| {
            let mut spec = json!({"podSelector": selector, "ingress": ingress, "egress": egress});
            if let Some(types) = types {
                spec["policyTypes"] = json!(types);
            }
            spec
        })
}

fn policies() -> impl Strategy<Value = Vec<NetworkPolicy>> {
    prop::collection::vec((prop::sample::select(vec!["x", "y", "z"]), spec()), 0..6).prop_map(
        |specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, (ns, spec))| policy(ns, &format!("p{i}"), spec))
                .collect()
        },
    )
}

/// An independent reading of a label selector (as JSON) against labels, for the properties.
fn selects(selector: &Value, labels: &Labels) -> bool {
    let labels_ok = selector["matchLabels"].as_object().is_none_or(|m| {
        m.iter()
            .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
    });
    let expressions_ok = selector["matchExpressions"].as_array().is_none_or(|exprs| {
        exprs.iter().all(|e| {
            let value = e["key"].as_str().and_then(|k| labels.get(k));
            let in_values = |v: &String| {
                e["values"]
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|x| x.as_str() == Some(v)))
            };
            match e["operator"].as_str() {
                Some("In") => value.is_some_and(in_values),
                Some("NotIn") => !value.is_some_and(in_values),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                _ => false,
            }
        })
    });
    labels_ok && expressions_ok
}

/// Independently: does some policy isolate this pod in `direction` ("Ingress"/"Egress")?
fn isolated_by_spec(
    policies: &[NetworkPolicy],
    world: &World,
    pod: &PodRef,
    direction: &str,
) -> bool {
    let Some(info) = world.pod(&pod.namespace, &pod.name) else {
        return false;
    };
    if info.host_network {
        return false; // default profile: hostNetwork pods are never selected
    }
    policies.iter().any(|p| {
        let json = serde_json::to_value(p).expect("serialize");
        let spec = &json["spec"];
        let types: Vec<&str> = match spec["policyTypes"].as_array() {
            Some(t) if !t.is_empty() => t.iter().filter_map(Value::as_str).collect(),
            _ => {
                let has_egress = spec["egress"].as_array().is_some_and(|e| !e.is_empty());
                if has_egress {
                    vec!["Ingress", "Egress"]
                } else {
                    vec!["Ingress"]
                }
            }
        };
        p.metadata.namespace.as_deref() == Some(info.namespace.as_str())
            && types.contains(&direction)
            && selects(&spec["podSelector"], &info.labels)
    })
}

proptest! {
    #![proptest_config(config())]

    /// Adding an allow rule to a policy that already isolates that direction never denies an allowed cell.
    #[test]
    fn adding_an_allow_rule_never_denies(
        mut policies in policies(),
        pick in any::<prop::sample::Index>(),
        egress in any::<bool>(),
        extra_ingress in rule("from"),
        extra_egress in rule("to"),
    ) {
        let world = xyz_world();
        prop_assume!(!policies.is_empty());
        let k = pick.index(policies.len());
        let (field, types_name, extra) = if egress {
            ("egress", "Egress", extra_egress)
        } else {
            ("ingress", "Ingress", extra_ingress)
        };
        // Make the direction explicitly affected, so the addition cannot change which pods are isolated.
        let mut json = serde_json::to_value(&policies[k]).expect("serialize");
        let types = json["spec"]["policyTypes"].as_array().cloned().unwrap_or_default();
        if !types.iter().any(|t| t == types_name) {
            prop_assume!(false);
        }
        let before_policies = policies.clone();
        let rules = json["spec"][field].as_array().cloned().unwrap_or_default();
        let mut rules = rules;
        rules.push(extra);
        json["spec"][field] = Value::Array(rules);
        policies[k] = serde_json::from_value(json).expect("deserialize");
        let before = Oracle::new(&world, &before_policies, Profile::default()).expect("valid");
        let after = Oracle::new(&world, &policies, Profile::default()).expect("valid");
        for t in all_traffic(&world, &ADDRESSES, &PORTS) {
            if before.allows(&t).expect("known") {
                prop_assert!(after.allows(&t).expect("known"), "{t} became denied");
            }
        }
    }

    /// An address inside an `except` is never allowed through that ipBlock peer; when it is
    /// allowed, the verdict points at another rule or policy that really covers it.
    #[test]
    fn excepted_addresses_are_allowed_only_through_another_peer(policies in policies()) {
        let world = xyz_world();
        let oracle = Oracle::new(&world, &policies, Profile::default()).expect("valid");
        for t in all_traffic(&world, &ADDRESSES, &PORTS) {
            let Target::Address(ip) = t.to else { continue };
            if world.pods.iter().any(|p| p.ip == ip && !p.host_network) {
                continue; // a pod IP is judged as that pod
            }
            let d = oracle.decide(&t).expect("known");
            if let SideVerdict::Allowed { policy, rule, peer: Some(j) } = &d.egress {
                let p = policies.iter().find(|p| {
                    format!("{}/{}", p.metadata.namespace.as_deref().unwrap_or(""), p.metadata.name.as_deref().unwrap_or("")) == policy.as_str()
                }).expect("verdict names a given policy");
                let json = serde_json::to_value(p).expect("serialize");
                let block = &json["spec"]["egress"][*rule]["to"][*j]["ipBlock"];
                if let Some(cidr) = block["cidr"].as_str() {
                    let cidr: ipnet::IpNet = cidr.parse().expect("cidr");
                    prop_assert!(cidr.contains(&ip), "{t}: verdict's block {cidr} does not contain it");
                    for except in block["except"].as_array().into_iter().flatten() {
                        let except: ipnet::IpNet = except.as_str().expect("str").parse().expect("cidr");
                        prop_assert!(!except.contains(&ip), "{t}: allowed through a block that excepts it");
                    }
                } else {
                    prop_assert!(false, "{t}: an address was allowed by a selector peer");
                }
            }
        }
    }

    /// A pod selected by no policy of a direction is unrestricted in it.
    #[test]
    fn unselected_pods_are_unrestricted(policies in policies()) {
        let world = xyz_world();
        let oracle = Oracle::new(&world, &policies, Profile::default()).expect("valid");
        for t in all_traffic(&world, &ADDRESSES, &PORTS) {
            let d = oracle.decide(&t).expect("known");
            prop_assert_eq!(
                d.egress == SideVerdict::NotIsolated,
                !isolated_by_spec(&policies, &world, t.from.pod().expect("a pod"), "Egress"),
                "egress of {}", t
            );
            if let Target::Pod(to) = &t.to {
                prop_assert_eq!(
                    d.ingress == SideVerdict::NotIsolated,
                    !isolated_by_spec(&policies, &world, to, "Ingress"),
                    "ingress of {}", t
                );
            }
        }
    }

    /// The listed switches are exactly those whose flip flips the outcome; allows() and explain() agree with decide().
    #[test]
    fn decisions_are_consistent(policies in policies(), profile_bits in 0u8..16) {
        let world = xyz_world();
        let mut profile = Profile::default();
        for (i, switch) in ProfileSwitch::ALL.into_iter().enumerate() {
            profile = profile.with(switch, profile_bits & (1 << i) != 0);
        }
        let oracle = Oracle::new(&world, &policies, profile).expect("valid");
        let flipped: Vec<(ProfileSwitch, Oracle<'_>)> = ProfileSwitch::ALL
            .into_iter()
            .map(|s| (s, Oracle::new(&world, &policies, profile.flipped(s)).expect("valid")))
            .collect();
        let mut reversed = policies.clone();
        reversed.reverse();
        let reversed = Oracle::new(&world, &reversed, profile).expect("valid");
        for t in all_traffic(&world, &ADDRESSES, &PORTS) {
            let d = oracle.decide(&t).expect("known");
            prop_assert_eq!(d.allowed, oracle.allows(&t).expect("known"));
            prop_assert_eq!(d.allowed, d.egress.permits() && d.ingress.permits() || is_self(&t, &world) && !profile.policy_applies_to_self_traffic);
            prop_assert_eq!(d.allowed, reversed.allows(&t).expect("known"), "order matters for {}", t);
            for (switch, other) in &flipped {
                let flips = other.allows(&t).expect("known") != d.allowed;
                prop_assert_eq!(flips, d.implementation_defined.contains(switch), "{} and {}", t, switch);
            }
            let text = oracle.explain(&t).expect("known");
            let first = text.lines().next().unwrap_or_default();
            prop_assert!(first.ends_with(if d.allowed { ": allowed" } else { ": denied" }), "{}", first);
        }
    }
}

#[test]
fn the_generators_produce_valid_policies_and_some_denials() {
    // Guards the properties against vacuity: a fixed strict policy set must deny some cells.
    let world = xyz_world();
    let p = vec![policy(
        "x",
        "deny",
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    )];
    let oracle = Oracle::new(&world, &p, Profile::default()).expect("valid");
    let denied = all_traffic(&world, &ADDRESSES, &PORTS)
        .iter()
        .filter(|t| !oracle.allows(t).expect("known"))
        .count();
    assert!(denied > 0);
    let _: IpAddr = ADDRESSES[0].parse().expect("ip");
}
