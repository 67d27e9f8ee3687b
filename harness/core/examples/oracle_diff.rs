//! Differential check of the oracle against Cyclonus' matcher (tools/oracle-diff): random cases, agreement rate, classified disagreements.
//!
//! `cargo run -p netreach-core --example oracle_diff -- --driver PATH [--cases N] [--seed S] [--report FILE]`
//! (`scripts/oracle-differential` builds the driver and runs this). Scenarios (a small world and a
//! few policies) are generated from the seed; every case is decided by both engines. A
//! disagreement is classified by re-deciding it with our oracle under a hypothesis: a profile
//! switch flipped (implementation-defined), or the policies rewritten to mimic a known Cyclonus
//! deviation (NotIn on an absent key; `matchLabels {k: ""}` on a pod lacking k). What no hypothesis
//! explains is reported as unexplained, with our explanation, for a human to judge.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, ExitCode, Stdio};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netreach_core::oracle::{Oracle, PodRef, Profile, ProfileSwitch, Target, Traffic};
use netreach_core::world::{
    ContainerPort, Labels, NamespaceInfo, NodeInfo, PodInfo, Protocol, World,
};
use serde_json::{Value, json};

const CASES_PER_SCENARIO: usize = 25;
const OUTSIDE: [&str; 5] = [
    "8.8.8.8",
    "192.168.100.21",
    "192.168.5.5",
    "172.18.0.2",
    "10.1.9.9",
];
const BLOCKS: [(&str, &[&str]); 5] = [
    ("10.1.0.0/16", &["10.1.1.0/24"]),
    ("0.0.0.0/0", &["192.168.100.21/32"]),
    ("10.1.2.1/32", &[]),
    ("192.168.0.0/16", &["192.168.100.0/24"]),
    ("172.18.0.0/24", &[]),
];

/// Deterministic 64-bit LCG.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

struct Scenario {
    world: World,
    policies: Vec<Value>,
    cases: Vec<Traffic>,
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn world(rng: &mut Rng) -> World {
    let mut namespaces = Vec::new();
    let mut pods = Vec::new();
    for (n, ns) in ["x", "y", "z"].into_iter().enumerate() {
        let mut ns_labels = labels(&[("kubernetes.io/metadata.name", ns)]);
        if !rng.chance(3) {
            ns_labels.insert("team".into(), rng.pick(&["a", "b"]).into());
        }
        if rng.chance(4) {
            ns_labels.insert("env".into(), String::new());
        }
        namespaces.push(NamespaceInfo {
            name: ns.into(),
            labels: ns_labels,
        });
        for i in 0..2 + rng.below(2) {
            let mut pod_labels = labels(&[("app", rng.pick(&["a", "b", "c"]))]);
            if !rng.chance(3) {
                pod_labels.insert("tier".into(), rng.pick(&["web", "db", ""]).into());
            }
            let http = if rng.chance(3) { 8080 } else { 80 };
            let port = |name: &str, port, protocol| ContainerPort {
                name: Some(name.into()),
                port,
                protocol,
            };
            pods.push(PodInfo {
                name: format!("p{i}"),
                namespace: ns.into(),
                labels: pod_labels,
                ip: format!("10.1.{n}.{}", i + 1).parse().expect("ip"),
                secondary_ip: None,
                node: "node-1".into(),
                host_network: false,
                ports: vec![
                    port("http", http, Protocol::Tcp),
                    port("dns", 53, Protocol::Udp),
                    port("metrics", 9090, Protocol::Tcp),
                    port("sctp", 5000, Protocol::Sctp),
                ],
            });
        }
    }
    let nodes = vec![NodeInfo {
        name: "node-1".into(),
        addresses: vec!["172.18.0.2".parse().expect("ip")],
        labels: Default::default(),
    }];
    World {
        namespaces,
        pods,
        nodes,
    }
}

fn pod_selector(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 | 1 => json!({}),
        2 => json!({"matchLabels": {"app": rng.pick(&["a", "b", "c"])}}),
        3 => json!({"matchLabels": {"tier": ""}}),
        4 => json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}),
        5 => {
            json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", ""]}]})
        }
        6 => {
            json!({"matchExpressions": [{"key": "tier", "operator": rng.pick(&["Exists", "DoesNotExist"])}]})
        }
        _ => {
            json!({"matchLabels": {"app": rng.pick(&["a", "b"])}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]})
        }
    }
}

