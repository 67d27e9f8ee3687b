//! Shared builders for the oracle's integration tests: small worlds, policies from JSON, traffic shorthands.
#![allow(dead_code)]

pub mod strategies;

use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netreach_core::oracle::{Decision, Oracle, PodRef, Profile, Target, Traffic};
use netreach_core::world::{
    ContainerPort, Labels, NamespaceInfo, NodeInfo, PodInfo, Protocol, World,
};
use serde_json::{Value, json};

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn namespace(name: &str, extra: &[(&str, &str)]) -> NamespaceInfo {
    let mut labels = labels(extra);
    labels.insert("kubernetes.io/metadata.name".into(), name.into());
    NamespaceInfo {
        name: name.into(),
        labels,
    }
}

pub fn pod(namespace: &str, name: &str, pod_labels: &[(&str, &str)], ip: &str) -> PodInfo {
    PodInfo {
        name: name.into(),
        namespace: namespace.into(),
        labels: labels(pod_labels),
        ip: ip.parse().expect("test IP"),
        secondary_ip: None,
        node: "node-1".into(),
        host_network: false,
        ports: vec![
            ContainerPort {
                name: Some("http".into()),
                port: 80,
                protocol: Protocol::Tcp,
            },
            ContainerPort {
                name: Some("dns".into()),
                port: 53,
                protocol: Protocol::Udp,
            },
        ],
    }
}

/// Namespaces x (team=a), y (team=b), z (no extra label); pods a, b, c in each
/// (labels pod=<name>, and in x: a has tier=web); a hostNetwork pod `host` in z on the node IP.
pub fn xyz_world() -> World {
    let mut pods = Vec::new();
    for (n, ns) in ["x", "y", "z"].iter().enumerate() {
        for (m, name) in ["a", "b", "c"].iter().enumerate() {
            let mut p = pod(ns, name, &[("pod", name)], &format!("10.0.{n}.{}", m + 1));
            if *ns == "x" && *name == "a" {
                p.labels.insert("tier".into(), "web".into());
            }
            pods.push(p);
        }
    }
    let mut host = pod("z", "host", &[("pod", "host")], "172.18.0.2");
    host.host_network = true;
    pods.push(host);
    World {
        namespaces: vec![
            namespace("x", &[("team", "a")]),
            namespace("y", &[("team", "b")]),
            namespace("z", &[]),
        ],
        pods,
        nodes: vec![NodeInfo {
            name: "node-1".into(),
            addresses: vec!["172.18.0.2".parse().expect("node IP")],
            labels: labels(&[("kubernetes.io/hostname", "node-1")]),
        }],
    }
}

/// A NetworkPolicy from the JSON of its `spec`.
pub fn policy(namespace: &str, name: &str, spec: Value) -> NetworkPolicy {
    serde_json::from_value(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": { "name": name, "namespace": namespace },
        "spec": spec,
    }))
    .expect("test policy is well-formed JSON for NetworkPolicy")
}

pub fn to_pod(from: &str, to: &str, port: u16, protocol: Protocol) -> Traffic {
    let split = |s: &str| {
        let (ns, name) = s.split_once('/').expect("ns/name");
        PodRef::new(ns, name)
    };
    Traffic {
        from: split(from).into(),
        to: Target::Pod(split(to)),
        port,
        protocol,
    }
}

pub fn to_ip(from: &str, ip: &str, port: u16, protocol: Protocol) -> Traffic {
    let (ns, name) = from.split_once('/').expect("ns/name");
    Traffic {
        from: PodRef::new(ns, name).into(),
        to: Target::Address(ip.parse::<IpAddr>().expect("test IP")),
        port,
        protocol,
    }
}

pub fn decide(world: &World, policies: &[NetworkPolicy], traffic: &Traffic) -> Decision {
    decide_with(world, policies, Profile::default(), traffic)
}

pub fn decide_with(
    world: &World,
    policies: &[NetworkPolicy],
    profile: Profile,
    traffic: &Traffic,
) -> Decision {
    Oracle::new(world, policies, profile)
        .expect("valid policies")
        .decide(traffic)
        .expect("known pods")
}

pub fn allowed(world: &World, policies: &[NetworkPolicy], traffic: &Traffic) -> bool {
    decide(world, policies, traffic).allowed
}

/// The seed scenario (shared/seed/metadata-access.txt): three pods and the two egress policies.
pub fn metadata_access() -> (World, Vec<NetworkPolicy>) {
    let world = World {
        namespaces: vec![namespace("metadata-access", &[])],
        pods: vec![
            pod("metadata-access", "pod1", &[("app", "pod1")], "10.42.0.11"),
            pod("metadata-access", "pod2", &[("app", "pod2")], "10.42.0.12"),
            pod(
                "metadata-access",
                "pod3",
                &[("app", "pod3"), ("role", "metadata-accessor")],
                "10.42.0.13",
            ),
        ],
        nodes: vec![NodeInfo {
            name: "node-1".into(),
            addresses: vec!["172.18.0.2".parse().expect("node IP")],
            labels: labels(&[("kubernetes.io/hostname", "node-1")]),
        }],
    };
    let policies = vec![
        policy(
            "metadata-access",
            "metadata-deny",
            json!({
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{ "to": [{ "ipBlock": { "cidr": "0.0.0.0/0", "except": ["192.168.100.21/32"] } }] }]
            }),
        ),
        policy(
            "metadata-access",
            "metadata-allow",
            json!({
                "podSelector": { "matchLabels": { "role": "metadata-accessor" } },
                "policyTypes": ["Egress"],
                "egress": [{ "to": [{ "ipBlock": { "cidr": "192.168.100.21/32" } }] }]
            }),
        ),
    ];
    (world, policies)
}

/// A ClusterNetworkPolicy from its tier, priority, subject and rules (JSON, as in a manifest).
pub fn cnp(
    name: &str,
    tier: &str,
    priority: i32,
    subject: Value,
    ingress: Value,
    egress: Value,
) -> netreach_core::cluster_policy::ClusterNetworkPolicy {
    serde_json::from_value(json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": { "name": name },
        "spec": { "tier": tier, "priority": priority, "subject": subject, "ingress": ingress, "egress": egress },
    }))
    .expect("test policy is well-formed JSON for ClusterNetworkPolicy")
}

/// The layered oracle's decision under the default profile.
pub fn decide_layered(
    world: &World,
    policies: &[NetworkPolicy],
    cluster: &[netreach_core::cluster_policy::ClusterNetworkPolicy],
    traffic: &Traffic,
) -> Decision {
    Oracle::layered(world, policies, cluster, Profile::default())
        .expect("valid policies")
        .decide(traffic)
        .expect("known pods")
}

/// Every cell of the world: each pod to each pod and to each of `addresses`, on each of `ports`.
pub fn all_traffic(world: &World, addresses: &[&str], ports: &[(u16, Protocol)]) -> Vec<Traffic> {
    let mut targets: Vec<Target> = world
        .pods
        .iter()
        .map(|p| Target::Pod(PodRef::new(&p.namespace, &p.name)))
        .collect();
    targets.extend(
        addresses
            .iter()
            .map(|a| Target::Address(a.parse().expect("ip"))),
    );
    let mut cells = Vec::new();
    for from in &world.pods {
        for to in &targets {
            for &(port, protocol) in ports {
                cells.push(Traffic {
                    from: PodRef::new(&from.namespace, &from.name).into(),
                    to: to.clone(),
                    port,
                    protocol,
                });
            }
        }
    }
    cells
}
