//! One test (or a few) per NetworkPolicy semantic rule the oracle must get right, plus validation errors.

mod oracle_support;

use netreach_core::oracle::{Oracle, OracleError, Profile, ProfileSwitch, SideVerdict};
use netreach_core::world::Protocol::{Sctp, Tcp, Udp};
use oracle_support::*;
use serde_json::json;

// Rule 1: policyTypes absent -> Ingress always, Egress only with egress rules.

#[test]
fn absent_policy_types_with_only_ingress_rules_leave_egress_open() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "ing",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}),
    )];
    assert!(allowed(&w, &p, &to_pod("x/b", "x/a", 80, Tcp)));
    assert!(!allowed(&w, &p, &to_pod("x/c", "x/a", 80, Tcp)));
    let d = decide(&w, &p, &to_pod("x/a", "x/c", 80, Tcp));
    assert_eq!(d.egress, SideVerdict::NotIsolated);
    assert!(d.allowed);
}

#[test]
fn absent_policy_types_with_egress_rules_isolate_both_directions() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "eg",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "egress": [{"to": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}),
    )];
    assert!(allowed(&w, &p, &to_pod("x/a", "x/b", 80, Tcp)));
    assert!(!allowed(&w, &p, &to_pod("x/a", "x/c", 80, Tcp)));
    // Ingress is affected too, with no ingress rules: everything into x/a is denied.
    let d = decide(&w, &p, &to_pod("x/b", "x/a", 80, Tcp));
    assert!(!d.allowed);
    assert_eq!(
        d.ingress,
        SideVerdict::Denied {
            selecting_policies: vec!["x/eg".into()]
        }
    );
}

#[test]
fn explicit_policy_types_ignore_rules_of_other_directions() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "eg-only",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "nothing"}}}]}], "egress": [{}]}),
    )];
    let d = decide(&w, &p, &to_pod("y/a", "x/a", 80, Tcp));
    assert_eq!(d.ingress, SideVerdict::NotIsolated);
    assert!(d.allowed);
}

// Rule 2: empty podSelector, listed type without rules, rule {}, empty from/to and ports.

#[test]
fn empty_pod_selector_selects_every_pod_of_its_namespace_only() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "deny-all",
        json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
    )];
    for pod in ["x/a", "x/b", "x/c"] {
        assert!(!allowed(&w, &p, &to_pod("y/a", pod, 80, Tcp)), "{pod}");
    }
    assert!(allowed(&w, &p, &to_pod("x/a", "y/b", 80, Tcp)));
    assert_eq!(
        decide(&w, &p, &to_pod("x/a", "y/b", 80, Tcp)).ingress,
        SideVerdict::NotIsolated
    );
}

#[test]
fn listed_type_without_rules_denies_and_empty_rule_allows_all() {
    let w = xyz_world();
    let deny = policy(
        "x",
        "deny",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    );
    assert!(!allowed(
        &w,
        std::slice::from_ref(&deny),
        &to_ip("x/a", "8.8.8.8", 53, Udp)
    ));
    let allow = policy(
        "x",
        "allow",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}),
    );
    let d = decide(&w, &[deny, allow], &to_ip("x/a", "8.8.8.8", 53, Udp));
    assert!(d.allowed);
    assert_eq!(
        d.egress,
        SideVerdict::Allowed {
            policy: "x/allow".into(),
            rule: 0,
            peer: None
        }
    );
}

#[test]
fn empty_peer_and_port_lists_mean_any() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "any",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [], "ports": []}]}),
    )];
    assert!(allowed(&w, &p, &to_pod("z/c", "x/b", 9999, Sctp)));
}

// Rule 3: peers — AND inside a peer, OR across peers, namespace defaults.

#[test]
fn pod_and_namespace_selectors_in_one_peer_are_anded() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "and",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [
            {"namespaceSelector": {"matchLabels": {"team": "b"}}, "podSelector": {"matchLabels": {"pod": "a"}}}
        ]}]}),
    )];
    assert!(allowed(&w, &p, &to_pod("y/a", "x/c", 80, Tcp)));
    assert!(
        !allowed(&w, &p, &to_pod("y/b", "x/c", 80, Tcp)),
        "right namespace, wrong pod"
    );
    assert!(
        !allowed(&w, &p, &to_pod("z/a", "x/c", 80, Tcp)),
        "right pod, wrong namespace"
    );
}

