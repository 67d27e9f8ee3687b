//! The ClusterNetworkPolicy oracle against upstream's own conformance expectations (network-policy-api's
//! `conformance/`), with no cluster: builds upstream's world from `base/manifests.yaml` (namespaces, StatefulSet
//! pods and their named ports; IPs made up), loads each test's manifests, and judges every `PokeServer` probe that
//! runs before the test first changes its policies from Go code (later probes are listed as not judged). Prints a
//! Markdown report: per test, probes agreed / disagreed / not judged, and each disagreement with the oracle's reason.
//!
//! ```sh
//! dir=$(go mod download -json sigs.k8s.io/network-policy-api@v0.3.0 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
//! cargo run -p netreach-core --example cnp_upstream -- "$dir/conformance"
//! ```
//! Nothing of upstream is copied into this repository: it is read at run time.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use k8s_openapi::api::networking::v1::NetworkPolicy;
use netreach_core::cluster_policy::ClusterNetworkPolicy;
use netreach_core::oracle::{Oracle, PodRef, Profile, Target, Traffic};
use netreach_core::world::{
    ContainerPort, Labels, NamespaceInfo, NodeInfo, PodInfo, Protocol, World,
};
use serde_json::Value;

fn main() {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: cnp_upstream <network-policy-api>/conformance");
        std::process::exit(2);
    };
    match report(&dir) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

