//! Builders for every object netreach creates, without sending anything (as kube-core builds requests).

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EnvVar, Namespace, Pod, PodSecurityContext, PodSpec,
    Probe, SeccompProfile, SecurityContext, Service, ServicePort, ServiceSpec, Sysctl,
    TCPSocketAction,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use netreach_core::settings::CONNECT_CONTAINER;
use netreach_core::suite::ServerPort;

/// Label on every namespace and policy netreach creates.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "netreach");
/// Label carrying the run id, so a run deletes exactly what it created.
pub const RUN_ID_LABEL: &str = "netreach.io/run-id";
/// Labels that let a namespace hold pods Pod Security's `baseline` and `restricted` levels refuse (hostNetwork).
/// `warn` and `audit` too: a cluster-wide default of `restricted` would otherwise warn on every such pod.
pub const PRIVILEGED_LABELS: [(&str, &str); 3] = [
    ("pod-security.kubernetes.io/enforce", "privileged"),
    ("pod-security.kubernetes.io/warn", "privileged"),
    ("pod-security.kubernetes.io/audit", "privileged"),
];
/// The user fixtures run as (busybox's and most images' `nobody`).
const FIXTURE_USER: i64 = 65534;
/// Label naming a server pod's destination.
pub const DESTINATION_LABEL: &str = "netreach.io/destination";
/// Label naming a source pod, which its own Service selects (a suite with a Service of its `self` destination).
pub const SOURCE_LABEL: &str = "netreach.io/source";

/// A new random run id: 8 lowercase hex digits, valid in names and label values. The randomness is std's: every
/// `RandomState` has fresh keys (seeded from the OS once per thread, then stepped), hashed with the time.
pub fn new_run_id() -> String {
    let random = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("{:08x}", random as u32)
}

/// Name of the namespace netreach owns for servers that name none.
pub fn own_namespace(run_id: &str) -> String {
    format!("netreach-{run_id}")
}

pub fn ownership_labels(run_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned()),
        (RUN_ID_LABEL.to_owned(), run_id.to_owned()),
    ])
}

/// Selector matching everything a run created.
pub fn run_selector(run_id: &str) -> String {
    format!("{}={},{RUN_ID_LABEL}={run_id}", MANAGED_BY.0, MANAGED_BY.1)
}

/// True when an object carries the managed-by label of netreach (from any run).
pub fn is_managed(labels: Option<&BTreeMap<String, String>>) -> bool {
    labels.and_then(|l| l.get(MANAGED_BY.0)).map(String::as_str) == Some(MANAGED_BY.1)
}

pub fn namespace(name: &str, labels: &BTreeMap<String, String>, run_id: &str) -> Namespace {
    let mut all = labels.clone();
    all.extend(ownership_labels(run_id));
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(all),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Where and how to run a fixture pod.
pub struct PodPlacement<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub image: &'a str,
    pub node: Option<&'a str>,
}

/// The pod-level half of Pod Security's `restricted` level: not root, the runtime's default seccomp profile.
fn restricted_pod_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(FIXTURE_USER),
        run_as_group: Some(FIXTURE_USER),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The container-level half of `restricted`: no privilege escalation, every capability dropped.