#[test]
fn separate_peers_are_ored() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "or",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [
            {"namespaceSelector": {"matchLabels": {"team": "b"}}},
            {"podSelector": {"matchLabels": {"pod": "a"}}}
        ]}]}),
    )];
    assert!(
        allowed(&w, &p, &to_pod("y/b", "x/c", 80, Tcp)),
        "any pod of team b"
    );
    let d = decide(&w, &p, &to_pod("x/a", "x/c", 80, Tcp));
    assert_eq!(
        d.ingress,
        SideVerdict::Allowed {
            policy: "x/or".into(),
            rule: 0,
            peer: Some(1)
        }
    );
    assert!(
        !allowed(&w, &p, &to_pod("z/a", "x/c", 80, Tcp)),
        "pod a of z: no namespaceSelector means x only"
    );
}

#[test]
fn missing_namespace_selector_means_own_namespace_and_empty_means_all() {
    let w = xyz_world();
    let own = [policy(
        "x",
        "own",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}),
    )];
    assert!(allowed(&w, &own, &to_pod("x/b", "x/a", 80, Tcp)));
    assert!(!allowed(&w, &own, &to_pod("y/b", "x/a", 80, Tcp)));
    let all = [policy(
        "x",
        "all",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {}}]}]}),
    )];
    assert!(allowed(&w, &all, &to_pod("y/b", "x/a", 80, Tcp)));
    assert!(allowed(&w, &all, &to_pod("z/c", "x/a", 80, Tcp)));
    // Selectors never match outside addresses.
    let d = decide(
        &w,
        &[policy(
            "x",
            "all-eg",
            json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {}}]}]}),
        )],
        &to_ip("x/a", "8.8.8.8", 53, Udp),
    );
    assert!(!d.allowed);
}

#[test]
fn match_expressions_follow_kubernetes() {
    let w = xyz_world();
    let not_in = [policy(
        "x",
        "notin",
        json!({"podSelector": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, "policyTypes": ["Ingress"]}),
    )];
    // x/a has tier=web (not selected); x/b lacks tier: NotIn selects it.
    assert!(allowed(&w, &not_in, &to_pod("y/a", "x/a", 80, Tcp)));
    assert!(!allowed(&w, &not_in, &to_pod("y/a", "x/b", 80, Tcp)));
    let empty_value = [policy(
        "x",
        "empty",
        json!({"podSelector": {"matchLabels": {"tier": ""}}, "policyTypes": ["Ingress"]}),
    )];
    // matchLabels {tier: ""} does not select a pod without tier.
    assert!(allowed(&w, &empty_value, &to_pod("y/a", "x/b", 80, Tcp)));
    let exists = [policy(
        "x",
        "exists",
        json!({"podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, "policyTypes": ["Ingress"]}),
    )];
    assert!(!allowed(&w, &exists, &to_pod("y/a", "x/a", 80, Tcp)));
    assert!(allowed(&w, &exists, &to_pod("y/a", "x/b", 80, Tcp)));
}

// Rule 4: policies add up; both sides must allow; unselected pods are unrestricted.

#[test]
fn policies_are_additive() {
    let w = xyz_world();
    let only_b = policy(
        "x",
        "from-b",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}),
    );
    let only_c = policy(
        "x",
        "from-c",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "c"}}}]}]}),
    );
    assert!(!allowed(
        &w,
        std::slice::from_ref(&only_b),
        &to_pod("x/c", "x/a", 80, Tcp)
    ));
    let both = [only_b, only_c];
    assert!(allowed(&w, &both, &to_pod("x/c", "x/a", 80, Tcp)));
    assert!(allowed(&w, &both, &to_pod("x/b", "x/a", 80, Tcp)));
    let d = decide(&w, &both, &to_pod("y/a", "x/a", 80, Tcp));
    assert_eq!(
        d.ingress,
        SideVerdict::Denied {
            selecting_policies: vec!["x/from-b".into(), "x/from-c".into()]
        }
    );
}

