//! What a run creates, per mode, with placement (pure; no client): the namespaces, the source and server pods, and
//! which created pod stands for which suite pod or destination. The deployer only creates it and waits.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Pod, Service};
use netreach_core::placement::place;
use netreach_core::suite::{
    DestinationKind, FixturePod, ServerDestination, Suite, source_service_name,
};
use netreach_core::world::{Labels, Protocol};

use crate::fixtures::{FixtureImages, Mode};
use crate::objects::{self, DESTINATION_LABEL, PodPlacement, SOURCE_LABEL};

/// Everything a run creates before its first phase, in creation order.
#[derive(Debug, Clone)]
pub struct FixturePlan {
    /// Namespaces with their labels: netreach's own first, then the run's namespaces of the suite's (in `Create`
    /// mode only; named by `namespaces`).
    pub namespaces: Vec<(String, Labels)>,
    /// Source pods (`Create` mode; not those created in a phase), then server pods.
    pub pods: Vec<Pod>,
    /// Server destination name -> `(namespace, pod name)` of its pod.
    pub servers: BTreeMap<String, (String, String)>,
    /// Services in front of servers (one per server some Service destination names), created after the pods.
    pub services: Vec<Service>,
}

impl FixturePlan {
    /// Namespaces the plan puts pods or Services in without creating them (`--use-existing` with a server the suite
    /// places in its namespace): cleanup deletes the run's labelled objects there, since no namespace deletion will.
    pub fn placed_in_existing_namespaces(&self) -> BTreeSet<String> {
        let own: BTreeSet<&str> = self.namespaces.iter().map(|(n, _)| n.as_str()).collect();
        let pods = self.pods.iter().map(|p| &p.metadata);
        let services = self.services.iter().map(|s| &s.metadata);
        pods.chain(services)
            .filter_map(|m| m.namespace.as_deref())
            .filter(|n| !own.contains(n))
            .map(str::to_owned)
            .collect()
    }
}

/// The ports (protocol, number) the suite's hostNetwork servers bind on their nodes (two runs needing one of them
/// cannot run at once), sorted.
pub fn host_ports(suite: &Suite) -> Vec<(Protocol, u16)> {
    let ports = suite.destinations.iter().flat_map(|d| match &d.kind {
        DestinationKind::Server(server) if server.host_network => {
            server.ports.iter().map(|p| (p.protocol, p.port)).collect()
        }
        _ => Vec::new(),
    });
    let ports: std::collections::BTreeSet<(Protocol, u16)> = ports.collect();
    ports.into_iter().collect()
}

/// Why `--use-existing` cannot run `suite`, if it cannot: it creates no pods in the existing namespace, so a pod
/// created in a phase, a `self` destination (the source pods would have to serve its ports), or a second namespace is
/// refused before anything is created. (A server the suite places in its namespace, `namespace:`, is created there,
/// labelled with the run, and removed by cleanup with the Service in front of it.)
pub fn use_existing_refusal(suite: &Suite) -> Option<String> {
    if let Some(pod) = suite.pods.iter().find(|p| p.created_in.is_some()) {
        return Some(format!(
            "--use-existing creates no pods, but pod {} has createdIn",
            pod.name
        ));
    }
    if let Some(own) = suite
        .destinations
        .iter()
        .find(|d| matches!(d.kind, DestinationKind::SelfTraffic { .. }))
    {
        return Some(format!(
            "--use-existing creates no pods, but destination {} needs the source pods to serve its ports (a `self` \
             destination)",
            own.name
        ));
    }
    (suite.namespaces.len() != 1)
        .then(|| "--use-existing needs a suite with exactly one namespace".into())
}

/// The fixtures' inputs that do not change during a run.
pub struct FixtureSpec<'a> {
    pub suite: &'a Suite,
    pub run_id: &'a str,
    pub images: &'a FixtureImages,
    pub mode: &'a Mode,
    /// Suite namespace -> namespace in the cluster.
    pub namespaces: &'a BTreeMap<String, String>,
    /// Schedulable nodes (fixtures are pinned round-robin when there are two or more).
    pub nodes: &'a [String],
}

