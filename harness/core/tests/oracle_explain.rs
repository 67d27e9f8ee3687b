//! Snapshots of `Oracle::explain` for the seed scenario (metadata-access) and a few other shapes.

mod oracle_support;

use insta::assert_snapshot;
use netreach_core::oracle::{Oracle, Profile, SideVerdict};
use netreach_core::world::Protocol::{Tcp, Udp};
use oracle_support::*;
use serde_json::json;

fn seed_oracle_explain(traffic: &netreach_core::oracle::Traffic, profile: Profile) -> String {
    let (world, policies) = metadata_access();
    let oracle = Oracle::new(&world, &policies, profile).expect("seed policies are valid");
    oracle.explain(traffic).expect("known pods")
}

#[test]
fn seed_pod1_to_metadata_server_is_denied() {
    let (world, policies) = metadata_access();
    let t = to_ip("metadata-access/pod1", "192.168.100.21", 32000, Tcp);
    let d = decide(&world, &policies, &t);
    assert!(!d.allowed);
    assert_eq!(
        d.egress,
        SideVerdict::Denied {
            selecting_policies: vec!["metadata-access/metadata-deny".into()]
        }
    );
    assert_snapshot!(seed_oracle_explain(&t, Profile::default()), @r#"
metadata-access/pod1 -> 192.168.100.21 32000/TCP: denied
egress of metadata-access/pod1: selected by metadata-access/metadata-deny
  metadata-access/metadata-deny egress[0]: to[0] ipBlock 0.0.0.0/0 except 192.168.100.21/32: 192.168.100.21 is excluded (except 192.168.100.21/32)
  -> no rule allows it: denied
ingress: 192.168.100.21 is outside the cluster's pods; there is no ingress side
"#);
}

#[test]
fn seed_pod3_to_metadata_server_is_allowed_by_metadata_allow() {
    let (world, policies) = metadata_access();
    let t = to_ip("metadata-access/pod3", "192.168.100.21", 32000, Tcp);
    let d = decide(&world, &policies, &t);
    assert!(d.allowed);
    assert_eq!(
        d.egress,
        SideVerdict::Allowed {
            policy: "metadata-access/metadata-allow".into(),
            rule: 0,
            peer: Some(0)
        }
    );
    assert_snapshot!(seed_oracle_explain(&t, Profile::default()), @r#"
metadata-access/pod3 -> 192.168.100.21 32000/TCP: allowed
egress of metadata-access/pod3: selected by metadata-access/metadata-deny, metadata-access/metadata-allow
  metadata-access/metadata-deny egress[0]: to[0] ipBlock 0.0.0.0/0 except 192.168.100.21/32: 192.168.100.21 is excluded (except 192.168.100.21/32)
  metadata-access/metadata-allow egress[0]: to[0] ipBlock 192.168.100.21/32: matches
  -> allowed by metadata-access/metadata-allow egress[0].to[0]
ingress: 192.168.100.21 is outside the cluster's pods; there is no ingress side
"#);
}

#[test]
fn seed_pod2_to_the_internet_is_allowed() {
    let t = to_ip("metadata-access/pod2", "1.1.1.1", 443, Tcp);
    assert_snapshot!(seed_oracle_explain(&t, Profile::default()), @r#"
metadata-access/pod2 -> 1.1.1.1 443/TCP: allowed
egress of metadata-access/pod2: selected by metadata-access/metadata-deny
  metadata-access/metadata-deny egress[0]: to[0] ipBlock 0.0.0.0/0 except 192.168.100.21/32: matches
  -> allowed by metadata-access/metadata-deny egress[0].to[0]
ingress: 1.1.1.1 is outside the cluster's pods; there is no ingress side
"#);
}

#[test]
fn seed_pod_to_pod_depends_on_ipblock_matching_pod_ips() {
    let t = to_pod("metadata-access/pod1", "metadata-access/pod2", 80, Tcp);
    assert_snapshot!(seed_oracle_explain(&t, Profile::default()), @r#"
metadata-access/pod1 -> metadata-access/pod2 80/TCP: allowed
egress of metadata-access/pod1: selected by metadata-access/metadata-deny
  metadata-access/metadata-deny egress[0]: to[0] ipBlock 0.0.0.0/0 except 192.168.100.21/32: matches
  -> allowed by metadata-access/metadata-deny egress[0].to[0]
ingress of metadata-access/pod2: selected by no policy of type Ingress -> unrestricted
implementation-defined: with ipblock-matches-pod-ips: false it would be denied
"#);
    let cilium = Profile {
        ipblock_matches_pod_ips: false,
        ..Profile::default()
    };
    assert_snapshot!(seed_oracle_explain(&t, cilium), @r#"
metadata-access/pod1 -> metadata-access/pod2 80/TCP: denied
egress of metadata-access/pod1: selected by metadata-access/metadata-deny
  metadata-access/metadata-deny egress[0]: to[0] ipBlock 0.0.0.0/0 except 192.168.100.21/32: 10.42.0.12 is a pod IP, which ipBlocks do not match (ipblock-matches-pod-ips: false)
  -> no rule allows it: denied
ingress of metadata-access/pod2: selected by no policy of type Ingress -> unrestricted
implementation-defined: with ipblock-matches-pod-ips: true it would be allowed
"#);
}

#[test]
fn explain_names_ports_selectors_and_exemptions() {
    let w = xyz_world();
    let p = [
        policy(
            "x",
            "web",
            json!({"podSelector": {"matchLabels": {"tier": "web"}}, "policyTypes": ["Ingress"], "ingress": [
                {"ports": [{"port": "http"}, {"port": 443}]},
                {"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}, "podSelector": {"matchLabels": {"pod": "c"}}}, {"podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b"]}]}}]}
            ]}),
        ),
        policy(
            "x",
            "deny-all",
            json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        ),
    ];
    let oracle = Oracle::new(&w, &p, Profile::default()).expect("valid");
    let text = oracle
        .explain(&to_pod("y/a", "x/a", 53, Udp))
        .expect("known pods");
    assert_snapshot!(text, @r#"
y/a -> x/a 53/UDP: denied
egress of y/a: selected by no policy of type Egress -> unrestricted
ingress of x/a: selected by x/web, x/deny-all
  x/web ingress[0]: ports TCP http (other protocol), TCP 443 (other protocol) do not include 53/UDP -> no match
  x/web ingress[1]: from[0] pods pod=c in namespaces team=b: y/a has labels pod=a, which do not match; from[1] pods pod=b in namespace x: namespace y is not selected
  x/deny-all: no ingress rules (denies all ingress)
  -> no rule allows it: denied
"#);
    let text = oracle
        .explain(&to_pod("z/host", "x/a", 8080, Tcp))
        .expect("known pods");
    assert_snapshot!(text, @r#"
z/host -> x/a 8080/TCP: denied
egress of z/host: a hostNetwork pod, never selected by policies (host-network-pods-selected: false) -> unrestricted
ingress of x/a: selected by x/web, x/deny-all
  x/web ingress[0]: ports TCP http (the destination pod's port of that name is 80), TCP 443 (other port) do not include 8080/TCP -> no match
  x/web ingress[1]: from[0] pods pod=c in namespaces team=b: namespace z is not selected; from[1] pods pod=b in namespace x: namespace z is not selected
  x/deny-all: no ingress rules (denies all ingress)
  -> no rule allows it: denied
"#);
    let text = oracle
        .explain(&to_pod("x/a", "x/a", 8080, Tcp))
        .expect("known pods");
    assert_snapshot!(text, @r#"
x/a -> x/a 8080/TCP: allowed
egress of x/a: selected by no policy of type Egress -> unrestricted
ingress of x/a: selected by x/web, x/deny-all
  x/web ingress[0]: ports TCP http (the destination pod's port of that name is 80), TCP 443 (other port) do not include 8080/TCP -> no match
  x/web ingress[1]: from[0] pods pod=c in namespaces team=b: namespace x is not selected; from[1] pods pod=b in namespace x: x/a has labels pod=a,tier=web, which do not match
  x/deny-all: no ingress rules (denies all ingress)
  -> no rule allows it: denied
traffic from a pod to itself: policies do not apply to it (policy-applies-to-self-traffic: false) -> allowed
implementation-defined: with policy-applies-to-self-traffic: true it would be denied
"#);
}