fn documents(path: &Path) -> Result<Vec<Value>, String> {
    let text =
        untemplate(&std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?);
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Upstream's base manifests are Go templates for the hostNetwork ports: `{{ index .HostNetworkPorts N }}` becomes
/// the made-up port 34000+N.
fn untemplate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let inner = &rest[start + 2..start + end];
        let n: u16 = inner
            .split_whitespace()
            .last()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        out.push_str(&(34000 + n).to_string());
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn labels_of(value: &Value) -> Labels {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Upstream's namespaces and StatefulSet pods (`<set>-<i>`), with the labels the StatefulSet controller adds.
fn world(dir: &Path) -> Result<World, String> {
    let mut world = World {
        nodes: vec![NodeInfo {
            name: "node-1".into(),
            addresses: vec![IpAddr::V4(Ipv4Addr::new(172, 18, 0, 2))],
            labels: Labels::from([("kubernetes.io/hostname".to_owned(), "node-1".to_owned())]),
        }],
        ..World::default()
    };
    for doc in documents(&dir.join("base/manifests.yaml"))? {
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match doc["kind"].as_str() {
            Some("Namespace") => {
                let mut labels = labels_of(&doc["metadata"]["labels"]);
                labels.insert("kubernetes.io/metadata.name".into(), name.clone());
                world.namespaces.push(NamespaceInfo { name, labels });
            }
            Some("StatefulSet") => {
                let namespace = doc["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let template = &doc["spec"]["template"];
                let ports: Vec<ContainerPort> = template["spec"]["containers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
                    .filter_map(|p| {
                        Some(ContainerPort {
                            name: p["name"].as_str().map(str::to_owned),
                            port: u16::try_from(p["containerPort"].as_u64()?).ok()?,
                            protocol: Protocol::from_api(p["protocol"].as_str().unwrap_or("TCP"))?,
                        })
                    })
                    .collect();
                for i in 0..doc["spec"]["replicas"].as_u64().unwrap_or(1) {
                    let pod = format!("{name}-{i}");
                    let mut labels = labels_of(&template["metadata"]["labels"]);
                    labels.insert("statefulset.kubernetes.io/pod-name".into(), pod.clone());
                    labels.insert("apps.kubernetes.io/pod-index".into(), i.to_string());
                    let n = world.pods.len();
                    let host_network = template["spec"]["hostNetwork"].as_bool() == Some(true);
                    world.pods.push(PodInfo {
                        name: pod,
                        namespace: namespace.clone(),
                        labels,
                        ip: if host_network {
                            world.nodes[0].addresses[0]
                        } else {
                            IpAddr::V4(Ipv4Addr::new(
                                10,
                                244,
                                (n / 200) as u8,
                                (n % 200 + 10) as u8,
                            ))
                        },
                        secondary_ip: None,
                        node: "node-1".into(),
                        host_network,
                        ports: ports.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(world)
}

/// The text between the parentheses of the call starting at `open` (the index of `(`), and the index after it.
fn call_args(text: &str, open: usize) -> Option<(Vec<String>, usize)> {
    let mut depth = 0;
    let mut args = Vec::new();
    let mut current = String::new();
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            ')' => {
                depth -= 1;
                if depth == 0 {
                    args.push(current.trim().to_owned());
                    return Some((args, open + i + 1));
                }
            }
            ',' if depth == 1 => {
                args.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    None
}

fn unquote(arg: &str) -> Option<String> {
    arg.strip_prefix('"')?.strip_suffix('"').map(str::to_owned)
}

/// A label change the test makes on a pod (`SetPodLabel` / `RemovePodLabel`): pod, key, new value (`None`: removed).
type LabelChange = (PodRef, String, Option<String>);

/// One step of a test, in order: a label change, or a probe with upstream's expectation.
enum Step {
    Label(LabelChange),
    Probe(Probe),
}

struct Probe {
    from: PodRef,
    to: PodRef,
    protocol: Protocol,
    port: u16,
    expected: bool,
}

struct Test {
    name: String,
    manifests: Vec<PathBuf>,
    /// Label changes and probes, in order, before the test first changes a policy or a namespace from Go.
    steps: Vec<Step>,
    /// Probes after the test changes policies in Go code.
    not_judged: usize,
}

/// Reads one test file: its name, manifests, and its probes in order, split at the first policy change.
fn parse_test(
    dir: &Path,
    path: &Path,
    constants: &BTreeMap<String, String>,
) -> Result<Option<Test>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let Some(name) = text
        .split("ShortName:")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    let manifests = text
        .split("Manifests:")
        .nth(1)
        .and_then(|rest| rest.split('{').nth(1))
        .and_then(|rest| rest.split('}').next())
        .map(|list| {
            list.split(',')
                .filter_map(|m| unquote(m.trim()))
                .map(|m| dir.join(m))
                .collect()
        })
        .unwrap_or_default();
    let change = [
        "kubernetes.Patch",
        ".Delete(ctx",
        ".Create(ctx",
        ".Update(ctx",
    ]
    .iter()
    .filter_map(|needle| text.find(needle))
    .min()
    .unwrap_or(text.len());
    let mut servers: BTreeMap<String, PodRef> = BTreeMap::new();
    let mut events: Vec<(usize, &str)> = text.match_indices("kubernetes.GetPod(").collect();
    events.extend(text.match_indices("kubernetes.PokeServer("));
    events.extend(text.match_indices("kubernetes.SetPodLabel("));
    events.extend(text.match_indices("kubernetes.RemovePodLabel("));
    events.sort();
    let resolve = |arg: &str| unquote(arg).or_else(|| constants.get(arg).cloned());
    let mut steps = Vec::new();
    let mut not_judged = 0;
    for (at, call) in events {
        let open = at + call.len() - 1;
        let Some((args, _)) = call_args(&text, open) else {
            continue;
        };
        if call.starts_with("kubernetes.GetPod") {
            let variable = text[..at]
                .trim_end()
                .trim_end_matches(":=")
                .trim_end_matches('=')
                .trim_end()
                .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default()
                .to_owned();
            if let (Some(ns), Some(pod)) = (unquote(&args[2]), unquote(&args[3])) {
                servers.insert(variable, PodRef::new(ns, pod));
            }
            continue;
        }
        if at > change {
            not_judged += usize::from(call.starts_with("kubernetes.PokeServer"));
            continue;
        }
        if call.starts_with("kubernetes.SetPodLabel")
            || call.starts_with("kubernetes.RemovePodLabel")
        {
            let set = call.starts_with("kubernetes.SetPodLabel");
            let change = (|| {
                let pod = PodRef::new(unquote(&args[2])?, unquote(&args[3])?);
                let value = if set { Some(resolve(&args[5])?) } else { None };
                Some((pod, resolve(&args[4])?, value))
            })();
            match change {
                Some(change) => steps.push(Step::Label(change)),
                // A label we cannot read: nothing after it can be judged.
                None => {
                    return Ok(Some(Test {
                        name,
                        manifests,
                        steps,
                        not_judged: usize::MAX,
                    }));
                }
            }
            continue;
        }
        let target = args[6].trim_end_matches(".Status.PodIP");
        let parsed = (|| {
            Some(Probe {
                from: PodRef::new(unquote(&args[3])?, unquote(&args[4])?),
                to: servers.get(target)?.clone(),
                protocol: Protocol::from_api(&unquote(&args[5])?.to_uppercase())?,
                port: args[7]
                    .trim_start_matches("int32(")
                    .trim_end_matches(')')
                    .parse()
                    .ok()?,
                expected: args[9] == "true",
            })
        })();
        match parsed {
            Some(probe) => steps.push(Step::Probe(probe)),
            None => not_judged += 1,
        }
    }
    Ok(Some(Test {
        name,
        manifests,
        steps,
        not_judged,
    }))
}

fn policies(paths: &[PathBuf]) -> Result<(Vec<NetworkPolicy>, Vec<ClusterNetworkPolicy>), String> {
    let mut network = Vec::new();
    let mut cluster = Vec::new();
    for path in paths {
        for doc in documents(path)? {
            match doc["kind"].as_str() {
                Some("NetworkPolicy") => network.push(
                    serde_json::from_value(doc).map_err(|e| format!("{}: {e}", path.display()))?,
                ),
                Some("ClusterNetworkPolicy") => cluster.push(
                    serde_json::from_value(doc).map_err(|e| format!("{}: {e}", path.display()))?,
                ),
                _ => {}
            }
        }
    }
    Ok((network, cluster))
}

/// `const name = "value"` of the test package (label keys the tests use).
fn constants(files: &[PathBuf]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("const ") else {
                continue;
            };
            if let Some((name, value)) = rest.split_once('=')
                && let Some(value) = unquote(value.trim())
            {
                out.insert(name.trim().to_owned(), value);
            }
        }
    }
    out
}

fn report(dir: &Path) -> Result<String, String> {
    let base_world = world(dir)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("tests"))
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "go"))
        .collect();
    files.sort();
    let constants = constants(&files);
    let mut rows = Vec::new();
    let mut details = Vec::new();
    let (mut agreed_total, mut disagreed_total, mut skipped_total) = (0, 0, 0);
    for file in files {
        let Some(test) = parse_test(dir, &file, &constants)? else {
            continue;
        };
        let (network, cluster) = policies(&test.manifests)?;
        let mut world = base_world.clone();
        let (mut agreed, mut disagreed) = (0, 0);
        for step in &test.steps {
            let probe = match step {
                Step::Label((pod, key, value)) => {
                    let target = world
                        .pods
                        .iter_mut()
                        .find(|p| p.namespace == pod.namespace && p.name == pod.name)
                        .ok_or_else(|| format!("{}: no pod {pod}", test.name))?;
                    match value {
                        Some(value) => target.labels.insert(key.clone(), value.clone()),
                        None => target.labels.remove(key),
                    };
                    continue;
                }
                Step::Probe(probe) => probe,
            };
            let oracle = Oracle::layered(&world, &network, &cluster, Profile::default())
                .map_err(|e| format!("{}: {e}", test.name))?;
            let traffic = Traffic {
                from: probe.from.clone().into(),
                to: Target::Pod(probe.to.clone()),
                port: probe.port,
                protocol: probe.protocol,
            };
            let decision = oracle
                .decide(&traffic)
                .map_err(|e| format!("{}: {e}", test.name))?;
            if decision.allowed == probe.expected {
                agreed += 1;
            } else {
                disagreed += 1;
                let why = oracle
                    .explain(&traffic)
                    .map_err(|e| e.to_string())?
                    .lines()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                details.push(format!(
                    "- {}: {traffic}: upstream expects {}, the oracle says {} ({why})",
                    test.name,
                    if probe.expected { "allowed" } else { "denied" },
                    if decision.allowed {
                        "allowed"
                    } else {
                        "denied"
                    },
                ));
            }
        }
        agreed_total += agreed;
        disagreed_total += disagreed;
        skipped_total += test.not_judged;
        rows.push(format!(
            "| {} | {} | {agreed} | {disagreed} | {} |",
            test.name,
            test.manifests
                .iter()
                .filter_map(|m| m.strip_prefix(dir).ok())
                .map(|m| m.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            test.not_judged
        ));
    }
    let mut out = String::from(
        "| upstream test | manifests | agreed | disagreed | not judged (after a policy change in Go) |\n|---|---|---|---|---|\n",
    );
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    out.push_str(&format!(
        "\n{agreed_total} probes agreed, {disagreed_total} disagreed, {skipped_total} not judged.\n"
    ));
    if !details.is_empty() {
        out.push_str("\nDisagreements:\n\n");
        for line in details {
            out.push_str(&line);
            out.push('\n');
        }
    }
    Ok(out)
}