impl<'a> FixtureSpec<'a> {
    /// The fixtures to create before the first phase.
    pub fn plan(&self) -> FixturePlan {
        let own = objects::own_namespace(self.run_id);
        let placement = self.placement();
        let mut namespaces = vec![(own.clone(), Labels::new())];
        let mut pods = Vec::new();
        if matches!(self.mode, Mode::Create) {
            namespaces.extend(
                self.suite
                    .namespaces
                    .iter()
                    .map(|ns| (self.namespaces[&ns.name].clone(), ns.labels.clone())),
            );
            for pod in self.suite.pods.iter().filter(|p| p.created_in.is_none()) {
                pods.push(self.probe_pod(pod, &placement));
            }
        }
        let mut servers = BTreeMap::new();
        for (name, server) in self.servers() {
            let namespace = server
                .namespace
                .as_ref()
                .map(|ns| self.namespaces[ns].clone())
                .unwrap_or_else(|| own.clone());
            let mut labels = server.labels.clone();
            labels.insert(DESTINATION_LABEL.into(), name.to_owned());
            labels.extend(objects::ownership_labels(self.run_id));
            let node = placement.get(name).map(String::as_str);
            let at = |image: &'a str| PodPlacement {
                namespace: &namespace,
                name,
                labels: &labels,
                image,
                node,
            };
            pods.push(match server.ports.as_slice() {
                [only] if only.protocol == Protocol::Tcp => objects::server_pod(
                    &at(&self.images.server),
                    only.port,
                    only.name.as_deref().unwrap_or("http"),
                    &server.body,
                    server.host_network,
                ),
                ports => objects::netexec_server_pod(
                    &at(&self.images.agnhost),
                    ports,
                    server.host_network,
                ),
            });
            servers.insert(name.to_owned(), (namespace, name.to_owned()));
        }
        let mut services: Vec<Service> = Vec::new();
        for destination in &self.suite.destinations {
            let DestinationKind::Service(spec) = &destination.kind else {
                continue;
            };
            let fronted = services
                .iter()
                .any(|s| s.metadata.name.as_deref() == Some(spec.of.as_str()));
            if let (false, Some((namespace, _))) = (fronted, servers.get(&spec.of)) {
                let dual_stack = self.suite.destinations.iter().any(|d| {
                    d.family.is_some()
                        && matches!(&d.kind, DestinationKind::Service(s) if s.of == spec.of)
                });
                services.push(objects::cluster_ip_service(
                    namespace,
                    &spec.of,
                    (DESTINATION_LABEL, &spec.of),
                    &spec.ports,
                    self.run_id,
                    dual_stack,
                ));
            }
        }
        // Each source pod's own Service, for a Service of the `self` destination (pods created later too: it selects
        // them once they exist).
        if let Some(of) = self.suite.self_service() {
            for pod in &self.suite.pods {
                services.push(objects::cluster_ip_service(
                    &self.namespaces[&pod.namespace],
                    &source_service_name(of, &pod.name),
                    (SOURCE_LABEL, &pod.name),
                    &self.suite.self_ports(),
                    self.run_id,
                    false,
                ));
            }
        }
        // Pod Security: only a namespace netreach creates and that holds a hostNetwork fixture may hold privileged
        // pods; everything else stays admissible at `restricted`.
        for (name, labels) in &mut namespaces {
            let privileged = pods.iter().any(|p| {
                objects::needs_privileged(p) && p.metadata.namespace.as_ref() == Some(name)
            });
            if privileged {
                let pss = objects::PRIVILEGED_LABELS.iter();
                labels.extend(pss.map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
            }
        }
        FixturePlan {
            namespaces,
            pods,
            servers,
            services,
        }
    }

    /// The source pods created when `phase` starts (`createdIn`), placed as [`Self::plan`] places them.
    pub fn late_pods(&self, phase: &str) -> Vec<(&FixturePod, Pod)> {
        let placement = self.placement();
        self.suite
            .pods
            .iter()
            .filter(|p| p.created_in.as_deref() == Some(phase))
            .map(|pod| (pod, self.probe_pod(pod, &placement)))
            .collect()
    }

    fn placement(&self) -> BTreeMap<String, String> {
        let sources: Vec<String> = self.suite.pods.iter().map(|p| p.name.clone()).collect();
        let servers: Vec<String> = self.servers().map(|(name, _)| name.to_owned()).collect();
        place(&sources, &servers, self.nodes)
    }

    fn servers(&self) -> impl Iterator<Item = (&str, &ServerDestination)> {
        self.suite
            .destinations
            .iter()
            .filter_map(|d| match &d.kind {
                DestinationKind::Server(server) => Some((d.name.as_str(), server)),
                DestinationKind::External(_)
                | DestinationKind::Service(_)
                | DestinationKind::SelfTraffic { .. } => None,
            })
    }