fn namespace_selector(rng: &mut Rng) -> Value {
    match rng.below(5) {
        0 => json!({}),
        1 => json!({"matchLabels": {"team": "a"}}),
        2 => json!({"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["b"]}]}),
        3 => json!({"matchLabels": {"env": ""}}),
        _ => json!({"matchLabels": {"kubernetes.io/metadata.name": rng.pick(&["x", "y", "z"])}}),
    }
}

fn peer(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 => json!({"podSelector": pod_selector(rng)}),
        1 => json!({"namespaceSelector": namespace_selector(rng)}),
        2 => {
            json!({"podSelector": pod_selector(rng), "namespaceSelector": namespace_selector(rng)})
        }
        _ => {
            let (cidr, except) = rng.pick(&BLOCKS);
            json!({"ipBlock": {"cidr": cidr, "except": except}})
        }
    }
}

fn port(rng: &mut Rng) -> Value {
    rng.pick(&[
        json!({"port": 80}),
        json!({"port": 53, "protocol": "UDP"}),
        json!({"port": "http"}),
        json!({"port": "dns", "protocol": "UDP"}),
        json!({"port": "metrics"}),
        json!({"port": 9000, "endPort": 9100}),
        json!({"protocol": "SCTP"}),
        json!({"protocol": "UDP"}),
        json!({"port": 8080}),
    ])
}

fn rule(rng: &mut Rng, peers_key: &str) -> Value {
    let mut rule = serde_json::Map::new();
    if !rng.chance(3) {
        rule.insert(
            "ports".into(),
            (0..1 + rng.below(2)).map(|_| port(rng)).collect(),
        );
    }
    if !rng.chance(4) {
        rule.insert(
            peers_key.into(),
            (0..1 + rng.below(3)).map(|_| peer(rng)).collect(),
        );
    }
    Value::Object(rule)
}

fn policies(rng: &mut Rng) -> Vec<Value> {
    (0..1 + rng.below(4))
        .map(|i| {
            let mut spec = json!({
                "podSelector": pod_selector(rng),
                "ingress": (0..rng.below(3)).map(|_| rule(rng, "from")).collect::<Vec<_>>(),
                "egress": (0..rng.below(3)).map(|_| rule(rng, "to")).collect::<Vec<_>>(),
            });
            match rng.below(4) {
                0 => {}
                1 => spec["policyTypes"] = json!(["Ingress"]),
                2 => spec["policyTypes"] = json!(["Egress"]),
                _ => spec["policyTypes"] = json!(["Ingress", "Egress"]),
            }
            json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": format!("np{i}"), "namespace": rng.pick(&["x", "y", "z"])},
                "spec": spec,
            })
        })
        .collect()
}

fn cases(rng: &mut Rng, world: &World) -> Vec<Traffic> {
    let refs: Vec<PodRef> = world
        .pods
        .iter()
        .map(|p| PodRef::new(&p.namespace, &p.name))
        .collect();
    (0..CASES_PER_SCENARIO)
        .map(|_| {
            let from = rng.pick(&refs);
            let to = match rng.below(10) {
                0 => Target::Pod(from.clone()),
                1..=6 => Target::Pod(rng.pick(&refs)),
                _ => Target::Address(rng.pick(&OUTSIDE).parse().expect("ip")),
            };
            let (port, protocol) = rng.pick(&[
                (80, Protocol::Tcp),
                (8080, Protocol::Tcp),
                (53, Protocol::Udp),
                (53, Protocol::Tcp),
                (9090, Protocol::Tcp),
                (9050, Protocol::Tcp),
                (9100, Protocol::Tcp),
                (9000, Protocol::Udp),
                (5000, Protocol::Sctp),
                (443, Protocol::Tcp),
            ]);
            Traffic {
                from: from.into(),
                to,
                port,
                protocol,
            }
        })
        .collect()
}

