//! Traffic from an address that is no pod (an outside source): no egress side; on the ingress side only ipBlock peers
//! (and ClusterNetworkPolicy networks) match it, selectors never; a node address obeys `ipblock-matches-node-ips`.

mod oracle_support;

use netreach_core::oracle::{
    Oracle, PodRef, Profile, ProfileSwitch, SideVerdict, Source, Target, Traffic,
};
use netreach_core::world::Protocol::Tcp;
use oracle_support::*;
use serde_json::json;

/// From address `ip` to pod `to` (`ns/name`) on TCP 80.
fn from_ip(ip: &str, to: &str) -> Traffic {
    let (ns, name) = to.split_once('/').expect("ns/name");
    Traffic {
        from: Source::Address(ip.parse().expect("test IP")),
        to: Target::Pod(PodRef::new(ns, name)),
        port: 80,
        protocol: Tcp,
    }
}

fn ingress_from(peers: serde_json::Value) -> Vec<k8s_openapi::api::networking::v1::NetworkPolicy> {
    vec![policy(
        "x",
        "web-in",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Ingress"],
               "ingress": [{"from": peers}]}),
    )]
}

#[test]
fn an_outside_source_has_no_egress_side_even_under_a_deny_all_egress() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "deny-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    )];
    let d = decide(&w, &p, &from_ip("10.251.0.30", "x/a"));
    assert!(d.allowed);
    assert_eq!(d.egress, SideVerdict::NotApplicable);
    assert_eq!(d.ingress, SideVerdict::NotIsolated);
}

#[test]
fn an_ip_block_with_an_except_covering_the_source_denies_it() {
    let w = xyz_world();
    let p =
        ingress_from(json!([{"ipBlock": {"cidr": "10.251.0.0/16", "except": ["10.251.0.0/24"]}}]));
    let d = decide(&w, &p, &from_ip("10.251.0.30", "x/a"));
    assert!(!d.allowed);
    assert_eq!(
        d.ingress,
        SideVerdict::Denied {
            selecting_policies: vec!["x/web-in".into()]
        }
    );
    // Outside the except, inside the cidr: allowed by that peer.
    let d = decide(&w, &p, &from_ip("10.251.1.30", "x/a"));
    assert!(d.allowed);
    assert!(matches!(
        d.ingress,
        SideVerdict::Allowed {
            rule: 0,
            peer: Some(0),
            ..
        }
    ));
    let why = Oracle::new(&w, &p, Profile::default())
        .expect("valid")
        .explain(&from_ip("10.251.0.30", "x/a"))
        .expect("known");
    assert!(
        why.contains("egress: 10.251.0.30 is an outside source"),
        "{why}"
    );
    assert!(
        why.contains("10.251.0.30 is excluded (except 10.251.0.0/24)"),
        "{why}"
    );
}

#[test]
fn an_ip_block_of_the_source_address_allows_it_and_one_of_pods_only_does_not() {
    let w = xyz_world();
    let p = ingress_from(json!([{"ipBlock": {"cidr": "10.251.0.30/32"}}]));
    assert!(decide(&w, &p, &from_ip("10.251.0.30", "x/a")).allowed);
    assert!(!decide(&w, &p, &from_ip("10.251.0.31", "x/a")).allowed);
    let pods_only = ingress_from(json!([{"ipBlock": {"cidr": "10.0.0.0/16"}}]));
    assert!(!decide(&w, &pods_only, &from_ip("10.251.0.30", "x/a")).allowed);
    // The same block admits a pod of the world.
    assert!(allowed(&w, &pods_only, &to_pod("y/b", "x/a", 80, Tcp)));
}

#[test]
fn selectors_never_match_an_outside_source() {
    let w = xyz_world();
    for peers in [
        json!([{"podSelector": {}}]),
        json!([{"namespaceSelector": {}}]),
        json!([{"namespaceSelector": {}, "podSelector": {}}]),
    ] {
        let p = ingress_from(peers.clone());
        let d = decide(&w, &p, &from_ip("10.251.0.30", "x/a"));
        assert!(!d.allowed, "{peers}");
        let why = Oracle::new(&w, &p, Profile::default())
            .expect("valid")
            .explain(&from_ip("10.251.0.30", "x/a"))
            .expect("known");
        assert!(
            why.contains("10.251.0.30 is not a pod (selectors match pods only)"),
            "{why}"
        );
    }
}

#[test]
fn a_node_address_as_source_follows_ipblock_matches_node_ips() {
    let w = xyz_world();
    let p = ingress_from(json!([{"ipBlock": {"cidr": "172.18.0.0/16"}}]));
    let d = decide(&w, &p, &from_ip("172.18.0.3", "x/a"));
    assert!(d.allowed);
    assert!(d.implementation_defined.is_empty());
    // 172.18.0.2 is the node's address (a hostNetwork pod's IP is no pod IP to resolve to).
    let d = decide(&w, &p, &from_ip("172.18.0.2", "x/a"));
    assert!(d.allowed);
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::IpblockMatchesNodeIps]
    );
    let strict = Profile {
        ipblock_matches_node_ips: false,
        ..Profile::default()
    };
    assert!(!decide_with(&w, &p, strict, &from_ip("172.18.0.2", "x/a")).allowed);
}

#[test]
fn an_address_that_is_a_pod_ip_is_judged_as_that_pod() {
    let w = xyz_world();
    let p = [policy(
        "y",
        "deny-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    )];
    // 10.0.1.2 is y/b: its egress is denied.
    let d = decide(&w, &p, &from_ip("10.0.1.2", "x/a"));
    assert!(!d.allowed);
    assert!(matches!(d.egress, SideVerdict::Denied { .. }));
}
