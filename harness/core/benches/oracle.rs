//! Oracle throughput benchmark: 1,000 pods, 200 policies, every pod pair on two ports (2,000,000 cells), one core.
//!
//! A plain binary (`harness = false`): `cargo bench -p netreach-core --bench oracle`; `scripts/bench-oracle`
//! runs it under `/usr/bin/time -v` and writes reports/oracle-bench.md. The world and policies are
//! generated from a fixed seed, so every run decides the same cells.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netreach_core::oracle::{Oracle, PodRef, Profile, Source, Target, Traffic};
use netreach_core::world::{ContainerPort, NamespaceInfo, NodeInfo, PodInfo, Protocol, World};
use serde_json::{Value, json};

const NAMESPACES: usize = 20;
const PODS: usize = 1_000;
const POLICIES: usize = 200;
const APPS: usize = 10;

/// A small deterministic generator (64-bit LCG), so the benchmark needs no extra dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn below(&mut self, n: usize) -> usize {
        self.next() % n
    }
}

fn world(rng: &mut Lcg) -> World {
    let namespaces = (0..NAMESPACES)
        .map(|n| NamespaceInfo {
            name: format!("ns{n}"),
            labels: BTreeMap::from([
                ("kubernetes.io/metadata.name".to_string(), format!("ns{n}")),
                ("team".to_string(), format!("t{}", n % 4)),
            ]),
        })
        .collect();
    let pods = (0..PODS)
        .map(|i| {
            let mut labels = BTreeMap::from([
                ("app".to_string(), format!("app{}", rng.below(APPS))),
                (
                    "tier".to_string(),
                    ["web", "api", "db"][rng.below(3)].to_string(),
                ),
            ]);
            if rng.below(4) == 0 {
                labels.insert("env".to_string(), "prod".to_string());
            }
            PodInfo {
                name: format!("pod{i}"),
                namespace: format!("ns{}", i % NAMESPACES),
                labels,
                ip: IpAddr::V4(Ipv4Addr::new(10, 42, (i / 250) as u8, (i % 250) as u8 + 1)),
                secondary_ip: None,
                node: format!("node{}", i % 3),
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
        })
        .collect();
    let nodes = (0..3)
        .map(|n| NodeInfo {
            name: format!("node{n}"),
            addresses: vec![IpAddr::V4(Ipv4Addr::new(172, 18, 0, n + 2))],
            labels: Default::default(),
        })
        .collect();
    World {
        namespaces,
        pods,
        nodes,
    }
}

fn selector(rng: &mut Lcg) -> Value {
    match rng.below(5) {
        0 => json!({}),
        1 => {
            let tier = ["web", "api", "db"][rng.below(3)];
            json!({"matchLabels": {"tier": tier}})
        }
        2 => json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}),
        _ => json!({"matchLabels": {"app": format!("app{}", rng.below(APPS))}}),
    }
}

fn peer(rng: &mut Lcg) -> Value {
    match rng.below(6) {
        0 => json!({"podSelector": selector(rng)}),
        1 => json!({"namespaceSelector": {"matchLabels": {"team": format!("t{}", rng.below(4))}}}),
        2 => json!({"namespaceSelector": {}, "podSelector": selector(rng)}),
        3 => {
            json!({"ipBlock": {"cidr": "10.42.0.0/16", "except": [format!("10.42.{}.0/24", rng.below(4))]}})
        }
        4 => json!({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}),
        _ => {
            json!({"namespaceSelector": {"matchLabels": {"team": format!("t{}", rng.below(4))}}, "podSelector": selector(rng)})
        }
    }
}

fn ports(rng: &mut Lcg) -> Value {
    match rng.below(5) {
        0 => json!([{"port": 80}]),
        1 => json!([{"port": "http"}, {"port": "dns", "protocol": "UDP"}]),
        2 => json!([{"port": 1, "endPort": 1024}]),
        3 => json!([{"protocol": "UDP"}]),
        _ => json!([]),
    }
}

fn policies(rng: &mut Lcg) -> Vec<NetworkPolicy> {
    (0..POLICIES)
        .map(|i| {
            let rules = |rng: &mut Lcg, key: &str| -> Vec<Value> {
                (0..rng.below(3))
                    .map(|_| {
                        let peers: Vec<Value> = (0..1 + rng.below(3)).map(|_| peer(rng)).collect();
                        json!({key: peers, "ports": ports(rng)})
                    })
                    .collect()
            };
            let types = ["Ingress", "Egress"];
            let policy_types: Vec<&str> = match rng.below(3) {
                0 => vec![types[0]],
                1 => vec![types[1]],
                _ => types.to_vec(),
            };
            let spec = json!({
                "podSelector": selector(rng),
                "policyTypes": policy_types,
                "ingress": rules(rng, "from"),
                "egress": rules(rng, "to"),
            });
            serde_json::from_value(json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": format!("policy{i}"), "namespace": format!("ns{}", rng.below(NAMESPACES))},
                "spec": spec,
            }))
            .expect("generated policy is valid JSON for NetworkPolicy")
        })
        .collect()
}

fn main() {
    let mut rng = Lcg(0x6e65_7472_6561_6368);
    let world = world(&mut rng);
    let policies = policies(&mut rng);
    let started = Instant::now();
    let oracle = Oracle::new(&world, &policies, Profile::default()).expect("valid policies");
    let compile = started.elapsed();
    let refs: Vec<PodRef> = world
        .pods
        .iter()
        .map(|p| PodRef::new(&p.namespace, &p.name))
        .collect();
    let ports = [(80, Protocol::Tcp), (53, Protocol::Udp)];

    // Each source's row of traffic is built once; only `from` changes (reusing its buffers), so the
    // loop measures the oracle, not string allocation.
    let mut row: Vec<Traffic> = refs
        .iter()
        .flat_map(|to| {
            ports.map(|(port, protocol)| Traffic {
                from: Source::Pod(refs[0].clone()),
                to: Target::Pod(to.clone()),
                port,
                protocol,
            })
        })
        .collect();
    let (mut cells, mut allowed, mut implementation_defined) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    for from in &refs {
        for traffic in &mut row {
            if let Source::Pod(pod) = &mut traffic.from {
                pod.clone_from(from);
            }
            let decision = oracle.decide(black_box(traffic)).expect("known pods");
            cells += 1;
            allowed += u64::from(decision.allowed);
            implementation_defined += u64::from(!decision.implementation_defined.is_empty());
            black_box(decision);
        }
    }
    let decide = started.elapsed();

    let started = Instant::now();
    let mut allowed_fast = 0u64;
    for from in &refs {
        for traffic in &mut row {
            if let Source::Pod(pod) = &mut traffic.from {
                pod.clone_from(from);
            }
            allowed_fast += u64::from(oracle.allows(black_box(traffic)).expect("known pods"));
        }
    }
    let allows = started.elapsed();
    assert_eq!(allowed, allowed_fast, "decide() and allows() disagree");

    let rate = |d: std::time::Duration| cells as f64 / d.as_secs_f64();
    println!("pods={PODS} policies={POLICIES} cells={cells}");
    println!(
        "allowed={allowed} denied={} implementation_defined={implementation_defined}",
        cells - allowed
    );
    println!("compile_ms={:.1}", compile.as_secs_f64() * 1e3);
    println!(
        "decide_s={:.3} decide_cells_per_s={:.0}",
        decide.as_secs_f64(),
        rate(decide)
    );
    println!(
        "allows_s={:.3} allows_cells_per_s={:.0}",
        allows.as_secs_f64(),
        rate(allows)
    );
}