/// API defaulting of `policyTypes` (Cyclonus requires it to be set).
fn defaulted(policy: &Value) -> Value {
    let mut policy = policy.clone();
    let spec = &mut policy["spec"];
    if spec["policyTypes"].as_array().is_none_or(|t| t.is_empty()) {
        let has_egress = spec["egress"].as_array().is_some_and(|e| !e.is_empty());
        spec["policyTypes"] = if has_egress {
            json!(["Ingress", "Egress"])
        } else {
            json!(["Ingress"])
        };
    }
    policy
}

/// A case in the shape of Cyclonus' `matcher.Traffic`.
fn cyclonus_case(world: &World, t: &Traffic) -> Value {
    let peer = |pod: &PodInfo| {
        let ns_labels = world
            .namespace(&pod.namespace)
            .map(|n| n.labels.clone())
            .unwrap_or_default();
        json!({"Internal": {"PodLabels": pod.labels, "NamespaceLabels": ns_labels, "Namespace": pod.namespace}, "IP": pod.ip.to_string()})
    };
    let source = t.from.pod().expect("generated pod");
    let from = world
        .pod(&source.namespace, &source.name)
        .expect("generated pod");
    let (destination, port_name) = match &t.to {
        Target::Pod(to) => {
            let to = world.pod(&to.namespace, &to.name).expect("generated pod");
            // The probed container port's name, as Cyclonus' own prober passes it.
            let name = to
                .ports
                .iter()
                .find(|c| c.port == t.port && c.protocol == t.protocol)
                .and_then(|c| c.name.clone())
                .unwrap_or_default();
            (peer(to), name)
        }
        Target::Address(ip) => (json!({"IP": ip.to_string()}), String::new()),
    };
    json!({"Source": peer(from), "Destination": destination, "ResolvedPort": t.port, "ResolvedPortName": port_name, "Protocol": t.protocol.as_api()})
}

/// Rewrites every selector in the policies with `f`.
fn rewrite_selectors(policies: &[Value], f: &dyn Fn(&mut Value)) -> Vec<Value> {
    fn walk(value: &mut Value, f: &dyn Fn(&mut Value)) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if (key == "podSelector" || key == "namespaceSelector") && child.is_object() {
                        f(child);
                    } else {
                        walk(child, f);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, f)),
            _ => {}
        }
    }
    policies
        .iter()
        .cloned()
        .map(|mut p| {
            walk(&mut p, f);
            p
        })
        .collect()
}

/// Cyclonus' NotIn: the key must be present.
fn mimic_not_in(selector: &mut Value) {
    let Some(exprs) = selector["matchExpressions"].as_array().cloned() else {
        return;
    };
    let mut out = exprs.clone();
    for e in exprs.iter().filter(|e| e["operator"] == "NotIn") {
        out.push(json!({"key": e["key"], "operator": "Exists"}));
    }
    selector["matchExpressions"] = Value::Array(out);
}

/// Cyclonus' `matchLabels {k: ""}`: also matches objects lacking k (k absent or empty).
fn mimic_empty_value(world: &World, selector: &mut Value) {
    let Some(labels) = selector["matchLabels"].as_object().cloned() else {
        return;
    };
    let mut kept = serde_json::Map::new();
    let mut exprs = selector["matchExpressions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (key, value) in labels {
        if value != "" {
            kept.insert(key, value);
            continue;
        }
        let mut others: Vec<String> = world
            .pods
            .iter()
            .map(|p| &p.labels)
            .chain(world.namespaces.iter().map(|n| &n.labels))
            .filter_map(|l| l.get(&key).filter(|v| !v.is_empty()).cloned())
            .collect();
        others.push("netreach-no-such-value".into());
        exprs.push(json!({"key": key, "operator": "NotIn", "values": others}));
    }
    selector["matchLabels"] = Value::Object(kept);
    selector["matchExpressions"] = Value::Array(exprs);
}

