//! Deploying a suite's fixtures as `fixture_plan` lists them (or finding existing ones), waiting for Ready, and
//! saying why a laggard is not.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, Service, ServiceAccount};
use kube::api::{ListParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::wait::await_condition;
use kube::runtime::watcher::{self, watcher};
use kube::{Api, Client};
use netreach_core::isolation::run_namespaces;
use netreach_core::suite::Suite;
use netreach_core::world::{ContainerPort, Labels, Protocol};

use crate::admission::{hopeless, one_line, refused_fields};
use crate::error::{Error, Result};
use crate::exec::exec;
use crate::fixture_plan::{FixtureSpec, use_existing_refusal};
use crate::objects;

/// How long a fixture may stay in a state waiting will not cure before the run ends: long enough for a registry's
/// passing hiccup, short enough that a missing image ends the run in seconds, not at `--ready-timeout`.
const STUCK_GRACE: Duration = Duration::from_secs(3);

/// Images of the fixtures.
#[derive(Debug, Clone)]
pub struct FixtureImages {
    pub probe: String,
    pub server: String,
    /// Upstream's e2e test image: `netexec` serves UDP (and several ports), `connect` probes UDP and SCTP.
    pub agnhost: String,
}

impl FixtureImages {
    /// Public images that work on any cluster that can pull (kind, cloud): curl with a shell, and busybox httpd.
    pub const PUBLIC_PROBE: &str = "docker.io/curlimages/curl:8.11.1";
    pub const PUBLIC_SERVER: &str = "docker.io/library/busybox:1.37";
    /// The tag Kubernetes v1.34's e2e framework uses.
    pub const PUBLIC_AGNHOST: &str = "registry.k8s.io/e2e-test-images/agnhost:2.56";

    /// `$NETREACH_PROBE_IMAGE` / `$NETREACH_SERVER_IMAGE` (set by `scripts/cluster env`), else the public images.
    pub fn from_env() -> Self {
        let pick = |var: &str, default: &str| {
            std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Self {
            probe: pick("NETREACH_PROBE_IMAGE", Self::PUBLIC_PROBE),
            server: pick("NETREACH_SERVER_IMAGE", Self::PUBLIC_SERVER),
            agnhost: pick("NETREACH_AGNHOST_IMAGE", Self::PUBLIC_AGNHOST),
        }
    }
}

/// Create fresh fixtures, or probe pods that already exist.
#[derive(Debug, Clone)]
pub enum Mode {
    Create,
    /// Probe the pods of `namespace` chosen by the suite's labels; create and relabel nothing there.
    UseExisting {
        namespace: String,
    },
}

/// A running pod netreach probes from or to.
#[derive(Debug, Clone)]
pub struct RunningPod {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    pub ip: IpAddr,
    /// On a dual-stack cluster, its pod IP of the other family (`status.podIPs[1]`).
    pub secondary_ip: Option<IpAddr>,
    pub labels: Labels,
    pub host_network: bool,
    pub ports: Vec<ContainerPort>,
    /// The first container's name: curl probes run there (exec must name it when the pod has several).
    pub first_container: Option<String>,
    /// The image of the container probes are exec'd into (the first).
    pub image: String,
}

/// Everything deployed or found, by suite name.
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub sources: BTreeMap<String, RunningPod>,
    pub servers: BTreeMap<String, RunningPod>,
    /// Server destination name -> the Service in front of it: `(namespace, ClusterIPs)`, the primary first (named
    /// like the server).
    pub services: BTreeMap<String, (String, Vec<IpAddr>)>,
}

/// Suite namespace -> the namespace in the cluster: the run's own ([`run_namespaces`]) when creating, the existing
/// namespace for the suite's (only) namespace with `--use-existing`.
pub fn namespace_map(suite: &Suite, mode: &Mode, run_id: &str) -> Result<BTreeMap<String, String>> {
    match mode {
        Mode::Create => run_namespaces(suite, run_id).map_err(Error::Invalid),
        Mode::UseExisting { namespace } => {
            let names = suite.namespaces.iter().map(|n| n.name.clone());
            Ok(names.take(1).map(|n| (n, namespace.clone())).collect())
        }
    }
}

pub struct Deployer<'a> {
    pub client: Client,
    pub suite: &'a Suite,
    pub run_id: &'a str,
    pub images: &'a FixtureImages,
    pub mode: Mode,
    pub ready_timeout: Duration,
}