#[test]
fn egress_and_ingress_must_both_allow() {
    let w = xyz_world();
    let egress_ok = policy(
        "y",
        "eg",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}),
    );
    let ingress_deny = policy(
        "x",
        "in",
        json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
    );
    let d = decide(
        &w,
        &[egress_ok.clone(), ingress_deny],
        &to_pod("y/a", "x/a", 80, Tcp),
    );
    assert!(d.egress.permits());
    assert!(!d.ingress.permits());
    assert!(!d.allowed);
    let egress_deny = policy(
        "y",
        "eg-deny",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    );
    let ingress_ok = policy(
        "x",
        "in-ok",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}),
    );
    let d = decide(
        &w,
        &[egress_deny, ingress_ok],
        &to_pod("y/a", "x/a", 80, Tcp),
    );
    assert!(!d.egress.permits() && d.ingress.permits() && !d.allowed);
}

#[test]
fn unselected_pods_are_unrestricted_and_outside_has_no_ingress_side() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "deny",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Ingress", "Egress"]}),
    )];
    let d = decide(&w, &p, &to_pod("x/b", "x/c", 80, Tcp));
    assert_eq!(
        (d.egress.clone(), d.ingress.clone()),
        (SideVerdict::NotIsolated, SideVerdict::NotIsolated)
    );
    assert!(d.allowed);
    let d = decide(&w, &p, &to_ip("x/b", "8.8.8.8", 443, Tcp));
    assert_eq!(d.ingress, SideVerdict::NotApplicable);
    assert!(d.allowed);
    assert!(!allowed(&w, &p, &to_ip("x/a", "8.8.8.8", 443, Tcp)));
}

// Rule 5: ports.

#[test]
fn ports_default_to_tcp_and_keep_protocols_apart() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "p",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 53}]}]}),
    )];
    assert!(allowed(&w, &p, &to_pod("y/a", "x/a", 53, Tcp)));
    assert!(!allowed(&w, &p, &to_pod("y/a", "x/a", 53, Udp)));
    assert!(!allowed(&w, &p, &to_pod("y/a", "x/a", 53, Sctp)));
    assert!(!allowed(&w, &p, &to_pod("y/a", "x/a", 54, Tcp)));
    let udp = [policy(
        "x",
        "u",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"protocol": "UDP"}]}]}),
    )];
    assert!(allowed(&w, &udp, &to_pod("y/a", "x/a", 1234, Udp)));
    assert!(!allowed(&w, &udp, &to_pod("y/a", "x/a", 1234, Tcp)));
}

#[test]
fn named_ports_resolve_on_the_destination_by_name_and_protocol() {
    let w = xyz_world();
    // Egress rule naming "http": resolved on the destination pod (http = 80/TCP there).
    let p = [policy(
        "x",
        "named",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": "http"}, {"port": "dns", "protocol": "UDP"}]}]}),
    )];
    assert!(allowed(&w, &p, &to_pod("x/a", "y/a", 80, Tcp)));
    assert!(!allowed(&w, &p, &to_pod("x/a", "y/a", 8080, Tcp)));
    assert!(allowed(&w, &p, &to_pod("x/a", "y/a", 53, Udp)));
    assert!(
        !allowed(&w, &p, &to_pod("x/a", "y/a", 53, Tcp)),
        "dns is a UDP port"
    );
    // A named port never matches an outside address.
    assert!(!allowed(&w, &p, &to_ip("x/a", "8.8.8.8", 80, Tcp)));
}

#[test]
fn end_port_is_inclusive() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "range",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 8000, "endPort": 8080}]}]}),
    )];
    for (port, expected) in [(7999, false), (8000, true), (8080, true), (8081, false)] {
        assert_eq!(
            allowed(&w, &p, &to_pod("y/a", "x/a", port, Tcp)),
            expected,
            "{port}"
        );
    }
}

// Rule 6: ipBlock and except.