/// (allowed, egress permits, ingress permits), the shape of Cyclonus' answer.
type Outcome = (bool, bool, bool);

fn outcome(world: &World, policies: &[Value], profile: Profile, t: &Traffic) -> Option<Outcome> {
    let policies: Vec<NetworkPolicy> = policies
        .iter()
        .map(|p| serde_json::from_value(p.clone()).ok())
        .collect::<Option<_>>()?;
    let d = Oracle::new(world, &policies, profile)
        .ok()?
        .decide(t)
        .ok()?;
    Some((d.allowed, d.egress.permits(), d.ingress.permits()))
}

/// Why our outcome differs from Cyclonus' `theirs`: the smallest set of hypotheses under which
/// our oracle gives exactly Cyclonus' answer (overall and per side).
fn classify(s: &Scenario, t: &Traffic, theirs: Outcome) -> String {
    let self_switch = ProfileSwitch::PolicyAppliesToSelfTraffic;
    let cyclonus_profile = Profile::default().flipped(self_switch);
    let not_in = rewrite_selectors(&s.policies, &mimic_not_in);
    let empty = rewrite_selectors(&s.policies, &|sel| mimic_empty_value(&s.world, sel));
    let both = rewrite_selectors(&not_in, &|sel| mimic_empty_value(&s.world, sel));
    let self_label = format!("implementation-defined: {self_switch} (Cyclonus: true)");
    let not_in_label = "Cyclonus deviation: NotIn does not match an object lacking the key";
    let empty_label = "Cyclonus deviation: matchLabels {k: \"\"} matches an object lacking k";
    let hypotheses: [(Vec<&str>, Profile, &[Value]); 7] = [
        (vec![&self_label], cyclonus_profile, &s.policies),
        (vec![not_in_label], Profile::default(), &not_in),
        (vec![empty_label], Profile::default(), &empty),
        (vec![not_in_label, empty_label], Profile::default(), &both),
        (vec![&self_label, not_in_label], cyclonus_profile, &not_in),
        (vec![&self_label, empty_label], cyclonus_profile, &empty),
        (
            vec![&self_label, not_in_label, empty_label],
            cyclonus_profile,
            &both,
        ),
    ];
    for (labels, profile, policies) in hypotheses {
        if outcome(&s.world, policies, profile, t) == Some(theirs) {
            return labels.join(" + ");
        }
    }
    "unexplained (check our side)".into()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(driver) = arg("--driver") else {
        eprintln!("usage: oracle_diff --driver PATH [--cases N] [--seed S] [--report FILE]");
        return ExitCode::from(2);
    };
    let wanted: usize = arg("--cases").and_then(|n| n.parse().ok()).unwrap_or(1000);
    let seed: u64 = arg("--seed").and_then(|n| n.parse().ok()).unwrap_or(1);
    let mut rng = Rng(seed);
    let scenarios: Vec<Scenario> = (0..wanted.div_ceil(CASES_PER_SCENARIO))
        .map(|_| {
            let world = world(&mut rng);
            let policies = policies(&mut rng);
            let cases = cases(&mut rng, &world);
            Scenario {
                world,
                policies,
                cases,
            }
        })
        .collect();

    let input = json!({"scenarios": scenarios.iter().map(|s| json!({
        "policies": s.policies.iter().map(defaulted).collect::<Vec<_>>(),
        "cases": s.cases.iter().map(|t| cyclonus_case(&s.world, t)).collect::<Vec<_>>(),
    })).collect::<Vec<_>>()});
    let output = match run_driver(&driver, &input) {
        Ok(output) => output,
        Err(error) => {
            eprintln!("oracle_diff: {error}");
            return ExitCode::from(2);
        }
    };

    let mut total = 0usize;
    let mut agree = 0usize;
    let mut classes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (s, verdicts) in scenarios.iter().zip(&output) {
        let policies: Vec<NetworkPolicy> = s
            .policies
            .iter()
            .filter_map(|p| serde_json::from_value(p.clone()).ok())
            .collect();
        let oracle = match Oracle::new(&s.world, &policies, Profile::default()) {
            Ok(o) => o,
            Err(error) => {
                eprintln!("oracle_diff: our oracle rejected generated policies: {error}");
                return ExitCode::from(2);
            }
        };
        for (t, verdict) in s
            .cases
            .iter()
            .zip(verdicts.as_array().into_iter().flatten())
        {
            total += 1;
            let ours = oracle.decide(t).map(|d| d.allowed).unwrap_or(false);
            let theirs = (
                verdict["allowed"].as_bool(),
                verdict["egress"].as_bool(),
                verdict["ingress"].as_bool(),
            );
            let class = match theirs {
                (Some(allowed), _, _) if allowed == ours => {
                    agree += 1;
                    continue;
                }
                (Some(allowed), Some(egress), Some(ingress)) => {
                    classify(s, t, (allowed, egress, ingress))
                }
                _ => format!(
                    "Cyclonus error: {}",
                    verdict["error"].as_str().unwrap_or("no verdict")
                ),
            };
            let detail = format!(
                "{t}: ours {}, Cyclonus {}\n\n```\n{}\n```\n\npolicies:\n\n```json\n{}\n```",
                if ours { "allowed" } else { "denied" },
                if ours { "denied" } else { "allowed" },
                oracle.explain(t).unwrap_or_default().trim_end(),
                serde_json::to_string_pretty(&s.policies).unwrap_or_default()
            );
            classes.entry(class).or_default().push(detail);
        }
    }
    let unexplained = classes
        .keys()
        .filter(|c| c.starts_with("unexplained") || c.starts_with("Cyclonus error"))
        .count();
    let rate = 100.0 * agree as f64 / total.max(1) as f64;
    println!("cases={total} agree={agree} agreement={rate:.2}%");
    for (class, items) in &classes {
        println!("  {:>5}  {class}", items.len());
    }
    if let Some(path) = arg("--report") {
        let mut md = format!(
            "# Oracle differential check against Cyclonus\n\nGenerated by `scripts/oracle-differential` (seed {seed}): \
             {} random scenarios (3 namespaces, 6-9 pods, 1-4 policies mixing pod/namespace selectors, \
             ipBlocks with except, numeric/named/range ports, TCP/UDP/SCTP, both directions), {total} cases \
             (pod to pod, pod to itself, pod to outside and node addresses), decided by netreach's oracle \
             (default profile) and by Cyclonus v0.5.6's `matcher` package (tools/oracle-diff; policies given \
             with API-defaulted `policyTypes`).\n\n**Agreement: {agree} / {total} = {rate:.2}%**\n\n\
             | disagreements | class |\n|---:|---|\n",
            scenarios.len()
        );
        for (class, items) in &classes {
            md.push_str(&format!("| {} | {class} |\n", items.len()));
        }
        md.push_str("\nA disagreement is classified by re-deciding it with our oracle under a hypothesis: one profile \
                     switch flipped (implementation-defined), or the policies rewritten to behave like a known Cyclonus \
                     deviation from Kubernetes; the smallest set of hypotheses that reproduces Cyclonus' answer \
                     (overall, egress and ingress) names the class. Unexplained ones would point at a bug on one side. \
                     A hypothesis can in principle mask a bug of ours that happens to give the same answer on that case.\n");
        for (class, items) in &classes {
            md.push_str(&format!(
                "\n## {class}\n\nFirst example of {}:\n\n{}\n",
                items.len(),
                items[0]
            ));
        }
        if let Err(error) = std::fs::write(&path, md) {
            eprintln!("oracle_diff: cannot write {path}: {error}");
            return ExitCode::from(2);
        }
        println!("wrote {path}");
    }
    if unexplained > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_driver(driver: &str, input: &Value) -> Result<Vec<Value>, String> {
    let mut child = Command::new(driver)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {driver}: {e}"))?;
    let body = serde_json::to_vec(input).map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(&body)
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("{driver} failed: {}", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bad driver output: {e}"))
}
