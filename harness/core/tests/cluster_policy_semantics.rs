//! ClusterNetworkPolicy in the oracle, one semantic rule per test: tiers, priorities, actions, peers, ports,
//! hairpin, hostNetwork pods, and the API's validation.

mod oracle_support;

use netreach_core::cluster_policy::ClusterNetworkPolicy;
use netreach_core::oracle::{
    Action, Oracle, OracleError, Profile, ProfileSwitch, SideVerdict, Tier,
};
use netreach_core::world::Protocol::{Tcp, Udp};
use oracle_support::*;
use serde_json::{Value, json};

fn all() -> Value {
    json!({"namespaces": {}})
}

fn ns(team: &str) -> Value {
    json!({"namespaces": {"matchLabels": {"team": team}}})
}

fn pods(pod: &str) -> Value {
    json!({"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"pod": pod}}}})
}

fn rule(action: &str, peers_key: &str, peers: Value) -> Value {
    json!([{ "action": action, peers_key: peers }])
}

fn egress(
    name: &str,
    tier: &str,
    priority: i32,
    subject: Value,
    action: &str,
    to: Value,
) -> ClusterNetworkPolicy {
    cnp(
        name,
        tier,
        priority,
        subject,
        json!([]),
        rule(action, "to", to),
    )
}

fn ingress(
    name: &str,
    tier: &str,
    priority: i32,
    subject: Value,
    action: &str,
    from: Value,
) -> ClusterNetworkPolicy {
    cnp(
        name,
        tier,
        priority,
        subject,
        rule(action, "from", from),
        json!([]),
    )
}

fn np_allow_all_egress(namespace: &str) -> k8s_openapi::api::networking::v1::NetworkPolicy {
    policy(
        namespace,
        "allow-all-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}),
    )
}

fn np_deny_all_egress(namespace: &str) -> k8s_openapi::api::networking::v1::NetworkPolicy {
    policy(
        namespace,
        "deny-all-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    )
}

fn invalid(c: ClusterNetworkPolicy) -> (String, String) {
    let world = xyz_world();
    match Oracle::layered(&world, &[], &[c], Profile::default()) {
        Err(OracleError::InvalidPolicy { field, problem, .. }) => (field, problem),
        other => panic!("expected an invalid policy, got {other:?}"),
    }
}

#[test]
fn admin_deny_is_final_over_a_networkpolicy_allow() {
    let world = xyz_world();
    let deny = egress(
        "deny-y",
        "Admin",
        10,
        ns("a"),
        "Deny",
        json!([{"namespaces": {"matchLabels": {"team": "b"}}}]),
    );
    let d = decide_layered(
        &world,
        &[np_allow_all_egress("x")],
        &[deny],
        &to_pod("x/a", "y/b", 80, Tcp),
    );
    assert!(!d.allowed);
    assert_eq!(
        d.egress,
        SideVerdict::Cluster {
            tier: Tier::Admin,
            policy: "deny-y".into(),
            priority: 10,
            rule: 0,
            peer: 0,
            action: Action::Deny
        }
    );
    // Other destinations are left to the NetworkPolicy.
    assert!(
        decide_layered(
            &world,
            &[np_allow_all_egress("x")],
            &[],
            &to_pod("x/a", "z/b", 80, Tcp)
        )
        .allowed
    );
}

#[test]
fn admin_accept_is_final_for_its_side_but_the_other_side_still_decides() {
    let world = xyz_world();
    let accept = egress(
        "accept-y",
        "Admin",
        10,
        ns("a"),
        "Accept",
        json!([{"namespaces": {}}]),
    );
    let d = decide_layered(
        &world,
        &[np_deny_all_egress("x")],
        std::slice::from_ref(&accept),
        &to_pod("x/a", "y/b", 80, Tcp),
    );
    assert!(
        d.allowed,
        "the Admin Accept beats the NetworkPolicy's egress deny"
    );
    let ingress_deny = policy(
        "y",
        "deny-ingress",
        json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
    );
    let d = decide_layered(
        &world,
        &[ingress_deny],
        &[accept],
        &to_pod("x/a", "y/b", 80, Tcp),
    );
    assert!(!d.allowed, "the destination's ingress still applies");
    assert!(d.egress.permits());
    assert!(matches!(d.ingress, SideVerdict::Denied { .. }));
}

#[test]
fn pass_hands_the_side_to_networkpolicy_and_skips_the_rest_of_the_tier() {
    let world = xyz_world();
    let pass = egress(
        "pass",
        "Admin",
        5,
        ns("a"),
        "Pass",
        json!([{"namespaces": {}}]),
    );
    let deny = egress(
        "deny",
        "Admin",
        10,
        ns("a"),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    let t = to_pod("x/a", "y/b", 80, Tcp);
    let cluster = [pass, deny];
    assert!(
        decide_layered(&world, &[], &cluster, &t).allowed,
        "nothing below: default allow"
    );
    let d = decide_layered(&world, &[np_deny_all_egress("x")], &cluster, &t);
    assert!(!d.allowed);
    assert!(
        matches!(d.egress, SideVerdict::Denied { .. }),
        "the NetworkPolicy decided: {:?}",
        d.egress
    );
}

#[test]
fn baseline_applies_only_where_no_networkpolicy_selects_the_side() {
    let world = xyz_world();
    let baseline = egress(
        "baseline-deny",
        "Baseline",
        0,
        all(),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    let t = to_pod("x/a", "y/b", 80, Tcp);
    let d = decide_layered(&world, &[], std::slice::from_ref(&baseline), &t);
    assert!(!d.allowed);
    assert!(matches!(
        d.egress,
        SideVerdict::Cluster {
            tier: Tier::Baseline,
            ..
        }
    ));
    let d = decide_layered(&world, &[np_allow_all_egress("x")], &[baseline], &t);
    assert!(
        d.allowed,
        "a NetworkPolicy selecting x/a overrides the Baseline tier"
    );
}

#[test]
fn pass_into_baseline() {
    let world = xyz_world();
    let pass = egress(
        "pass",
        "Admin",
        5,
        ns("a"),
        "Pass",
        json!([{"namespaces": {}}]),
    );
    let baseline = egress(
        "baseline-deny",
        "Baseline",
        0,
        all(),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    let d = decide_layered(
        &world,
        &[],
        &[pass, baseline],
        &to_pod("x/a", "y/b", 80, Tcp),
    );
    assert!(!d.allowed);
    assert!(matches!(
        d.egress,
        SideVerdict::Cluster {
            tier: Tier::Baseline,
            action: Action::Deny,
            ..
        }
    ));
}

#[test]
fn a_baseline_pass_falls_to_the_default_allow() {
    let world = xyz_world();
    let pass = egress(
        "b-pass",
        "Baseline",
        0,
        all(),
        "Pass",
        json!([{"namespaces": {}}]),
    );
    let deny = egress(
        "b-deny",
        "Baseline",
        1,
        all(),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    let d = decide_layered(&world, &[], &[pass, deny], &to_pod("x/a", "y/b", 80, Tcp));
    assert!(d.allowed);
    assert_eq!(d.egress, SideVerdict::NotIsolated);
}

#[test]
fn lower_priority_numbers_first_then_rules_in_order() {
    let world = xyz_world();
    let t = to_pod("x/a", "y/b", 80, Tcp);
    let accept20 = egress(
        "accept",
        "Admin",
        20,
        ns("a"),
        "Accept",
        json!([{"namespaces": {}}]),
    );
    let deny10 = egress(
        "deny",
        "Admin",
        10,
        ns("a"),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    assert!(!decide_layered(&world, &[], &[accept20.clone(), deny10], &t).allowed);
    let deny30 = egress(
        "deny",
        "Admin",
        30,
        ns("a"),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    assert!(decide_layered(&world, &[], &[accept20, deny30], &t).allowed);
    let ordered = cnp(
        "ordered",
        "Admin",
        1,
        ns("a"),
        json!([]),
        json!([
            {"action": "Deny", "to": [{"namespaces": {"matchLabels": {"team": "b"}}}]},
            {"action": "Accept", "to": [{"namespaces": {}}]},
        ]),
    );
    let d = decide_layered(&world, &[], &[ordered], &t);
    assert!(matches!(
        d.egress,
        SideVerdict::Cluster {
            rule: 0,
            action: Action::Deny,
            ..
        }
    ));
}

#[test]
fn equal_priorities_that_disagree_are_implementation_defined() {
    let world = xyz_world();
    let t = to_pod("x/a", "y/b", 80, Tcp);
    let a = egress(
        "a-accept",
        "Admin",
        10,
        ns("a"),
        "Accept",
        json!([{"namespaces": {}}]),
    );
    let b = egress(
        "b-deny",
        "Admin",
        10,
        ns("a"),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    let d = decide_layered(&world, &[], &[b.clone(), a.clone()], &t);
    assert!(d.allowed, "first by name: a-accept");
    assert_eq!(
        d.implementation_defined,
        vec![ProfileSwitch::EqualPriorityFirstByName]
    );
    let last = Profile::default().with(ProfileSwitch::EqualPriorityFirstByName, false);
    let oracle = Oracle::layered(&world, &[], &[a.clone(), b], last).expect("valid");
    assert!(!oracle.decide(&t).expect("known").allowed);
    // Agreeing ties are not flagged.
    let c = egress(
        "c-accept",
        "Admin",
        10,
        ns("a"),
        "Accept",
        json!([{"namespaces": {}}]),
    );
    let d = decide_layered(&world, &[], &[a, c], &t);
    assert!(d.allowed && d.implementation_defined.is_empty());
}

#[test]
fn a_pod_to_its_own_ip_is_not_subject_to_cluster_network_policy() {
    let world = xyz_world();
    let deny = egress(
        "deny-all",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"networks": ["0.0.0.0/0"]}]),
    );
    let deny_in = ingress(
        "deny-all-in",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    let own_ip = to_ip("x/a", "10.0.0.1", 80, Tcp);
    // With NetworkPolicy applying to self-traffic too, only the hairpin rule can let it through.
    let strict = Profile::default().with(ProfileSwitch::PolicyAppliesToSelfTraffic, true);
    let oracle =
        Oracle::layered(&world, &[], &[deny.clone(), deny_in.clone()], strict).expect("valid");
    let d = oracle.decide(&own_ip).expect("known");
    assert!(d.allowed, "hairpin: {d:?}");
    assert_eq!(
        (d.egress.clone(), d.ingress.clone()),
        (SideVerdict::NotIsolated, SideVerdict::NotIsolated)
    );
    // A NetworkPolicy still applies to it (under that profile).
    let np = np_deny_all_egress("x");
    let oracle = Oracle::layered(
        &world,
        std::slice::from_ref(&np),
        std::slice::from_ref(&deny),
        strict,
    )
    .expect("valid");
    assert!(!oracle.decide(&own_ip).expect("known").allowed);
    assert!(
        !decide_layered(
            &world,
            &[],
            &[deny, deny_in],
            &to_pod("x/a", "x/b", 80, Tcp)
        )
        .allowed
    );
}

#[test]
fn host_network_pods_are_neither_subjects_nor_pod_peers_but_networks_and_nodes_match_them() {
    let world = xyz_world();
    let to_host = to_pod("x/a", "z/host", 80, Tcp);
    let deny_pods = egress(
        "deny-pods",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    assert!(decide_layered(&world, &[], &[deny_pods], &to_host).allowed);
    let deny_net = egress(
        "deny-net",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"networks": ["172.18.0.2/32"]}]),
    );
    assert!(!decide_layered(&world, &[], &[deny_net], &to_host).allowed);
    let deny_nodes = egress(
        "deny-nodes",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"nodes": {"matchLabels": {"kubernetes.io/hostname": "node-1"}}}]),
    );
    assert!(!decide_layered(&world, &[], std::slice::from_ref(&deny_nodes), &to_host).allowed);
    assert!(
        !decide_layered(
            &world,
            &[],
            std::slice::from_ref(&deny_nodes),
            &to_ip("x/a", "172.18.0.2", 80, Tcp)
        )
        .allowed
    );
    let other_nodes = egress(
        "deny-other",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"nodes": {"matchLabels": {"kubernetes.io/hostname": "node-2"}}}]),
    );
    assert!(decide_layered(&world, &[], &[other_nodes], &to_host).allowed);
    let from_host = to_pod("z/host", "x/a", 80, Tcp);
    let deny_everything = egress(
        "deny-everything",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"networks": ["0.0.0.0/0"]}]),
    );
    assert!(
        decide_layered(&world, &[], &[deny_everything], &from_host).allowed,
        "a hostNetwork pod is never a subject"
    );
}

