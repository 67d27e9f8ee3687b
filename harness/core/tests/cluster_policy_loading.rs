//! Loading ClusterNetworkPolicies from suite manifests: mixed with NetworkPolicies, validated with one-line errors
//! naming file and field, placeholders resolved; and the plan of the ClusterNetworkPolicy battery.

mod suite_support;

use std::path::PathBuf;

use netreach_core::cell::Reach;
use netreach_core::plan::{contradictions, plan_suite};
use netreach_core::suite::load_suite_with_env;
use suite_support::*;

const SUITE: &str = "name: s
namespaces: [{name: ns1, labels: {guard: \"on\"}}]
pods: [{name: p1, labels: {app: p1}}, {name: p2, labels: {app: p2, role: ok}}]
destinations:
  - {name: node, server: {hostNetwork: true, port: 32000}}
  - {name: web, server: {port: 8080}}
placeholders: {192.168.100.21: node}
phases:
  - name: one
    policies: [policies.yaml]
    expect: oracle
";

const POLICIES: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ok}
spec:
  podSelector: {matchLabels: {role: ok}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 192.168.100.21/32}}]}]
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: deny-node}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {guard: \"on\"}}}
  egress:
    - action: Deny
      to: [{networks: [192.168.100.21/32]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: pass-ok}
spec:
  tier: Admin
  priority: 5
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {role: ok}}}}
  egress:
    - action: Pass
      to: [{networks: [192.168.100.21/16]}]
";

fn write_suite(policies: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("suite.yaml"), SUITE).unwrap();
    std::fs::write(dir.path().join("policies.yaml"), policies).unwrap();
    let path = dir.path().join("suite.yaml");
    (dir, path)
}

fn load_error(policies: &str) -> String {
    let (_dir, path) = write_suite(policies);
    let error = one_line_load_error(&path, &no_env);
    assert!(error.contains("policies.yaml: "), "names the file: {error}");
    error
}

#[test]
fn a_multi_document_file_mixes_kinds_and_the_plan_layers_them() {
    let (_dir, path) = write_suite(POLICIES);
    let suite = load_suite_with_env(&path, &no_env).unwrap();
    let phase = &suite.phases[0];
    assert_eq!(phase.policies.len(), 1);
    let names: Vec<&str> = phase.cluster_policies.iter().map(|m| m.name()).collect();
    assert_eq!(names, ["deny-node", "pass-ok"]);
    let plans = plan_suite(&suite).unwrap();
    let cell = |from: &str, to: &str| {
        plans[0]
            .cells
            .iter()
            .find(|c| c.from == from && c.to == to)
            .unwrap()
            .clone()
    };
    assert_eq!(cell("p1", "node").expected, Some(Reach::Deny));
    assert_eq!(cell("p1", "web").expected, Some(Reach::Allow));
    let passed = cell("p2", "node");
    assert_eq!(passed.expected, Some(Reach::Allow));
    assert!(
        passed.explanation.contains("Admin tier, priority 5, `pass-ok` egress[0] Pass, then NetworkPolicy: allowed by ns1/allow-ok egress[0].to[0]"),
        "{}",
        passed.explanation
    );
    // The NetworkPolicy isolates p2's egress: web is denied by it, not by a ClusterNetworkPolicy.
    assert_eq!(cell("p2", "web").expected, Some(Reach::Deny));
    assert_eq!(plans[0].policies, ["deny-node", "pass-ok", "ns1/allow-ok"]);
}

#[test]
fn errors_name_the_file_and_the_field() {
    let cases = [
        (
            "priority: 10",
            "priority: 1001",
            "spec.priority: 1001 is outside 0-1000",
        ),
        (
            "action: Deny",
            "action: Allow",
            "spec.egress[0].action: unknown action \"Allow\"",
        ),
        (
            "tier: Admin\n  priority: 10",
            "tier: Admn\n  priority: 10",
            "spec.tier: unknown tier \"Admn\"",
        ),
        (
            "to: [{networks: [192.168.100.21/32]}]",
            "to: [{networks: [10.1.2.3/8]}]",
            "spec.egress[0].to[0].networks[0]: 10.1.2.3/8 has host bits set",
        ),
        (
            "to: [{networks: [192.168.100.21/32]}]",
            "to: [{networks: [192.168.100.21/32]}]\n      ports: [{port: 80}]",
            "document[1].spec.egress[0].ports: unknown field (ClusterNetworkPolicy rules use `protocols`)",
        ),
        (
            "metadata: {name: deny-node}",
            "metadata: {name: deny-node, namespace: ns1}",
            "document[1].metadata.namespace: a ClusterNetworkPolicy is cluster-scoped",
        ),
        (
            "to: [{networks: [192.168.100.21/32]}]",
            "to: [{namespaces: {matchExpressions: [{key: a, operator: in, values: [b]}]}}]",
            "spec.egress[0].to[0].namespaces.matchExpressions[0].operator",
        ),
        (
            "to: [{networks: [192.168.100.21/32]}]",
            "to: [{nodes: {}, networks: [10.0.0.0/8]}]",
            "spec.egress[0].to[0]: give exactly one of",
        ),
    ];
    for (from, to, expected) in cases {
        let edited = POLICIES.replacen(from, to, 1);
        assert_ne!(edited, POLICIES, "edit applies: {from}");
        let error = load_error(&edited);
        assert!(
            error.contains(expected),
            "{error}\n  does not contain {expected}"
        );
    }
}

#[test]
fn twenty_six_rules_are_refused() {
    let rule = "    - action: Deny\n      to: [{networks: [10.0.0.0/8]}]\n";
    let many = POLICIES.replacen(
        "  egress:\n    - action: Deny\n      to: [{networks: [192.168.100.21/32]}]\n",
        &format!("  egress:\n{}", rule.repeat(26)),
        1,
    );
    assert_ne!(many, POLICIES);
    let error = load_error(&many);
    assert!(
        error.contains("spec.egress: 26 rules; the API allows at most 25"),
        "{error}"
    );
}

#[test]
fn the_same_cluster_policy_twice_in_a_phase_is_refused() {
    let doubled = format!("{POLICIES}---\n{}", POLICIES.split("---\n").nth(1).unwrap());
    let (_dir, path) = write_suite(&doubled);
    let error = load_suite_with_env(&path, &no_env).unwrap_err().to_string();
    assert!(
        error.contains("ClusterNetworkPolicy deny-node appears twice"),
        "{error}"
    );
}

#[test]
fn the_battery_plans_with_no_cluster_and_agrees_with_its_tables() {
    let dir = repo_root().join("suites/cluster-network-policy");
    let mut suites = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let suite = load_suite_with_env(&path, &no_env).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            suite.tags.iter().any(|t| t == "cluster-network-policy"),
            "{}",
            path.display()
        );
        let plans = plan_suite(&suite).unwrap();
        assert_eq!(
            contradictions(&suite, &plans),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        suites += 1;
    }
    assert!(suites >= 5, "{suites} suites");
}