#[test]
fn except_carves_out_and_is_not_a_deny() {
    let w = xyz_world();
    let carve = policy(
        "x",
        "carve",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}}]}]}),
    );
    assert!(allowed(
        &w,
        std::slice::from_ref(&carve),
        &to_ip("x/a", "192.168.2.9", 80, Tcp)
    ));
    assert!(!allowed(
        &w,
        std::slice::from_ref(&carve),
        &to_ip("x/a", "192.168.1.9", 80, Tcp)
    ));
    assert!(!allowed(
        &w,
        std::slice::from_ref(&carve),
        &to_ip("x/a", "10.1.1.1", 80, Tcp)
    ));
    let other = policy(
        "x",
        "other",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "192.168.1.9/32"}}]}]}),
    );
    let both = [carve, other];
    let d = decide(&w, &both, &to_ip("x/a", "192.168.1.9", 80, Tcp));
    assert!(d.allowed);
    assert_eq!(
        d.egress,
        SideVerdict::Allowed {
            policy: "x/other".into(),
            rule: 0,
            peer: Some(0)
        }
    );
    assert!(!allowed(&w, &both, &to_ip("x/b", "192.168.1.9", 80, Tcp)));
}

#[test]
fn ip_family_mismatch_simply_does_not_match() {
    let w = xyz_world();
    let v4_all = [policy(
        "x",
        "v4",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
    )];
    assert!(allowed(&w, &v4_all, &to_ip("x/a", "1.1.1.1", 443, Tcp)));
    assert!(!allowed(
        &w,
        &v4_all,
        &to_ip("x/a", "fd00:ec2::254", 80, Tcp)
    ));
    let v6 = [policy(
        "x",
        "v6",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "::/0", "except": ["fd00:ec2::254/128"]}}]}]}),
    )];
    assert!(allowed(&w, &v6, &to_ip("x/a", "2001:db8::1", 443, Tcp)));
    assert!(!allowed(&w, &v6, &to_ip("x/a", "fd00:ec2::254", 80, Tcp)));
    assert!(!allowed(&w, &v6, &to_ip("x/a", "1.1.1.1", 443, Tcp)));
}

// Rule 7: implementation-defined switches.

#[test]
fn ipblock_on_pod_ips_follows_the_profile_and_is_flagged() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "cidr",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.1.0/24"}}]}]}),
    )];
    let t = to_pod("y/a", "x/a", 80, Tcp);
    let d = decide(&w, &p, &t);
    assert!(d.allowed);
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::IpblockMatchesPodIps]
    );
    let cilium = Profile {
        ipblock_matches_pod_ips: false,
        ..Profile::default()
    };
    let d = decide_with(&w, &p, cilium, &t);
    assert!(!d.allowed);
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::IpblockMatchesPodIps]
    );
    // A pod outside the block is denied either way: not implementation-defined.
    let d = decide(&w, &p, &to_pod("z/a", "x/a", 80, Tcp));
    assert!(!d.allowed && d.implementation_defined.is_empty());
}

#[test]
fn host_network_pods_are_not_isolated_and_match_only_node_ipblocks() {
    let w = xyz_world();
    let deny_z = policy(
        "z",
        "deny",
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    );
    // z/host is hostNetwork: not selected by default.
    let d = decide(
        &w,
        std::slice::from_ref(&deny_z),
        &to_pod("z/host", "y/a", 80, Tcp),
    );
    assert_eq!(d.egress, SideVerdict::NotIsolated);
    assert!(d.allowed);
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::HostNetworkPodsSelected]
    );
    let selected = Profile {
        host_network_pods_selected: true,
        ..Profile::default()
    };
    assert!(!decide_with(&w, &[deny_z], selected, &to_pod("z/host", "y/a", 80, Tcp)).allowed);
    // As a peer: a podSelector does not match it, an ipBlock on the node IP does.
    let from_pods = policy(
        "x",
        "pods",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {}}]}]}),
    );
    let d = decide(
        &w,
        std::slice::from_ref(&from_pods),
        &to_pod("z/host", "x/a", 80, Tcp),
    );
    assert!(!d.allowed);
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::HostNetworkPodsSelected]
    );
    let from_node = policy(
        "x",
        "node",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": "172.18.0.0/16"}}]}]}),
    );
    let d = decide(
        &w,
        std::slice::from_ref(&from_node),
        &to_pod("z/host", "x/a", 80, Tcp),
    );
    assert!(d.allowed);
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::IpblockMatchesNodeIps]
    );
    let no_nodes = Profile {
        ipblock_matches_node_ips: false,
        ..Profile::default()
    };
    assert!(
        !decide_with(
            &w,
            std::slice::from_ref(&from_node),
            no_nodes,
            &to_pod("z/host", "x/a", 80, Tcp)
        )
        .allowed
    );
    // Egress to the node address is a node IP too.
    let to_node = policy(
        "x",
        "to-node",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "172.18.0.2/32"}}]}]}),
    );
    let d = decide(&w, &[to_node], &to_ip("x/a", "172.18.0.2", 10250, Tcp));
    assert!(d.allowed);
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::IpblockMatchesNodeIps]
    );
}