    fn probe_pod(&self, pod: &FixturePod, placement: &BTreeMap<String, String>) -> Pod {
        let mut labels = pod.labels.clone();
        if self.suite.self_service().is_some() {
            labels.insert(SOURCE_LABEL.into(), pod.name.clone());
        }
        labels.extend(objects::ownership_labels(self.run_id));
        let mut probe = objects::probe_pod(&PodPlacement {
            namespace: &self.namespaces[&pod.namespace],
            name: &pod.name,
            labels: &labels,
            image: &self.images.probe,
            node: placement.get(&pod.name).map(String::as_str),
        });
        let other_protocols = self
            .suite
            .columns()
            .iter()
            .any(|c| c.protocol != Protocol::Tcp);
        if other_protocols {
            objects::add_connect_container(&mut probe, &self.images.agnhost);
        }
        objects::add_self_servers(
            &mut probe,
            &self.images.agnhost,
            &self.suite.self_ports(),
            pod.host_network,
        );
        if let Some(spec) = probe.spec.as_mut().filter(|_| pod.host_network) {
            spec.host_network = Some(true);
        }
        probe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(file: &str) -> Suite {
        crate::test_suites::repository_suite(file)
    }

    static IMAGES: FixtureImages = FixtureImages {
        probe: String::new(),
        server: String::new(),
        agnhost: String::new(),
    };

    /// The plan of `suite` for run `abcd1234` on `nodes`.
    fn spec<'a>(
        suite: &'a Suite,
        mode: &'a Mode,
        namespaces: &'a BTreeMap<String, String>,
        nodes: &'a [String],
    ) -> FixtureSpec<'a> {
        FixtureSpec {
            suite,
            run_id: "abcd1234",
            images: &IMAGES,
            mode,
            namespaces,
            nodes,
        }
    }

    fn names(pods: &[Pod]) -> Vec<String> {
        pods.iter()
            .map(|p| {
                let meta = &p.metadata;
                format!(
                    "{}/{}@{}",
                    meta.namespace.as_deref().unwrap_or_default(),
                    meta.name.as_deref().unwrap_or_default(),
                    p.spec
                        .as_ref()
                        .and_then(|s| s.node_name.as_deref())
                        .unwrap_or("-")
                )
            })
            .collect()
    }

    /// The run's namespaces, as `Deployer::preflight` maps them.
    fn run_map(suite: &Suite) -> BTreeMap<String, String> {
        netreach_core::isolation::run_namespaces(suite, "abcd1234").unwrap()
    }

    #[test]
    fn create_mode_makes_the_suites_namespaces_sources_and_servers_on_one_node_unpinned() {
        let suite = suite("suites/conformance/new-pod.yaml");
        let namespaces = run_map(&suite);
        let nodes = ["node-a".to_owned()];
        let spec = spec(&suite, &Mode::Create, &namespaces, &nodes);
        let plan = spec.plan();
        let created: Vec<&str> = plan.namespaces.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            created,
            [
                "netreach-abcd1234",
                "nrc-newpod-abcd1234",
                "nrc-newpod-web-abcd1234"
            ]
        );
        // `late` and `late-in` are created in phase `deny`, not before.
        assert_eq!(
            names(&plan.pods),
            [
                "nrc-newpod-abcd1234/early@-",
                "nrc-newpod-web-abcd1234/web@-"
            ]
        );
        assert_eq!(
            plan.servers["web"],
            ("nrc-newpod-web-abcd1234".to_owned(), "web".to_owned())
        );
        // No hostNetwork fixture: every namespace keeps its labels, Pod Security's default applies.
        assert!(
            plan.namespaces
                .iter()
                .all(|(_, labels)| !labels.keys().any(|k| k.starts_with("pod-security")))
        );
        let late: Vec<String> = spec
            .late_pods("deny")
            .iter()
            .map(|(p, _)| p.name.clone())
            .collect();
        assert_eq!(late, ["late", "late-in"]);
        assert!(spec.late_pods("before").is_empty());
    }

    #[test]
    fn host_ports_are_those_of_host_network_servers() {
        assert_eq!(
            host_ports(&suite("suites/metadata-access.yaml")),
            [(Protocol::Tcp, 32000)]
        );
        assert!(host_ports(&suite("suites/conformance/new-pod.yaml")).is_empty());
    }

    #[test]
    fn two_nodes_pin_sources_and_servers_round_robin() {
        let suite = suite("suites/metadata-access.yaml");
        let namespaces = run_map(&suite);
        let nodes = ["b".to_owned(), "a".to_owned()];
        let spec = spec(&suite, &Mode::Create, &namespaces, &nodes);
        assert_eq!(
            names(&spec.plan().pods),
            [
                "metadata-access-abcd1234/pod1@a",
                "metadata-access-abcd1234/pod2@b",
                "metadata-access-abcd1234/pod3@a",
                "netreach-abcd1234/metadata@a",
                "netreach-abcd1234/web@b",
            ]
        );
    }

    #[test]
    fn use_existing_refuses_phase_pods_self_cells_and_a_second_namespace() {
        let refusal = |file: &str| use_existing_refusal(&suite(file));
        assert_eq!(refusal("suites/metadata-access.yaml"), None);
        let services = refusal("suites/conformance/services.yaml").unwrap_or_default();
        assert!(services.contains("exactly one namespace"), "{services}");
        let own = refusal("suites/conformance/self.yaml").unwrap_or_default();
        assert!(
            own.contains("destination self needs the source pods"),
            "{own}"
        );
        let late = refusal("suites/conformance/new-pod.yaml").unwrap_or_default();
        assert!(late.contains("has createdIn"), "{late}");
    }

    #[test]
    fn use_existing_creates_only_the_own_namespace_and_the_servers() {
        let suite = suite("suites/metadata-access.yaml");
        let namespaces = BTreeMap::from([("metadata-access".to_owned(), "theirs".to_owned())]);
        let mode = Mode::UseExisting {
            namespace: "theirs".into(),
        };
        let spec = spec(&suite, &mode, &namespaces, &[]);
        let plan = spec.plan();
        assert_eq!(plan.namespaces.len(), 1);
        // The hostNetwork metadata server lives in netreach's own namespace, which is therefore privileged.
        let own = &plan.namespaces[0].1;
        assert_eq!(own["pod-security.kubernetes.io/enforce"], "privileged");
        assert_eq!(
            names(&plan.pods),
            ["netreach-abcd1234/metadata@-", "netreach-abcd1234/web@-"]
        );
    }

    #[test]
    fn one_service_per_fronted_server_in_its_namespace_selecting_its_pod() {
        let suite = suite("suites/conformance/services.yaml");
        let namespaces = run_map(&suite);
        let nodes = ["node-a".to_owned()];
        let plan = spec(&suite, &Mode::Create, &namespaces, &nodes).plan();
        let services: Vec<String> = plan
            .services
            .iter()
            .map(|s| {
                let spec = s.spec.as_ref().unwrap();
                let port = &spec.ports.as_ref().unwrap()[0];
                format!(
                    "{}/{} {:?} {}/{}",
                    s.metadata.namespace.as_deref().unwrap_or_default(),
                    s.metadata.name.as_deref().unwrap_or_default(),
                    spec.selector.as_ref().unwrap(),
                    port.port,
                    port.protocol.as_deref().unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(
            services,
            [
                r#"nrc-svc-web-abcd1234/allowed {"netreach.io/destination": "allowed"} 8080/TCP"#,
                r#"nrc-svc-web-abcd1234/blocked {"netreach.io/destination": "blocked"} 8080/TCP"#,
                r#"nrc-svc-web-abcd1234/udp {"netreach.io/destination": "udp"} 5353/UDP"#
            ]
        );
        let labels = plan.services[0].metadata.labels.as_ref().unwrap();
        assert_eq!(labels["netreach.io/run-id"], "abcd1234");
    }

    /// Issue 12: a Service of the `self` destination: every source pod is labelled with its name and gets a
    /// Service of its own, in its namespace, selecting it alone on the self ports; each serves those ports.
    #[test]
    fn a_service_of_self_puts_one_service_in_front_of_each_source_pod() {
        let suite = suite("suites/conformance/self.yaml");
        let namespaces = run_map(&suite);
        let plan = spec(&suite, &Mode::Create, &namespaces, &[]).plan();
        let services: Vec<String> = plan
            .services
            .iter()
            .map(|s| {
                let spec = s.spec.as_ref().unwrap();
                let ports: Vec<String> = spec
                    .ports
                    .iter()
                    .flatten()
                    .map(|p| format!("{}/{}", p.port, p.protocol.as_deref().unwrap_or_default()))
                    .collect();
                format!(
                    "{}/{} {:?} {}",
                    s.metadata.namespace.as_deref().unwrap_or_default(),
                    s.metadata.name.as_deref().unwrap_or_default(),
                    spec.selector.as_ref().unwrap(),
                    ports.join(",")
                )
            })
            .collect();
        assert_eq!(
            services,
            [
                r#"nrc-self-abcd1234/self-isolated {"netreach.io/source": "isolated"} 8080/TCP,8080/UDP"#,
                r#"nrc-self-abcd1234/self-open {"netreach.io/source": "open"} 8080/TCP,8080/UDP"#
            ]
        );
        let isolated = &plan.pods[0];
        let labels = isolated.metadata.labels.as_ref().unwrap();
        assert_eq!(
            (labels["app"].as_str(), labels[SOURCE_LABEL].as_str()),
            ("isolated", "isolated")
        );
        let containers: Vec<&str> = isolated
            .spec
            .iter()
            .flat_map(|s| &s.containers)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(containers, ["probe", "agnhost", "netexec-8080"]);
    }
}
