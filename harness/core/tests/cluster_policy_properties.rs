//! Property tests of the layering (Admin tier, NetworkPolicy, Baseline tier, default) over random policies on a
//! fixed small world (proptest).

mod oracle_support;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netreach_core::cluster_policy::ClusterNetworkPolicy;
use netreach_core::oracle::{
    Decision, Oracle, PodRef, Profile, SideVerdict, Target, Tier, Traffic,
};
use netreach_core::world::{Protocol, World};
use oracle_support::strategies::*;
use oracle_support::*;
use proptest::prelude::*;
use serde_json::{Value, json};

const ADDRESSES: [&str; 4] = ["8.8.8.8", "172.18.0.2", "10.0.1.2", "192.168.1.9"];
const PORTS: [(u16, Protocol); 3] = [
    (80, Protocol::Tcp),
    (53, Protocol::Udp),
    (8080, Protocol::Tcp),
];
const NETWORKS: [&str; 5] = [
    "10.0.0.0/16",
    "10.0.1.0/24",
    "0.0.0.0/0",
    "172.18.0.2/32",
    "8.8.8.0/24",
];

fn pods_peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        namespace_selector().prop_map(|n| json!({"namespaces": n})),
        (namespace_selector(), pod_selector())
            .prop_map(|(n, p)| json!({"pods": {"namespaceSelector": n, "podSelector": p}})),
    ]
}

fn egress_peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => pods_peer(),
        2 => prop::sample::subsequence(NETWORKS.to_vec(), 1..3).prop_map(|n| json!({"networks": n})),
        1 => Just(json!({"nodes": {}})),
    ]
}

fn protocols() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop::collection::vec(
        prop_oneof![
            Just(json!({"tcp": {"destinationPort": {"number": 80}}})),
            Just(json!({"tcp": {"destinationPort": {"range": {"start": 70, "end": 90}}}})),
            Just(json!({"udp": {"destinationPort": {"number": 53}}})),
            Just(json!({"destinationNamedPort": "http"})),
        ],
        1..3,
    ))
    .prop_map(|p| p.map(Value::Array))
}

fn action(with_pass: bool) -> BoxedStrategy<&'static str> {
    if with_pass {
        prop::sample::select(vec!["Accept", "Deny", "Pass"]).boxed()
    } else {
        prop::sample::select(vec!["Accept", "Deny"]).boxed()
    }
}

/// A rule; egress rules with a named port get pod peers only (the API refuses address peers with them).
fn cluster_rule(peers_key: &'static str, with_pass: bool) -> impl Strategy<Value = Value> {
    (
        action(with_pass),
        protocols(),
        prop::collection::vec(egress_peer(), 1..3),
        prop::collection::vec(pods_peer(), 1..3),
    )
        .prop_map(move |(action, protocols, egress_peers, pod_peers)| {
            let named = protocols
                .as_ref()
                .is_some_and(|p| p.to_string().contains("destinationNamedPort"));
            let peers = if peers_key == "from" || named {
                pod_peers
            } else {
                egress_peers
            };
            let mut rule = json!({"action": action, peers_key: peers});
            if let Some(protocols) = protocols {
                rule["protocols"] = protocols;
            }
            rule
        })
}

fn subject() -> impl Strategy<Value = Value> {
    pods_peer()
}

/// Policies of one tier, named `{prefix}{i}`, priorities 0-3 (ties happen).
fn tier(
    prefix: &'static str,
    tier: &'static str,
    with_pass: bool,
) -> impl Strategy<Value = Vec<ClusterNetworkPolicy>> {
    prop::collection::vec(
        (
            0..4i32,
            subject(),
            prop::collection::vec(cluster_rule("from", with_pass), 0..3),
            prop::collection::vec(cluster_rule("to", with_pass), 0..3),
        ),
        0..4,
    )
    .prop_map(move |specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (priority, subject, ingress, egress))| {
                cnp(
                    &format!("{prefix}{i}"),
                    tier,
                    priority,
                    subject,
                    json!(ingress),
                    json!(egress),
                )
            })
            .collect()
    })
}