impl Deployer<'_> {
    /// Checks everything that can be checked before the first write, so bad input leaves the cluster untouched.
    /// Returns the suite's namespaces -> the run's: its own ([`run_namespaces`]), or the `--use-existing` one.
    pub async fn preflight(&self) -> Result<BTreeMap<String, String>> {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        match &self.mode {
            Mode::Create => {
                let map = namespace_map(self.suite, &self.mode, self.run_id)?;
                for name in map.values() {
                    if namespaces
                        .get_opt(name)
                        .await
                        .map_err(Error::api("reading namespaces"))?
                        .is_some()
                    {
                        return Err(Error::NamespaceExists(name.clone()));
                    }
                }
                Ok(map)
            }
            Mode::UseExisting { namespace } => {
                if let Some(why) = use_existing_refusal(self.suite) {
                    return Err(Error::Invalid(why));
                }
                if namespaces
                    .get_opt(namespace)
                    .await
                    .map_err(Error::api("reading namespaces"))?
                    .is_none()
                {
                    return Err(Error::NamespaceMissing(namespace.clone()));
                }
                namespace_map(self.suite, &self.mode, self.run_id)
            }
        }
    }

    fn spec<'a>(
        &'a self,
        namespaces: &'a BTreeMap<String, String>,
        nodes: &'a [String],
    ) -> FixtureSpec<'a> {
        FixtureSpec {
            suite: self.suite,
            run_id: self.run_id,
            images: self.images,
            mode: &self.mode,
            namespaces,
            nodes,
        }
    }

    /// Creates (or finds) the fixtures [`FixtureSpec::plan`] lists and waits until every pod is Ready.
    pub async fn deploy(&self, namespace_map: BTreeMap<String, String>) -> Result<Fixtures> {
        let nodes = self.schedulable_nodes().await?;
        let plan = self.spec(&namespace_map, &nodes).plan();
        for (namespace, labels) in &plan.namespaces {
            self.create_namespace(namespace, labels).await?;
        }
        let mut wanted = self.create_pods(&plan.pods).await?;
        let existing = match &self.mode {
            Mode::UseExisting { namespace } => self.find_existing(namespace).await?,
            Mode::Create => BTreeMap::new(),
        };
        wanted.extend(existing.values().map(|pod_name| {
            (
                namespace_map.values().next().cloned().unwrap_or_default(),
                pod_name.clone(),
            )
        }));
        tracing::debug!(pods = wanted.len(), timeout = ?self.ready_timeout, "waiting for pods to be Ready");
        let running = self.wait_ready(&wanted).await?;
        for ((namespace, name), pod) in &running {
            tracing::info!(%namespace, %name, ip = %pod.ip, node = ?pod.node, "pod Ready");
        }

        let find = |ns: &str, name: &str| {
            running
                .get(&(ns.to_owned(), name.to_owned()))
                .cloned()
                .ok_or_else(|| Error::Invalid(format!("pod {ns}/{name} vanished")))
        };
        let mut sources = BTreeMap::new();
        for pod in self.suite.pods.iter().filter(|p| p.created_in.is_none()) {
            let namespace = &namespace_map[&pod.namespace];
            let actual = existing.get(&pod.name).unwrap_or(&pod.name);
            sources.insert(pod.name.clone(), find(namespace, actual)?);
        }
        let mut servers = BTreeMap::new();
        for (destination, (namespace, name)) in &plan.servers {
            servers.insert(destination.clone(), find(namespace, name)?);
        }
        self.check_probe_tool(&sources).await?;
        let services = self.create_services(&plan.services).await?;
        Ok(Fixtures {
            sources,
            servers,
            services,
        })
    }

    /// Creates the Services in front of servers; server destination name -> `(namespace, ClusterIPs)`.
    async fn create_services(
        &self,
        services: &[Service],
    ) -> Result<BTreeMap<String, (String, Vec<IpAddr>)>> {
        let mut out = BTreeMap::new();
        for service in services {
            let namespace = service.metadata.namespace.as_deref().unwrap_or_default();
            let name = service.metadata.name.as_deref().unwrap_or_default();
            let created = Api::<Service>::namespaced(self.client.clone(), namespace)
                .create(&PostParams::default(), service)
                .await
                .map_err(Error::api(format!("creating Service {namespace}/{name}")))?;
            let spec = created.spec.unwrap_or_default();
            let cluster_ips: Vec<IpAddr> = spec
                .cluster_ip
                .into_iter()
                .chain(spec.cluster_ips.into_iter().flatten())
                .filter_map(|ip| ip.parse::<IpAddr>().ok())
                .fold(Vec::new(), |mut ips, ip| {
                    if !ips.contains(&ip) {
                        ips.push(ip);
                    }
                    ips
                });
            if cluster_ips.is_empty() {
                return Err(Error::Invalid(format!(
                    "Service {namespace}/{name} got no ClusterIP"
                )));
            }
            tracing::info!(%namespace, %name, ?cluster_ips, "Service created");
            out.insert(name.to_owned(), (namespace.to_owned(), cluster_ips));
        }
        Ok(out)
    }

    /// Creates the source pods whose `createdIn` is `phase` and waits until they are Ready (same placement as
    /// [`Self::deploy`] gives them). Suite pod name -> the running pod.
    pub async fn create_late(
        &self,
        namespace_map: &BTreeMap<String, String>,
        phase: &str,
    ) -> Result<BTreeMap<String, RunningPod>> {
        if !self
            .suite
            .pods
            .iter()
            .any(|p| p.created_in.as_deref() == Some(phase))
        {
            return Ok(BTreeMap::new());
        }
        let nodes = self.schedulable_nodes().await?;
        let spec = self.spec(namespace_map, &nodes);
        let late = spec.late_pods(phase);
        let pods: Vec<Pod> = late.iter().map(|(_, pod)| pod.clone()).collect();
        let wanted = self.create_pods(&pods).await?;
        let running = self.wait_ready(&wanted).await?;
        let mut out = BTreeMap::new();
        for (pod, _) in late {
            let namespace = namespace_map[&pod.namespace].clone();
            let found = running
                .get(&(namespace.clone(), pod.name.clone()))
                .cloned()
                .ok_or_else(|| Error::Invalid(format!("pod {namespace}/{} vanished", pod.name)))?;
            tracing::info!(%namespace, name = %pod.name, ip = %found.ip, node = ?found.node, %phase, "pod created in phase Ready");
            out.insert(pod.name.clone(), found);
        }
        Ok(out)
    }

    /// Creates the pods; their (namespace, name), for [`Self::wait_ready`].
    async fn create_pods(&self, pods: &[Pod]) -> Result<Vec<(String, String)>> {
        let mut wanted = Vec::new();
        for pod in pods {
            let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            tracing::info!(%namespace, %name, node = ?pod.spec.as_ref().and_then(|s| s.node_name.as_deref()), "creating pod");
            Api::<Pod>::namespaced(self.client.clone(), namespace)
                .create(&PostParams::default(), pod)
                .await
                .map_err(|e| match e {
                    kube::Error::Api(status)
                        if status.code == 403
                            && !status.message.contains("cannot create resource") =>
                    {
                        Error::Admission {
                            pod: format!("{namespace}/{name}"),
                            fields: refused_fields(&status.message),
                            message: one_line(&status.message),
                        }
                    }
                    other => Error::Api {
                        action: format!("creating pod {namespace}/{name}"),
                        source: other,
                    },
                })?;
            wanted.push((namespace.to_owned(), name.to_owned()));
        }
        Ok(wanted)
    }

    async fn schedulable_nodes(&self) -> Result<Vec<String>> {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let list = nodes
            .list(&ListParams::default())
            .await
            .map_err(Error::api("listing nodes"))?;
        Ok(list
            .items
            .into_iter()
            .filter(|n| {
                !n.spec
                    .as_ref()
                    .and_then(|s| s.unschedulable)
                    .unwrap_or(false)
            })
            .filter(|n| {
                n.spec
                    .as_ref()
                    .and_then(|s| s.taints.as_ref())
                    .is_none_or(|t| t.iter().all(|t| t.effect != "NoSchedule"))
            })
            .filter_map(|n| n.metadata.name)
            .collect())
    }

    async fn create_namespace(&self, name: &str, labels: &Labels) -> Result<()> {
        tracing::info!(%name, "creating namespace");
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        namespaces
            .create(
                &PostParams::default(),
                &objects::namespace(name, labels, self.run_id),
            )
            .await
            .map_err(|e| match e {
                kube::Error::Api(status) if status.code == 409 => {
                    Error::NamespaceExists(name.to_owned())
                }
                other => Error::Api {
                    action: format!("creating namespace {name}"),
                    source: other,
                },
            })?;
        // Pods are refused until the service-account controller has made the namespace's `default` account.
        let accounts: Api<ServiceAccount> = Api::namespaced(self.client.clone(), name);
        let made = await_condition(accounts, "default", |sa: Option<&ServiceAccount>| {
            sa.is_some()
        });
        match tokio::time::timeout(self.ready_timeout, made).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                return Err(Error::Invalid(format!(
                    "waiting for namespace {name}'s default ServiceAccount: {error}"
                )));
            }
            Err(_) => {
                return Err(Error::NotReady {
                    timeout: self.ready_timeout,
                    details: format!(
                        "namespace {name} got no default ServiceAccount (is kube-controller-manager running?)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Suite pod name -> the existing pod whose labels include the suite pod's labels (first by name).
    async fn find_existing(&self, namespace: &str) -> Result<BTreeMap<String, String>> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let list = pods
            .list(&ListParams::default())
            .await
            .map_err(Error::api(format!("listing pods in {namespace}")))?;
        let mut found = BTreeMap::new();
        for wanted in &self.suite.pods {
            let mut candidates: Vec<&Pod> = list
                .items
                .iter()
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .filter(|p| {
                    let labels = p.metadata.labels.clone().unwrap_or_default();
                    wanted.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
                })
                .collect();
            candidates.sort_by_key(|p| p.metadata.name.clone());
            let pod = candidates.first().ok_or_else(|| Error::NoMatchingPod {
                namespace: namespace.to_owned(),
                pod: wanted.name.clone(),
                labels: wanted
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
            })?;
            found.insert(
                wanted.name.clone(),
                pod.metadata.name.clone().unwrap_or_default(),
            );
        }
        Ok(found)
    }

    /// Watches the wanted pods until every one is Ready with an IP. Ends at once (after [`STUCK_GRACE`]) when a
    /// pod is in a state waiting will not cure (its image cannot be pulled, its container cannot be created or
    /// keeps crashing); on timeout, says why each laggard is not Ready.
    async fn wait_ready(
        &self,
        wanted: &[(String, String)],
    ) -> Result<BTreeMap<(String, String), RunningPod>> {
        let deadline = Instant::now() + self.ready_timeout;
        let namespaces: BTreeSet<&str> = wanted.iter().map(|(ns, _)| ns.as_str()).collect();
        let mut events = futures::stream::select_all(namespaces.into_iter().map(|ns| {
            let pods = Api::<Pod>::namespaced(self.client.clone(), ns);
            watcher(pods, watcher::Config::default())
                .default_backoff()
                .applied_objects()
                .boxed()
        }));
        let mut latest: BTreeMap<(String, String), Pod> = BTreeMap::new();
        let mut stuck_since: BTreeMap<(String, String), Instant> = BTreeMap::new();
        loop {
            let ready: BTreeMap<_, _> = wanted
                .iter()
                .filter_map(|key| Some((key.clone(), running_pod(latest.get(key)?)?)))
                .collect();
            if ready.len() == wanted.len() {
                return Ok(ready);
            }
            let now = Instant::now();
            for key in wanted {
                match latest.get(key).and_then(hopeless) {
                    Some((image, reason)) => {
                        let since = *stuck_since.entry(key.clone()).or_insert(now);
                        if now.duration_since(since) >= STUCK_GRACE {
                            return Err(Error::FixtureUnusable {
                                pod: format!("{}/{}", key.0, key.1),
                                image,
                                reason,
                            });
                        }
                    }
                    None => {
                        stuck_since.remove(key);
                    }
                }
            }
            let wake = stuck_since
                .values()
                .map(|since| *since + STUCK_GRACE)
                .fold(deadline, Instant::min);
            tokio::select! {
                event = events.next() => match event {
                    Some(Ok(pod)) => {
                        let key = (
                            pod.metadata.namespace.clone().unwrap_or_default(),
                            pod.metadata.name.clone().unwrap_or_default(),
                        );
                        latest.insert(key, pod);
                    }
                    // The watcher retries with backoff; a lasting failure ends at the deadline, with its reason.
                    Some(Err(error)) => tracing::debug!(%error, "watching pods"),
                    None => return Err(Error::Invalid("the pod watch ended".into())),
                },
                () = tokio::time::sleep_until(wake.into()) => {}
            }
            if Instant::now() >= deadline {
                let mut details = Vec::new();
                for key in wanted.iter().filter(|k| !ready.contains_key(*k)) {
                    details.push(self.why_not_ready(key, latest.get(key)).await);
                }
                return Err(Error::NotReady {
                    timeout: self.ready_timeout,
                    details: details.join("; "),
                });
            }
        }
    }

    /// Fails when a source pod's image has no curl, before any phase (every probe would be an error). One exec per
    /// distinct image.
    async fn check_probe_tool(&self, sources: &BTreeMap<String, RunningPod>) -> Result<()> {
        let mut checked = BTreeSet::new();
        for pod in sources.values() {
            if !checked.insert(pod.image.clone()) {
                continue;
            }
            let pods: Api<Pod> = Api::namespaced(self.client.clone(), &pod.namespace);
            let command = ["sh", "-c", "command -v curl >/dev/null 2>&1 || echo nocurl"];
            let command = command.iter().map(|w| (*w).to_owned()).collect();
            let unusable = |reason: String| Error::FixtureUnusable {
                pod: format!("{}/{}", pod.namespace, pod.name),
                image: pod.image.clone(),
                reason,
            };
            let container = pod.first_container.as_deref();
            let out = exec(
                &pods,
                &pod.name,
                container,
                command,
                Duration::from_secs(15),
            )
            .await
            .map_err(|e| {
                unusable(format!(
                    "cannot exec a shell to probe with: {}",
                    one_line(&e)
                ))
            })?;
            if out.stdout.contains("nocurl") {
                return Err(unusable("the probe tool curl is not in the image".into()));
            }
            if out.exit_code != Some(0) {
                let said = one_line(&format!("{} {}", out.stdout, out.stderr));
                return Err(unusable(format!(
                    "cannot run a shell to probe with: {said}"
                )));
            }
        }
        Ok(())
    }

    async fn why_not_ready(&self, (ns, name): &(String, String), pod: Option<&Pod>) -> String {
        let Some(pod) = pod else {
            return format!("{ns}/{name}: not found");
        };
        let status = pod.status.clone().unwrap_or_default();
        let mut text = format!(
            "{ns}/{name}: phase {}",
            status.phase.unwrap_or_else(|| "Unknown".into())
        );
        for cs in status.container_statuses.iter().flatten() {
            if let Some(waiting) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()) {
                text.push_str(&format!(
                    ", container {} waiting: {} {}",
                    cs.name,
                    waiting.reason.clone().unwrap_or_default(),
                    waiting.message.clone().unwrap_or_default()
                ));
            }
        }
        let events: Api<Event> = Api::namespaced(self.client.clone(), ns);
        let params = ListParams::default().fields(&format!("involvedObject.name={name}"));
        if let Ok(list) = events.list(&params).await {
            let mut items = list.items;
            items.sort_by_key(|e| e.last_timestamp.clone().map(|t| t.0));
            let last: Vec<String> = items
                .iter()
                .rev()
                .take(2)
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.reason.clone().unwrap_or_default(),
                        e.message.clone().unwrap_or_default().trim()
                    )
                })
                .collect();
            if !last.is_empty() {
                text.push_str(&format!(", last events: {}", last.join(" | ")));
            }
        }
        text
    }
}