#[test]
fn traffic_to_itself_follows_the_profile() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "deny",
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    )];
    let t = to_pod("x/a", "x/a", 80, Tcp);
    let d = decide(&w, &p, &t);
    assert!(d.allowed, "self traffic is exempt by default");
    assert!(
        !d.egress.permits() && !d.ingress.permits(),
        "sides still say what policy would do"
    );
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::PolicyAppliesToSelfTraffic]
    );
    let strict = Profile {
        policy_applies_to_self_traffic: true,
        ..Profile::default()
    };
    assert!(!decide_with(&w, &p, strict, &t).allowed);
    // Without any policy, self traffic is allowed whatever the switch: not implementation-defined.
    assert!(decide(&w, &[], &t).implementation_defined.is_empty());
}

#[test]
fn an_address_that_is_a_pod_ip_is_judged_as_that_pod() {
    let w = xyz_world();
    let p = [policy(
        "x",
        "deny",
        json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
    )];
    let d = decide(&w, &p, &to_ip("y/a", "10.0.0.2", 80, Tcp));
    assert!(!d.allowed);
    assert_eq!(
        d.ingress,
        SideVerdict::Denied {
            selecting_policies: vec!["x/deny".into()]
        }
    );
}

// Validation.

fn error_for(spec: serde_json::Value) -> OracleError {
    let w = xyz_world();
    Oracle::new(&w, &[policy("x", "bad", spec)], Profile::default()).expect_err("invalid policy")
}

fn field_of(error: OracleError) -> String {
    match error {
        OracleError::InvalidPolicy { policy, field, .. } => {
            assert_eq!(policy, "x/bad");
            field
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn invalid_policies_are_rejected_naming_the_field() {
    let cases = [
        (
            json!({"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.300/8"}}]}]}),
            "spec.egress[0].to[0].ipBlock.cidr",
        ),
        (
            json!({"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}]}]}),
            "spec.egress[0].to[0].ipBlock.except[0]",
        ),
        (
            json!({"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}}]}]}),
            "spec.egress[0].to[0].ipBlock.except[0]",
        ),
        (
            json!({"podSelector": {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]}}),
            "spec.podSelector.matchExpressions[0].operator",
        ),
        (
            json!({"podSelector": {}, "ingress": [{"ports": [{"port": "http", "endPort": 90}]}]}),
            "spec.ingress[0].ports[0].endPort",
        ),
        (
            json!({"podSelector": {}, "ingress": [{"ports": [{"endPort": 90}]}]}),
            "spec.ingress[0].ports[0].endPort",
        ),
        (
            json!({"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP"}]}]}),
            "spec.ingress[0].ports[0].protocol",
        ),
        (
            json!({"podSelector": {}, "policyTypes": ["ingress"]}),
            "spec.policyTypes[0]",
        ),
        (
            json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}),
            "spec.ingress[0].from[0]",
        ),
        (
            json!({"podSelector": {}, "ingress": [{"from": [{}]}]}),
            "spec.ingress[0].from[0]",
        ),
    ];
    for (spec, field) in cases {
        assert_eq!(field_of(error_for(spec.clone())), field, "{spec}");
    }
}

#[test]
fn missing_namespace_duplicates_and_unknown_pods_are_errors() {
    let w = xyz_world();
    let mut no_ns = policy("x", "p", json!({"podSelector": {}}));
    no_ns.metadata.namespace = None;
    match Oracle::new(&w, &[no_ns], Profile::default()) {
        Err(OracleError::InvalidPolicy { field, .. }) => assert_eq!(field, "metadata.namespace"),
        other => panic!("expected a namespace error, got {other:?}"),
    }
    let p = policy("x", "p", json!({"podSelector": {}}));
    assert!(matches!(
        Oracle::new(&w, &[p.clone(), p.clone()], Profile::default()),
        Err(OracleError::DuplicatePolicy { .. })
    ));
    let oracle = Oracle::new(&w, &[p], Profile::default()).expect("valid");
    assert!(matches!(
        oracle.decide(&to_pod("x/a", "q/zz", 80, Tcp)),
        Err(OracleError::UnknownPod { .. })
    ));
    // A policy in a namespace with no pods is fine.
    assert!(
        Oracle::new(
            &w,
            &[policy("empty", "p", json!({"podSelector": {}}))],
            Profile::default()
        )
        .is_ok()
    );
}