fn network_policies() -> impl Strategy<Value = Vec<NetworkPolicy>> {
    let peer = prop_oneof![
        pod_selector().prop_map(|s| json!({"podSelector": s})),
        namespace_selector().prop_map(|n| json!({"namespaceSelector": n})),
        prop::sample::select(vec!["0.0.0.0/0", "10.0.0.0/16", "172.18.0.0/16"])
            .prop_map(|c| json!({"ipBlock": {"cidr": c}})),
    ];
    let rule = (
        prop::option::of(Just(json!([{"port": 80}]))),
        prop::collection::vec(peer, 0..2),
    );
    let spec = (
        pod_selector(),
        prop::sample::select(vec![vec!["Ingress"], vec!["Egress"], vec!["Ingress", "Egress"]]),
        prop::collection::vec(rule.clone(), 0..2),
        prop::collection::vec(rule, 0..2),
    )
        .prop_map(|(selector, types, ingress, egress)| {
            let rules = |rules: Vec<(Option<Value>, Vec<Value>)>, key: &str| {
                rules
                    .into_iter()
                    .map(|(ports, peers)| {
                        let mut r = json!({ key: peers });
                        if let Some(ports) = ports {
                            r["ports"] = ports;
                        }
                        r
                    })
                    .collect::<Vec<_>>()
            };
            json!({"podSelector": selector, "policyTypes": types, "ingress": rules(ingress, "from"), "egress": rules(egress, "to")})
        });
    prop::collection::vec((prop::sample::select(vec!["x", "y", "z"]), spec), 0..4).prop_map(
        |specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, (ns, spec))| policy(ns, &format!("np{i}"), spec))
                .collect()
        },
    )
}

fn oracle<'w>(
    world: &'w World,
    np: &[NetworkPolicy],
    cluster: &[ClusterNetworkPolicy],
) -> Oracle<'w> {
    Oracle::layered(world, np, cluster, Profile::default()).expect("generated policies are valid")
}

fn joined(a: &[ClusterNetworkPolicy], b: &[ClusterNetworkPolicy]) -> Vec<ClusterNetworkPolicy> {
    a.iter().chain(b).cloned().collect()
}

fn is_admin(side: &SideVerdict) -> bool {
    matches!(
        side,
        SideVerdict::Cluster {
            tier: Tier::Admin,
            ..
        }
    )
}

/// The ingress subject of a traffic, when it has one (a pod target, or an address that is a pod's IP).
fn ingress_subject(d: &Decision, t: &Traffic) -> Option<PodRef> {
    match (&t.to, &d.ingress) {
        (_, SideVerdict::NotApplicable) => None,
        (Target::Pod(pod), _) => Some(pod.clone()),
        (Target::Address(_), _) => None,
    }
}