fn restricted_container_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn base_spec(placement: &PodPlacement<'_>, mut container: Container) -> Pod {
    container.security_context = Some(restricted_container_context());
    Pod {
        metadata: ObjectMeta {
            name: Some(placement.name.to_owned()),
            namespace: Some(placement.namespace.to_owned()),
            labels: Some(placement.labels.clone()),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![container],
            node_name: placement.node.map(str::to_owned),
            termination_grace_period_seconds: Some(0),
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            security_context: Some(restricted_pod_context()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A source pod: a shell that sleeps until told to stop, so probes can be exec'd into it.
pub fn probe_pod(placement: &PodPlacement<'_>) -> Pod {
    base_spec(
        placement,
        Container {
            name: "probe".into(),
            image: Some(placement.image.to_owned()),
            image_pull_policy: Some("IfNotPresent".into()),
            command: Some(vec![
                "sh".into(),
                "-c".into(),
                "trap 'exit 0' TERM INT; while true; do sleep 3600 & wait $!; done".into(),
            ]),
            ..Default::default()
        },
    )
}

/// A destination: busybox httpd answering `body` on `port`, a container port named `port_name` (on the node's
/// address when `host_network`). Admissible at `restricted` unless `host_network`: a port below 1024 is opened to
/// its non-root user by the namespaced, "safe" sysctl `net.ipv4.ip_unprivileged_port_start`. A hostNetwork pod may
/// set no network sysctl (it would change the node's), so there, and only for a port below 1024, it runs as root.
pub fn server_pod(
    placement: &PodPlacement<'_>,
    port: u16,
    port_name: &str,
    body: &str,
    host_network: bool,
) -> Pod {
    let mut pod = base_spec(
        placement,
        Container {
            name: "server".into(),
            image: Some(placement.image.to_owned()),
            image_pull_policy: Some("IfNotPresent".into()),
            command: Some(vec![
                "sh".into(),
                "-c".into(),
                r#"mkdir -p /tmp/www && printf '%s\n' "$BODY" > /tmp/www/index.html && exec httpd -f -p "$PORT" -h /tmp/www"#.into(),
            ]),
            env: Some(vec![
                EnvVar { name: "BODY".into(), value: Some(body.to_owned()), ..Default::default() },
                EnvVar { name: "PORT".into(), value: Some(port.to_string()), ..Default::default() },
            ]),
            ports: Some(vec![ContainerPort {
                name: Some(port_name.to_owned()),
                container_port: i32::from(port),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            readiness_probe: Some(Probe {
                tcp_socket: Some(TCPSocketAction { port: IntOrString::Int(i32::from(port)), ..Default::default() }),
                period_seconds: Some(1),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    if let Some(spec) = pod.spec.as_mut() {
        spec.host_network = Some(host_network);
        let context = spec.security_context.get_or_insert_with(Default::default);
        match (port < 1024, host_network) {
            (false, _) => {}
            (true, false) => {
                context.sysctls = Some(vec![Sysctl {
                    name: "net.ipv4.ip_unprivileged_port_start".into(),
                    value: port.to_string(),
                }])
            }
            (true, true) => {
                context.run_as_non_root = Some(false);
                context.run_as_user = Some(0);
                context.run_as_group = Some(0);
                for container in &mut spec.containers {
                    let caps = container
                        .security_context
                        .as_mut()
                        .and_then(|c| c.capabilities.as_mut());
                    if let Some(caps) = caps {
                        caps.add = Some(vec!["NET_BIND_SERVICE".into()]);
                    }
                }
            }
        }
    }
    pod
}

/// Adds to a source pod the container UDP and SCTP probes are exec'd in: agnhost, idle (`pause`) until then.
pub fn add_connect_container(pod: &mut Pod, image: &str) {
    if let Some(spec) = pod.spec.as_mut() {
        spec.containers.push(Container {
            name: CONNECT_CONTAINER.into(),
            image: Some(image.to_owned()),
            image_pull_policy: Some("IfNotPresent".into()),
            args: Some(vec!["pause".into()]),
            security_context: spec
                .containers
                .first()
                .and_then(|c| c.security_context.clone()),
            ..Default::default()
        });
    }
}

/// A destination with several ports, or one of another protocol than TCP: one agnhost `netexec` container per port
/// number, answering HTTP on TCP and netexec's commands on UDP there (so a TCP and a UDP cell of the same number both
/// have a listener); the container ports are the suite's, names and protocols included. An SCTP port gets no SCTP
/// listener (netexec exits when the kernel lacks SCTP); its cells are skipped where SCTP is unsupported.
pub fn netexec_server_pod(
    placement: &PodPlacement<'_>,
    ports: &[ServerPort],
    host_network: bool,
) -> Pod {
    let mut containers = netexec_containers(placement.image, ports).into_iter();
    let first = containers.next().unwrap_or_default();
    let mut pod = base_spec(placement, first);
    add_containers(&mut pod, containers, ports, host_network);
    if let Some(spec) = pod.spec.as_mut() {
        spec.host_network = Some(host_network);
    }
    pod
}

/// Makes a source pod serve its self cells' ports: netexec containers as a server's (none for no ports).
pub fn add_self_servers(pod: &mut Pod, image: &str, ports: &[ServerPort], host_network: bool) {
    add_containers(pod, netexec_containers(image, ports), ports, host_network);
}

/// One `netexec --http-port=N --udp-port=N` container per port number of `ports`, declaring the ports of that
/// number (names and protocols as the suite gives them), Ready once the TCP port answers.
fn netexec_containers(image: &str, ports: &[ServerPort]) -> Vec<Container> {
    let mut numbers: Vec<u16> = ports.iter().map(|p| p.port).collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
        .iter()
        .map(|&number| Container {
            name: format!("netexec-{number}"),
            image: Some(image.to_owned()),
            image_pull_policy: Some("IfNotPresent".into()),
            args: Some(vec![
                "netexec".into(),
                format!("--http-port={number}"),
                format!("--udp-port={number}"),
            ]),
            ports: Some(
                ports
                    .iter()
                    .filter(|p| p.port == number)
                    .map(|p| ContainerPort {
                        name: p.name.clone(),
                        container_port: i32::from(p.port),
                        protocol: Some(p.protocol.as_api().into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            readiness_probe: Some(Probe {
                tcp_socket: Some(TCPSocketAction {
                    port: IntOrString::Int(i32::from(number)),
                    ..Default::default()
                }),
                period_seconds: Some(1),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect()
}

/// Appends `containers` with the first container's security context, and opens a port of `ports` below 1024 to
/// the image's non-root user with the namespaced, "safe" sysctl (not on the host's network).
fn add_containers(
    pod: &mut Pod,
    containers: impl IntoIterator<Item = Container>,
    ports: &[ServerPort],
    host_network: bool,
) {
    let Some(spec) = pod.spec.as_mut() else {
        return;
    };
    let context = spec
        .containers
        .first()
        .and_then(|c| c.security_context.clone());
    spec.containers.extend(containers.into_iter().map(|mut c| {
        c.security_context = context.clone();
        c
    }));
    let lowest = ports.iter().map(|p| p.port).min();
    if let Some(low) = lowest.filter(|&n| n < 1024 && !host_network) {
        spec.security_context
            .get_or_insert_with(Default::default)
            .sysctls = Some(vec![Sysctl {
            name: "net.ipv4.ip_unprivileged_port_start".into(),
            value: low.to_string(),
        }]);
    }
}

/// A ClusterIP Service `name` selecting the pod labelled `selector` — a server destination's (named like it, by
/// [`DESTINATION_LABEL`]) or a source pod's own (by [`SOURCE_LABEL`]) — on each of `ports` (port = targetPort, same
/// protocol; named `PROTOCOL-PORT`), labelled as owned by the run. `dual_stack`: `ipFamilyPolicy: PreferDualStack`
/// (a ClusterIP of each family where the cluster has both), for a Service some destination probes in its second
/// family; otherwise the API's default, single-stack.
pub fn cluster_ip_service(
    namespace: &str,
    name: &str,
    selector: (&str, &str),
    ports: &[ServerPort],
    run_id: &str,
    dual_stack: bool,
) -> Service {
    let mut service_ports: Vec<ServicePort> = Vec::new();
    for port in ports {
        let name = format!("{}-{}", port.protocol.as_api().to_lowercase(), port.port);
        if service_ports
            .iter()
            .all(|p| p.name.as_deref() != Some(name.as_str()))
        {
            service_ports.push(ServicePort {
                name: Some(name),
                port: i32::from(port.port),
                target_port: Some(IntOrString::Int(i32::from(port.port))),
                protocol: Some(port.protocol.as_api().into()),
                ..Default::default()
            });
        }
    }
    Service {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(ownership_labels(run_id)),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(BTreeMap::from([(
                selector.0.to_owned(),
                selector.1.to_owned(),
            )])),
            ports: Some(service_ports),
            ip_family_policy: dual_stack.then(|| "PreferDualStack".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// True when Pod Security's `baseline` (so also `restricted`) refuses the pod: it uses the host's network.
pub fn needs_privileged(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.host_network)
        .unwrap_or(false)
}

/// The policy as netreach applies it: in `namespace`, labelled as owned by the run, without server-set fields.
pub fn owned_policy(policy: &NetworkPolicy, namespace: &str, run_id: &str) -> NetworkPolicy {
    let mut out = policy.clone();
    let mut labels = out.metadata.labels.take().unwrap_or_default();
    labels.extend(ownership_labels(run_id));
    out.metadata = ObjectMeta {
        name: out.metadata.name.clone(),
        namespace: Some(namespace.to_owned()),
        labels: Some(labels),
        annotations: out.metadata.annotations.clone(),
        ..Default::default()
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_label_safe_and_differ() {
        let a = new_run_id();
        assert_eq!(a.len(), 8);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_run_id());
    }

    #[test]
    fn owned_policy_moves_namespace_and_adds_labels_only() {
        let mut policy = NetworkPolicy::default();
        policy.metadata.name = Some("p".into());
        policy.metadata.namespace = Some("a".into());
        policy.metadata.resource_version = Some("7".into());
        let out = owned_policy(&policy, "b", "abcd1234");
        assert_eq!(out.metadata.namespace.as_deref(), Some("b"));
        assert_eq!(out.metadata.resource_version, None);
        assert!(is_managed(out.metadata.labels.as_ref()));
        assert_eq!(out.metadata.labels.unwrap()[RUN_ID_LABEL], "abcd1234");
    }

    fn placement<'a>(labels: &'a BTreeMap<String, String>) -> PodPlacement<'a> {
        PodPlacement {
            namespace: "n",
            name: "s",
            labels,
            image: "img",
            node: None,
        }
    }

    /// The fields Pod Security's `restricted` level checks, as (field, value) pairs, for the pod and each container.
    fn restricted_fields(pod: &Pod) -> Vec<String> {
        let spec = pod.spec.as_ref().unwrap();
        let context = spec.security_context.as_ref().unwrap();
        let mut out = vec![
            format!("runAsNonRoot={:?}", context.run_as_non_root),
            format!(
                "seccomp={:?}",
                context.seccomp_profile.as_ref().map(|s| &s.type_)
            ),
        ];
        for c in &spec.containers {
            let c = c.security_context.as_ref().unwrap();
            out.push(format!(
                "allowPrivilegeEscalation={:?}",
                c.allow_privilege_escalation
            ));
            out.push(format!(
                "drop={:?}",
                c.capabilities.as_ref().and_then(|c| c.drop.clone())
            ));
        }
        out
    }

    #[test]
    fn fixtures_off_the_host_network_are_restricted_admissible_even_below_port_1024() {
        let labels = BTreeMap::new();
        let expected = [
            "runAsNonRoot=Some(true)",
            "seccomp=Some(\"RuntimeDefault\")",
            "allowPrivilegeEscalation=Some(false)",
            "drop=Some([\"ALL\"])",
        ];
        let probe = probe_pod(&placement(&labels));
        assert_eq!(restricted_fields(&probe), expected);
        assert!(!needs_privileged(&probe));
        let server = server_pod(&placement(&labels), 80, "http", "b", false);
        assert_eq!(restricted_fields(&server), expected);
        let sysctls = server
            .spec
            .unwrap()
            .security_context
            .unwrap()
            .sysctls
            .unwrap();
        assert_eq!(
            (sysctls[0].name.as_str(), sysctls[0].value.as_str()),
            ("net.ipv4.ip_unprivileged_port_start", "80")
        );
        let high = server_pod(&placement(&labels), 8080, "http", "b", false);
        assert_eq!(high.spec.unwrap().security_context.unwrap().sysctls, None);
    }

    /// Issue 12: a source pod of a suite with a `self` destination serves its ports beside the probe container,
    /// as restricted-admissible as the probe, with the suite's container ports (named ports resolve on it).
    #[test]
    fn a_source_pod_serving_its_self_ports_stays_restricted_admissible() {
        use netreach_core::world::Protocol;
        let labels = BTreeMap::new();
        let mut pod = probe_pod(&placement(&labels));
        let port = |name: &str, protocol| ServerPort {
            name: Some(name.into()),
            port: 8080,
            protocol,
        };
        let ports = [port("http", Protocol::Tcp), port("echo", Protocol::Udp)];
        add_self_servers(&mut pod, "agnhost", &ports, false);
        let fields = restricted_fields(&pod);
        assert_eq!(fields.len(), 2 + 2 * 2, "{fields:?}");
        assert!(fields.iter().all(|f| !f.contains("None")), "{fields:?}");
        assert!(!needs_privileged(&pod));
        let spec = pod.spec.unwrap();
        let served = &spec.containers[1];
        assert_eq!(served.name, "netexec-8080");
        let declared: Vec<_> = served
            .ports
            .iter()
            .flatten()
            .map(|p| p.name.clone())
            .collect();
        assert_eq!(declared, [Some("http".into()), Some("echo".into())]);
        assert_eq!(spec.security_context.unwrap().sysctls, None);
    }

    #[test]
    fn a_host_network_server_below_1024_runs_as_root_and_needs_a_privileged_namespace() {
        let labels = BTreeMap::new();
        let pod = server_pod(&placement(&labels), 80, "http", "b", true);
        assert!(needs_privileged(&pod));
        let context = pod.spec.unwrap().security_context.unwrap();
        assert_eq!((context.run_as_user, context.sysctls), (Some(0), None));
    }

    #[test]
    fn a_netexec_server_answers_tcp_and_udp_on_each_port_number_with_the_suites_container_ports() {
        use netreach_core::world::Protocol;
        let labels = BTreeMap::new();
        let placement = PodPlacement {
            namespace: "n",
            name: "multi",
            labels: &labels,
            image: "agnhost",
            node: None,
        };
        let port = |name: &str, port, protocol| ServerPort {
            name: Some(name.into()),
            port,
            protocol,
        };
        let pod = netexec_server_pod(
            &placement,
            &[
                port("dns-tcp", 53, Protocol::Tcp),
                port("dns", 53, Protocol::Udp),
                port("http", 8080, Protocol::Tcp),
            ],
            false,
        );
        let spec = pod.spec.unwrap();
        let args: Vec<Vec<String>> = spec
            .containers
            .iter()
            .map(|c| c.args.clone().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                ["netexec", "--http-port=53", "--udp-port=53"],
                ["netexec", "--http-port=8080", "--udp-port=8080"]
            ]
        );
        let declared: Vec<(Option<String>, i32, Option<String>)> = spec
            .containers
            .iter()
            .flat_map(|c| c.ports.clone().unwrap())
            .map(|p| (p.name, p.container_port, p.protocol))
            .collect();
        assert_eq!(declared.len(), 3);
        assert_eq!(declared[1], (Some("dns".into()), 53, Some("UDP".into())));
        let sysctls = spec.security_context.unwrap().sysctls.unwrap();
        assert_eq!(sysctls[0].value, "53");
    }

    #[test]
    fn server_pod_on_host_network_serves_its_port() {
        let labels = BTreeMap::new();
        let placement = PodPlacement {
            namespace: "n",
            name: "metadata",
            labels: &labels,
            image: "img",
            node: None,
        };
        let pod = server_pod(&placement, 32000, "http", "metadata server", true);
        let spec = pod.spec.unwrap();
        assert_eq!(spec.host_network, Some(true));
        let env = spec.containers[0].env.clone().unwrap();
        assert_eq!(env[1].value.as_deref(), Some("32000"));
    }
}