#[test]
fn networks_match_pod_ips_and_outside_addresses_alike() {
    let world = xyz_world();
    let deny = egress(
        "deny-10",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"networks": ["10.0.1.0/24"]}]),
    );
    assert!(
        !decide_layered(
            &world,
            &[],
            std::slice::from_ref(&deny),
            &to_pod("x/a", "y/b", 80, Tcp)
        )
        .allowed
    );
    assert!(
        decide_layered(
            &world,
            &[],
            std::slice::from_ref(&deny),
            &to_pod("x/a", "z/b", 80, Tcp)
        )
        .allowed
    );
    let outside = egress(
        "deny-out",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"networks": ["8.8.8.0/24", "fd00::/8"]}]),
    );
    assert!(
        !decide_layered(
            &world,
            &[],
            std::slice::from_ref(&outside),
            &to_ip("x/a", "8.8.8.8", 53, Udp)
        )
        .allowed
    );
    assert!(
        !decide_layered(
            &world,
            &[],
            std::slice::from_ref(&outside),
            &to_ip("x/a", "fd00::1", 80, Tcp)
        )
        .allowed
    );
    assert!(decide_layered(&world, &[], &[outside], &to_ip("x/a", "9.9.9.9", 80, Tcp)).allowed);
}

#[test]
fn networks_match_node_addresses_as_the_profile_says() {
    let world = xyz_world();
    let deny_net = egress(
        "deny-net",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"networks": ["172.18.0.0/24"]}]),
    );
    let to_host_pod = to_pod("x/a", "z/host", 80, Tcp);
    let to_node = to_ip("x/a", "172.18.0.2", 80, Tcp);
    let no_nodes = Profile::default().with(ProfileSwitch::NetworksMatchNodeIps, false);
    for t in [&to_host_pod, &to_node] {
        let d = decide_layered(&world, &[], std::slice::from_ref(&deny_net), t);
        assert!(!d.allowed, "default: networks match node addresses: {d:?}");
        assert_eq!(
            d.implementation_defined,
            vec![ProfileSwitch::NetworksMatchNodeIps]
        );
        let oracle =
            Oracle::layered(&world, &[], std::slice::from_ref(&deny_net), no_nodes).expect("valid");
        let d = oracle.decide(t).expect("known");
        assert!(d.allowed, "networks-match-node-ips false: {d:?}");
        assert_eq!(
            d.implementation_defined,
            vec![ProfileSwitch::NetworksMatchNodeIps]
        );
    }
    // A pod IP and an outside address inside the networks are matched whatever the switch says, and not flagged.
    let deny_pods_and_outside = egress(
        "deny-pods-outside",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"networks": ["10.0.1.0/24", "8.8.8.0/24"]}]),
    );
    let oracle = Oracle::layered(&world, &[], &[deny_pods_and_outside], no_nodes).expect("valid");
    for t in [
        to_pod("x/a", "y/b", 80, Tcp),
        to_ip("x/a", "8.8.8.8", 80, Tcp),
    ] {
        let d = oracle.decide(&t).expect("known");
        assert!(!d.allowed && d.implementation_defined.is_empty(), "{d:?}");
    }
    // A `nodes` peer is the API's way to name nodes: the switch does not touch it.
    let deny_nodes = egress(
        "deny-nodes",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"nodes": {}}]),
    );
    let oracle = Oracle::layered(&world, &[], &[deny_nodes], no_nodes).expect("valid");
    let d = oracle.decide(&to_node).expect("known");
    assert!(!d.allowed && d.implementation_defined.is_empty(), "{d:?}");
}