proptest! {
    #![proptest_config(config())]

    /// A Baseline rule never changes a side that some NetworkPolicy selects in that direction.
    #[test]
    fn baseline_never_changes_a_side_a_networkpolicy_selects(
        admin in tier("a", "Admin", true),
        baseline in tier("b", "Baseline", true),
        np in network_policies(),
    ) {
        let world = xyz_world();
        let without = oracle(&world, &np, &admin);
        let with = oracle(&world, &np, &joined(&admin, &baseline));
        let mut checked = 0;
        for t in all_traffic(&world, &ADDRESSES, &PORTS) {
            let (before, after) = (without.decide(&t).expect("known"), with.decide(&t).expect("known"));
            let (_, egress_np) = with.selecting_policies(t.from.pod().expect("a pod")).expect("known");
            if !egress_np.is_empty() {
                prop_assert_eq!(&before.egress, &after.egress, "{}", t);
                checked += 1;
            }
            if let Some(to) = ingress_subject(&after, &t) {
                let (ingress_np, _) = with.selecting_policies(&to).expect("known");
                if !ingress_np.is_empty() {
                    prop_assert_eq!(&before.ingress, &after.ingress, "{}", t);
                }
            }
            prop_assert_eq!(after.allowed, after.egress.permits() && after.ingress.permits() || is_self(&t, &world), "{}", t);
        }
        prop_assume!(checked > 0, "no NetworkPolicy selected any source");
    }

    /// An Admin Accept or Deny is final: whatever NetworkPolicies and Baseline policies there are, it stays.
    #[test]
    fn admin_accept_and_deny_are_final(
        admin in tier("a", "Admin", true),
        (np1, np2) in (network_policies(), network_policies()),
        (base1, base2) in (tier("b", "Baseline", true), tier("c", "Baseline", true)),
    ) {
        let world = xyz_world();
        let one = oracle(&world, &np1, &joined(&admin, &base1));
        let two = oracle(&world, &np2, &joined(&admin, &base2));
        for t in all_traffic(&world, &ADDRESSES, &PORTS) {
            let (a, b) = (one.decide(&t).expect("known"), two.decide(&t).expect("known"));
            if is_admin(&a.egress) {
                prop_assert_eq!(&a.egress, &b.egress, "{}", t);
            }
            if is_admin(&a.ingress) {
                prop_assert_eq!(&a.ingress, &b.ingress, "{}", t);
            }
            if is_admin(&a.egress) && is_admin(&a.ingress) {
                prop_assert_eq!(a.allowed, b.allowed, "{}", t);
            }
        }
    }

    /// A Pass rule with nothing of lower precedence in its tier can be removed without changing any cell.
    #[test]
    fn removing_a_pass_at_the_bottom_of_its_tier_changes_nothing(
        admin in tier("a", "Admin", true),
        baseline in tier("b", "Baseline", true),
        np in network_policies(),
        subject in subject(),
        egress in any::<bool>(),
        in_baseline in any::<bool>(),
        peers in prop::collection::vec(pods_peer(), 1..3),
    ) {
        let world = xyz_world();
        let (key, rules) = if egress { ("to", "egress") } else { ("from", "ingress") };
        let rule = json!([{"action": "Pass", key: peers}]);
        let (ingress, egress_rules) = if rules == "egress" { (json!([]), rule) } else { (rule, json!([])) };
        let (tier_name, prefix) = if in_baseline { ("Baseline", "z-pass") } else { ("Admin", "z-pass") };
        // Priority 1000 and a name after every other: the last policy of its tier, whichever tie order.
        let pass = cnp(prefix, tier_name, 1000, subject, ingress, egress_rules);
        let base = joined(&admin, &baseline);
        let with = oracle(&world, &np, &joined(&base, std::slice::from_ref(&pass)));
        let without = oracle(&world, &np, &base);
        for t in all_traffic(&world, &ADDRESSES, &PORTS) {
            prop_assert_eq!(with.allows(&t).expect("known"), without.allows(&t).expect("known"), "{}", t);
        }
    }

    /// With no NetworkPolicy and no Baseline tier below it, an Admin Pass is the default allow: the same as Accept.
    #[test]
    fn an_admin_pass_over_empty_layers_is_an_accept(admin in tier("a", "Admin", true)) {
        let world = xyz_world();
        let accepting: Vec<ClusterNetworkPolicy> = admin
            .iter()
            .map(|p| {
                let mut p = p.clone();
                for rule in &mut p.spec.egress {
                    if rule.action == "Pass" { rule.action = "Accept".into(); }
                }
                for rule in &mut p.spec.ingress {
                    if rule.action == "Pass" { rule.action = "Accept".into(); }
                }
                p
            })
            .collect();
        let (pass, accept) = (oracle(&world, &[], &admin), oracle(&world, &[], &accepting));
        for t in all_traffic(&world, &ADDRESSES, &PORTS) {
            prop_assert_eq!(pass.allows(&t).expect("known"), accept.allows(&t).expect("known"), "{}", t);
        }
    }

    /// A pod's traffic to its own pod IP is decided as if there were no ClusterNetworkPolicy.
    #[test]
    fn hairpin_traffic_ignores_cluster_network_policy(
        admin in tier("a", "Admin", true),
        baseline in tier("b", "Baseline", true),
        np in network_policies(),
        strict in any::<bool>(),
    ) {
        let world = xyz_world();
        let profile = Profile { policy_applies_to_self_traffic: strict, ..Profile::default() };
        let with = Oracle::layered(&world, &np, &joined(&admin, &baseline), profile).expect("valid");
        let without = Oracle::layered(&world, &np, &[], profile).expect("valid");
        for pod in world.pods.iter().filter(|p| !p.host_network) {
            let t = Traffic {
                from: PodRef::new(&pod.namespace, &pod.name).into(),
                to: Target::Address(pod.ip),
                port: 80,
                protocol: Protocol::Tcp,
            };
            prop_assert_eq!(with.decide(&t).expect("known"), without.decide(&t).expect("known"), "{}", t);
        }
    }
}
