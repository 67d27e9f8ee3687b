//! Snapshots of `Oracle::explain` with ClusterNetworkPolicies: the tier, policy, priority and rule that decided each
//! side, and each layer's reasoning down to it.

mod oracle_support;

use insta::assert_snapshot;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use netreach_core::cluster_policy::ClusterNetworkPolicy;
use netreach_core::oracle::{Oracle, Profile, ProfileSwitch, Traffic};
use netreach_core::world::Protocol::{Tcp, Udp};
use oracle_support::*;
use serde_json::json;

const METADATA: &str = "192.168.100.21";

fn deny_metadata() -> ClusterNetworkPolicy {
    cnp(
        "deny-metadata",
        "Admin",
        10,
        json!({"namespaces": {}}),
        json!([]),
        json!([{"name": "deny-metadata", "action": "Deny", "to": [{"networks": ["192.168.100.21/32"]}]}]),
    )
}

fn pass_accessor() -> ClusterNetworkPolicy {
    cnp(
        "pass-metadata-accessor",
        "Admin",
        5,
        json!({"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"role": "metadata-accessor"}}}}),
        json!([]),
        json!([{"action": "Pass", "to": [{"networks": ["192.168.100.21/32"]}]}]),
    )
}

fn baseline_deny() -> ClusterNetworkPolicy {
    cnp(
        "baseline-deny-metadata",
        "Baseline",
        100,
        json!({"namespaces": {}}),
        json!([]),
        json!([{"action": "Deny", "to": [{"networks": ["192.168.100.0/24"]}]}]),
    )
}

fn explain(
    policies: &[NetworkPolicy],
    cluster: &[ClusterNetworkPolicy],
    traffic: &Traffic,
) -> String {
    explain_with(policies, cluster, traffic, Profile::default())
}

fn explain_with(
    policies: &[NetworkPolicy],
    cluster: &[ClusterNetworkPolicy],
    traffic: &Traffic,
    profile: Profile,
) -> String {
    let (world, _) = metadata_access();
    Oracle::layered(&world, policies, cluster, profile)
        .expect("valid policies")
        .explain(traffic)
        .expect("known pods")
}

#[test]
fn admin_deny_decides_and_no_networkpolicy_is_consulted() {
    let (_, seed) = metadata_access();
    let t = to_ip("metadata-access/pod1", METADATA, 32000, Tcp);
    assert_snapshot!(
        "admin_deny",
        explain(&seed, &[deny_metadata(), pass_accessor()], &t)
    );
}

#[test]
fn pass_then_networkpolicy_names_both_layers() {
    let (_, seed) = metadata_access();
    let t = to_ip("metadata-access/pod3", METADATA, 32000, Tcp);
    assert_snapshot!(
        "pass_then_networkpolicy",
        explain(&seed, &[deny_metadata(), pass_accessor()], &t)
    );
}

#[test]
fn pass_into_the_baseline_tier() {
    let t = to_ip("metadata-access/pod3", METADATA, 32000, Tcp);
    assert_snapshot!(
        "pass_into_baseline",
        explain(
            &[],
            &[deny_metadata(), pass_accessor(), baseline_deny()],
            &t
        )
    );
}

#[test]
fn nothing_decides_and_the_default_allows() {
    let t = to_pod("metadata-access/pod1", "metadata-access/pod2", 80, Tcp);
    assert_snapshot!(
        "default_allow",
        explain(&[], &[deny_metadata(), baseline_deny()], &t)
    );
}

#[test]
fn ingress_rules_with_protocols_and_pod_peers() {
    let guard = cnp(
        "guard-pod2",
        "Admin",
        1,
        json!({"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "pod2"}}}}),
        json!([
            {"action": "Accept", "from": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "pod3"}}}}]},
            {"action": "Deny", "from": [{"namespaces": {}}], "protocols": [{"udp": {"destinationPort": {"number": 53}}}, {"destinationNamedPort": "http"}]},
        ]),
        json!([]),
    );
    let t = to_pod("metadata-access/pod1", "metadata-access/pod2", 80, Tcp);
    assert_snapshot!(
        "ingress_named_port_deny",
        explain(&[], std::slice::from_ref(&guard), &t)
    );
    let udp = to_pod("metadata-access/pod1", "metadata-access/pod2", 5353, Udp);
    assert_snapshot!("ingress_no_rule_matches", explain(&[], &[guard], &udp));
}

#[test]
fn an_equal_priority_tie_is_implementation_defined() {
    let tie = |name: &str, action: &str| {
        cnp(
            name,
            "Admin",
            10,
            json!({"namespaces": {}}),
            json!([]),
            json!([{"action": action, "to": [{"networks": ["0.0.0.0/0"]}]}]),
        )
    };
    let t = to_ip("metadata-access/pod1", "8.8.8.8", 443, Tcp);
    let cluster = [tie("b-deny", "Deny"), tie("a-accept", "Accept")];
    assert_snapshot!("tie_first_by_name", explain(&[], &cluster, &t));
    let last = Profile::default().with(ProfileSwitch::EqualPriorityFirstByName, false);
    assert_snapshot!("tie_last_by_name", explain_with(&[], &cluster, &t, last));
}

#[test]
fn networks_on_a_node_address_name_the_switch() {
    let t = to_ip("metadata-access/pod1", "172.18.0.2", 10250, Tcp);
    let deny_nodes = cnp(
        "deny-node-network",
        "Admin",
        10,
        json!({"namespaces": {}}),
        json!([]),
        json!([{"action": "Deny", "to": [{"networks": ["172.18.0.0/16"]}]}]),
    );
    let no_nodes = Profile::default().with(ProfileSwitch::NetworksMatchNodeIps, false);
    assert_snapshot!(
        "networks_node_address_not_matched",
        explain_with(&[], std::slice::from_ref(&deny_nodes), &t, no_nodes)
    );
    assert_snapshot!(
        "networks_node_address_matched",
        explain(&[], &[deny_nodes], &t)
    );
}

#[test]
fn a_pod_to_its_own_ip_skips_cluster_network_policy() {
    let t = to_ip("metadata-access/pod1", "10.42.0.11", 8080, Tcp);
    let deny_all = cnp(
        "deny-all",
        "Admin",
        0,
        json!({"namespaces": {}}),
        json!([{"action": "Deny", "from": [{"namespaces": {}}]}]),
        json!([{"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}]),
    );
    assert_snapshot!("hairpin", explain(&[], &[deny_all], &t));
}

#[test]
fn domain_names_and_nodes_say_what_they_match() {
    let accept = cnp(
        "egress-allowlist",
        "Admin",
        3,
        json!({"namespaces": {}}),
        json!([]),
        json!([
            {"action": "Accept", "to": [{"domainNames": ["*.example.com"]}]},
            {"action": "Deny", "to": [{"nodes": {"matchLabels": {"kubernetes.io/hostname": "node-1"}}}]},
        ]),
    );
    let t = to_ip("metadata-access/pod1", "172.18.0.2", 10250, Tcp);
    assert_snapshot!("domain_names_and_nodes", explain(&[], &[accept], &t));
}