#[test]
fn protocols_numbers_ranges_and_named_ports() {
    let world = xyz_world();
    let with = |protocols: Value| {
        cnp(
            "p",
            "Admin",
            0,
            ns("a"),
            json!([]),
            json!([{ "action": "Deny", "to": [{"namespaces": {}}], "protocols": protocols }]),
        )
    };
    let denies = |c: &ClusterNetworkPolicy, port: u16, protocol| {
        !decide_layered(
            &world,
            &[],
            std::slice::from_ref(c),
            &to_pod("x/a", "y/b", port, protocol),
        )
        .allowed
    };
    let tcp80 = with(json!([{"tcp": {"destinationPort": {"number": 80}}}]));
    assert!(denies(&tcp80, 80, Tcp) && !denies(&tcp80, 81, Tcp) && !denies(&tcp80, 80, Udp));
    let range = with(json!([{"udp": {"destinationPort": {"range": {"start": 50, "end": 60}}}}]));
    assert!(denies(&range, 53, Udp) && !denies(&range, 53, Tcp) && !denies(&range, 61, Udp));
    let named = with(json!([{"destinationNamedPort": "dns"}]));
    assert!(denies(&named, 53, Udp) && !denies(&named, 53, Tcp) && !denies(&named, 80, Tcp));
    // A named port never resolves on an address outside the pods.
    let named_http = with(json!([{"destinationNamedPort": "http"}]));
    assert!(denies(&named_http, 80, Tcp));
    let out = decide_layered(
        &world,
        &[],
        &[named_http],
        &to_ip("x/a", "8.8.8.8", 80, Tcp),
    );
    assert!(out.allowed);
}