#[test]
fn profile_reads_kebab_case_with_defaults() {
    let profile: Profile =
        serde_json::from_value(json!({"ipblock-matches-pod-ips": false})).expect("profile");
    assert_eq!(
        profile,
        Profile {
            ipblock_matches_pod_ips: false,
            ..Profile::default()
        }
    );
    assert!(serde_json::from_value::<Profile>(json!({"ipblock_matches_pod_ips": false})).is_err());
    let d = Profile::default();
    assert!(d.ipblock_matches_pod_ips && d.ipblock_matches_node_ips);
    assert!(!d.policy_applies_to_self_traffic && !d.host_network_pods_selected);
}

#[test]
fn a_namespace_missing_from_the_world_still_has_its_name_label() {
    let mut w = xyz_world();
    w.pods
        .push(pod("q", "lone", &[("pod", "lone")], "10.0.9.1"));
    let p = [policy(
        "x",
        "from-q",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "q"}}}
        ]}]}),
    )];
    assert!(allowed(&w, &p, &to_pod("q/lone", "x/a", 80, Tcp)));
    assert!(!allowed(&w, &p, &to_pod("y/a", "x/a", 80, Tcp)));
}

/// Issue 12: on a dual-stack cluster a pod is seen at its address of the traffic's family (both ends): an IPv4
/// ipBlock does not open IPv6, an IPv6 one does not open IPv4, a selector opens both.
#[test]
fn a_dual_stack_pod_is_judged_at_its_address_of_the_traffics_family() {
    let mut w = xyz_world();
    for (i, pod) in w.pods.iter_mut().enumerate() {
        pod.secondary_ip = Some(format!("fd00:10:244::{}", i + 1).parse().unwrap());
    }
    let v6_of = |w: &netreach_core::world::World, name: &str| {
        let (ns, pod) = name.split_once('/').unwrap();
        w.pod(ns, pod).unwrap().secondary_ip.unwrap().to_string()
    };
    let (b4, b6) = (
        to_pod("x/a", "x/b", 80, Tcp),
        to_ip("x/a", &v6_of(&w, "x/b"), 80, Tcp),
    );
    let ingress = |peer: serde_json::Value| {
        [policy(
            "x",
            "b-ingress",
            json!({"podSelector": {"matchLabels": {"pod": "b"}}, "policyTypes": ["Ingress"], "ingress": [{"from": [peer]}]}),
        )]
    };
    let v4_any = ingress(json!({"ipBlock": {"cidr": "0.0.0.0/0"}}));
    assert!(allowed(&w, &v4_any, &b4));
    assert!(
        !allowed(&w, &v4_any, &b6),
        "an IPv4 ipBlock must not open IPv6"
    );
    let explanation = Oracle::new(&w, &v4_any, Profile::default())
        .unwrap()
        .explain(&b6)
        .unwrap();
    assert!(
        explanation.contains("fd00:10:244::1 is outside the cidr"),
        "{explanation}"
    );
    let v6_range = ingress(json!({"ipBlock": {"cidr": "fd00:10:244::/64"}}));
    assert!(
        !allowed(&w, &v6_range, &b4),
        "an IPv6 ipBlock must not open IPv4"
    );
    assert!(allowed(&w, &v6_range, &b6));
    let by_selector = ingress(json!({"podSelector": {"matchLabels": {"pod": "a"}}}));
    assert!(allowed(&w, &by_selector, &b4) && allowed(&w, &by_selector, &b6));
    // Egress: an IPv4-only allow isolates the pod for egress and leaves IPv6 denied.
    let egress = [policy(
        "x",
        "a-egress",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
    )];
    assert!(allowed(&w, &egress, &b4));
    assert!(!allowed(&w, &egress, &b6));
}