/// A Ready pod as netreach sees it (`None` while it is not Ready or is going away).
pub(crate) fn running_pod(pod: &Pod) -> Option<RunningPod> {
    let status = pod.status.as_ref()?;
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    if !ready || pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let ip: IpAddr = status.pod_ip.as_deref()?.parse().ok()?;
    let secondary_ip = status
        .pod_ips
        .iter()
        .flatten()
        .filter_map(|p| p.ip.parse::<IpAddr>().ok())
        .find(|other| other.is_ipv6() != ip.is_ipv6());
    Some(RunningPod {
        first_container: pod
            .spec
            .as_ref()
            .and_then(|s| s.containers.first())
            .map(|c| c.name.clone()),
        namespace: pod.metadata.namespace.clone()?,
        name: pod.metadata.name.clone()?,
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        ip,
        secondary_ip,
        labels: pod.metadata.labels.clone().unwrap_or_default(),
        host_network: pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false),
        image: pod
            .spec
            .as_ref()
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.clone())
            .unwrap_or_default(),
        ports: pod
            .spec
            .iter()
            .flat_map(|s| &s.containers)
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| {
                Some(ContainerPort {
                    name: p.name.clone(),
                    port: u16::try_from(p.container_port).ok()?,
                    protocol: Protocol::from_api(p.protocol.as_deref().unwrap_or("TCP"))?,
                })
            })
            .collect(),
    })
}