#[test]
fn a_policy_without_rules_of_a_direction_does_not_touch_it() {
    let world = xyz_world();
    let ingress_only = ingress(
        "in",
        "Admin",
        0,
        all(),
        "Deny",
        json!([{"namespaces": {"matchLabels": {"team": "b"}}}]),
    );
    // x/a -> y/b: egress of x/a untouched; ingress of y/b from x (team a) not matched.
    assert!(
        decide_layered(
            &world,
            &[],
            std::slice::from_ref(&ingress_only),
            &to_pod("x/a", "y/b", 80, Tcp)
        )
        .allowed
    );
    assert!(!decide_layered(&world, &[], &[ingress_only], &to_pod("y/a", "x/b", 80, Tcp)).allowed);
}

#[test]
fn domain_names_are_out_of_scope_and_never_match() {
    let world = xyz_world();
    let accept = egress(
        "names",
        "Admin",
        0,
        ns("a"),
        "Accept",
        json!([{"domainNames": ["*.example.com"]}]),
    );
    let d = decide_layered(
        &world,
        &[np_deny_all_egress("x")],
        &[accept],
        &to_ip("x/a", "8.8.8.8", 443, Tcp),
    );
    assert!(!d.allowed, "the NetworkPolicy decides");
}

#[test]
fn the_api_validation_names_the_field() {
    let base = || egress("p", "Admin", 10, all(), "Deny", json!([{"namespaces": {}}]));
    let mut c = base();
    c.spec.priority = Some(1001);
    assert_eq!(invalid(c).0, "spec.priority");
    let mut c = base();
    c.spec.priority = None;
    assert_eq!(invalid(c).0, "spec.priority");
    let mut c = base();
    c.spec.tier = "admin".into();
    assert_eq!(invalid(c).0, "spec.tier");
    let mut c = base();
    c.spec.egress[0].action = "Allow".into();
    let (field, problem) = invalid(c);
    assert_eq!(field, "spec.egress[0].action");
    assert!(problem.contains("Accept"), "{problem}");
    let mut c = base();
    c.spec.egress = vec![c.spec.egress[0].clone(); 26];
    assert_eq!(invalid(c).0, "spec.egress");
    let mut c = base();
    c.spec.egress[0].to = vec![c.spec.egress[0].to[0].clone(); 26];
    assert_eq!(invalid(c).0, "spec.egress[0].to");
    let mut c = base();
    c.spec.egress[0].to.clear();
    assert_eq!(invalid(c).0, "spec.egress[0].to");
    let c = egress(
        "p",
        "Admin",
        1,
        all(),
        "Deny",
        json!([{"networks": ["10.1.2.3/8"]}]),
    );
    let (field, problem) = invalid(c);
    assert_eq!(field, "spec.egress[0].to[0].networks[0]");
    assert!(problem.contains("10.0.0.0/8"), "{problem}");
    let c = egress(
        "p",
        "Admin",
        1,
        all(),
        "Deny",
        json!([{"networks": ["10.0.0.0/33"]}]),
    );
    assert_eq!(invalid(c).0, "spec.egress[0].to[0].networks[0]");
    let c = egress(
        "p",
        "Admin",
        1,
        all(),
        "Deny",
        json!([{"domainNames": ["example.com"]}]),
    );
    assert_eq!(invalid(c).0, "spec.egress[0].to[0].domainNames");
    let c = egress(
        "p",
        "Admin",
        1,
        all(),
        "Deny",
        json!([{"namespaces": {}, "networks": ["10.0.0.0/8"]}]),
    );
    assert_eq!(invalid(c).0, "spec.egress[0].to[0]");
    let c = cnp(
        "p",
        "Admin",
        1,
        all(),
        json!([]),
        json!([{"action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}], "protocols": [{"destinationNamedPort": "http"}]}]),
    );
    assert_eq!(invalid(c).0, "spec.egress[0].to[0]");
    let c = cnp(
        "p",
        "Admin",
        1,
        json!({"namespaces": {"matchExpressions": [{"key": "a", "operator": "in", "values": ["b"]}]}}),
        json!([]),
        json!([]),
    );
    assert_eq!(
        invalid(c).0,
        "spec.subject.namespaces.matchExpressions[0].operator"
    );
    let c = cnp("p", "Admin", 1, json!({}), json!([]), json!([]));
    assert_eq!(invalid(c).0, "spec.subject");
    let mut c = base();
    c.metadata.namespace = Some("x".into());
    assert_eq!(invalid(c).0, "metadata.namespace");
    let mut c = base();
    c.api_version = "policy.networking.k8s.io/v1alpha1".into();
    assert_eq!(invalid(c).0, "apiVersion");
}

#[test]
fn two_cluster_policies_with_one_name_are_refused() {
    let world = xyz_world();
    let a = egress(
        "same",
        "Admin",
        1,
        all(),
        "Deny",
        json!([{"namespaces": {}}]),
    );
    let result = Oracle::layered(&world, &[], &[a.clone(), a], Profile::default());
    assert!(matches!(result, Err(OracleError::DuplicatePolicy { .. })));
}

#[test]
fn pod_peers_are_namespace_and_pod_selectors_together() {
    let world = xyz_world();
    let deny_b = egress("deny-b", "Admin", 0, ns("a"), "Deny", json!([pods("b")]));
    let denies = |to: &str| {
        !decide_layered(
            &world,
            &[],
            std::slice::from_ref(&deny_b),
            &to_pod("x/a", to, 80, Tcp),
        )
        .allowed
    };
    assert!(denies("y/b") && denies("z/b") && denies("x/b"));
    assert!(!denies("y/a") && !denies("z/c"));
    let only_y = egress(
        "deny-b-in-y",
        "Admin",
        0,
        ns("a"),
        "Deny",
        json!([{"pods": {"namespaceSelector": {"matchLabels": {"team": "b"}}, "podSelector": {"matchLabels": {"pod": "b"}}}}]),
    );
    let d = |to: &str| {
        decide_layered(
            &world,
            &[],
            std::slice::from_ref(&only_y),
            &to_pod("x/a", to, 80, Tcp),
        )
        .allowed
    };
    assert!(!d("y/b") && d("z/b") && d("y/c"));
}
