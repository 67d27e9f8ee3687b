//! Running a suite: deploy, then per phase apply policies and feed probe results to the phase's settle state
//! machine (netreach-core) until its cells are decided; results go out as events. No cell is built or judged here.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kube::Client;
use netreach_core::baseline::Baseline;
use netreach_core::cell::{CellKey, CellResult, Observation};
use netreach_core::events::{EventSink, RunEvent};
use netreach_core::isolation::{NamespaceMap, invert, rename_layout, rename_world};
use netreach_core::matrix::{Cell, Layout, ServerPod, ServiceAddress, Source, phase_cells_layered};
use netreach_core::oracle::PodRef;
use netreach_core::plan::{contradictions, plan_suite};
use netreach_core::results::{PhaseResult, RunReport};
use netreach_core::settings::ProbeSettings;
use netreach_core::settle::{NewPod, Next, Settle};
use netreach_core::suite::{
    DestinationKind, OutsideSourceState, Phase, ServiceAddressing, Suite, source_service_name,
};
use netreach_core::world::Protocol;

use crate::agent::client_ip_seen;
use crate::error::{Error, Result};
use crate::fixture_plan::host_ports;
use crate::fixtures::{Deployer, FixtureImages, Fixtures, Mode};
use crate::leases::RunLeases;
use crate::policies::{PolicyApplier, PolicyKey};
use crate::prober::{Origins, ProbeTarget, Probing, probe_until_settled};
use crate::world::deployed_world;
use netreach_core::agent::{dial_path, url_host_port as agent_url_parts};
use tokio::sync::OnceCell;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub images: FixtureImages,
    pub mode: Mode,
    /// How long fixtures may take to become Ready.
    pub ready_timeout: Duration,
    /// How long to wait for another run to free a host port this run's hostNetwork servers need.
    pub host_port_wait: Duration,
    pub probe: ProbeSettings,
    /// Accepted deviations (`--baseline`): a cell observed as its entry says is decided (then confirmed once more)
    /// instead of probed until the settle timeout.
    pub known: Baseline,
}

impl RunOptions {
    /// The settings that can change a verdict, for the report's provenance (`profile`: the oracle's, if one).
    pub fn verdict_settings(
        &self,
        profile: Option<&netreach_core::oracle::Profile>,
    ) -> BTreeMap<String, String> {
        let images = [
            ("probe-image", self.images.probe.as_str()),
            ("server-image", self.images.server.as_str()),
            ("agnhost-image", self.images.agnhost.as_str()),
        ];
        netreach_core::provenance::verdict_settings(
            &self.probe,
            self.ready_timeout,
            &images,
            profile,
        )
    }

    /// The defaults every entry point starts from: 120 s to be Ready, and [`ProbeSettings::default`].
    pub fn new(images: FixtureImages, mode: Mode) -> Self {
        Self {
            images,
            mode,
            ready_timeout: Duration::from_secs(120),
            host_port_wait: Duration::from_secs(300),
            probe: ProbeSettings::default(),
            known: Baseline::default(),
        }
    }
}

pub struct Runner<'a> {
    pub client: Client,
    pub suite: &'a Suite,
    pub run_id: &'a str,
    pub options: &'a RunOptions,
    pub sink: &'a dyn EventSink,
    /// Where the run's Leases go once taken (after the preflight), for the caller to give back; through them it
    /// waits for host ports other runs use (`None`: no coordination).
    pub leases: Option<&'a OnceCell<RunLeases>>,
}

impl Runner<'_> {
    /// Runs every phase. The caller cleans up (also after an error or Ctrl-C) with [`crate::cleanup_run`].
    pub async fn run(&self) -> Result<RunReport> {
        let plans = plan_suite(self.suite).map_err(|e| Error::Invalid(format!("oracle: {e}")))?;
        let contradicted = contradictions(self.suite, &plans);
        self.sink.emit(RunEvent::Started {
            suite: self.suite.name.clone(),
            run_id: self.run_id.to_owned(),
        });
        let deployer = Deployer {
            client: self.client.clone(),
            suite: self.suite,
            run_id: self.run_id,
            images: &self.options.images,
            mode: self.options.mode.clone(),
            ready_timeout: self.options.ready_timeout,
        };
        if !contradicted.is_empty() {
            self.sink.emit(RunEvent::Contradictions(contradicted));
        }
        let namespace_map = deployer.preflight().await?;
        let mut applier = PolicyApplier {
            client: self.client.clone(),
            run_id: self.run_id.to_owned(),
            namespaces: namespace_map.clone(),
            placeholders: BTreeMap::new(),
        };
        applier.preflight(self.suite).await?;

        if let Some(leases) = self.leases {
            // The run's Lease says it is alive (plain `netreach cleanup` leaves its objects alone).
            let leases = leases
                .get_or_try_init(|| RunLeases::start(&self.client, self.run_id))
                .await?;
            let ports = host_ports(self.suite);
            let waiting = |text: String| self.sink.emit(RunEvent::Waiting(text));
            leases
                .take_host_ports(&ports, self.options.host_port_wait, &waiting)
                .await?;
        }
        let servers = self
            .suite
            .destinations
            .iter()
            .filter(|d| matches!(d.kind, DestinationKind::Server(_)))
            .count();
        self.sink.emit(RunEvent::Deploying {
            pods: self.suite.pods.len(),
            servers,
        });
        let started = Instant::now();
        let mut fixtures = deployer.deploy(namespace_map.clone()).await?;
        self.sink.emit(RunEvent::FixturesReady {
            elapsed: started.elapsed(),
        });

        self.verify_outside_sources(&fixtures).await?;

        // The oracle works in the suite's namespace names: the run's world is renamed back (see
        // `netreach_core::isolation`), and it judges the suite's policies as written.
        let to_suite = invert(&namespace_map);
        let mut layout = rename_layout(&self.layout(&fixtures)?, &to_suite);
        let mut world = rename_world(&deployed_world(&self.client, &fixtures).await?, &to_suite);
        for placeholder in &self.suite.placeholders {
            // An unavailable outside destination (its cells are skipped) keeps its made-up stand-in address.
            let real = layout
                .destinations
                .get(&placeholder.destination)
                .map(|d| d.address)
                .or_else(|| {
                    let destination = self.suite.destinations.iter();
                    destination
                        .filter(|d| d.name == placeholder.destination)
                        .find_map(|d| d.stand_in())
                })
                // A server with no address of its family (its cells are skipped): the written address stays.
                .or_else(|| {
                    layout
                        .unplaced
                        .contains_key(&placeholder.destination)
                        .then_some(placeholder.address)
                })
                // An outside source stands for its address too (an unavailable one for its stand-in).
                .or_else(|| {
                    let source = self.suite.outside_source(&placeholder.destination);
                    source.map(|s| s.planned_address())
                })
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "placeholder destination {} has no address",
                        placeholder.destination
                    ))
                })?;
            applier.placeholders.insert(placeholder.address, real);
        }

        let mut phases = Vec::new();
        let mut in_force: Vec<PolicyKey> = Vec::new();
        for (index, phase) in self.suite.phases.iter().enumerate() {
            let names = self.suite.policy_labels(phase);
            self.sink.emit(RunEvent::PhaseStarted {
                index,
                name: phase.name.clone(),
                policies: names.clone(),
            });
            in_force = applier.enter_phase(phase, &in_force).await?;
            // Pods created in this phase (`createdIn`), now that its policies are applied.
            let created = Instant::now();
            let late_pods = deployer.create_late(&namespace_map, &phase.name).await?;
            let late: BTreeMap<String, (Instant, Duration)> = late_pods
                .keys()
                .map(|name| (name.clone(), (created, created.elapsed())))
                .collect();
            if !late_pods.is_empty() {
                fixtures.sources.extend(late_pods);
                world = rename_world(&deployed_world(&self.client, &fixtures).await?, &to_suite);
                layout = rename_layout(&self.layout(&fixtures)?, &to_suite);
            }
            let judged: Vec<_> = phase
                .policies
                .iter()
                .map(|m| applier.for_oracle(m))
                .collect();
            let cluster = applier.cluster_for_oracle(phase);
            let cells: Vec<CellResult> =
                phase_cells_layered(self.suite, index, &layout, &world, &judged, &cluster)
                    .map_err(|e| Error::Invalid(format!("oracle, phase {}: {e}", phase.name)))?
                    .iter()
                    .map(|cell| cell.unobserved(self.reproduce(cell, &namespace_map)))
                    .collect();
            let result = self
                .probe_phase(phase, names, &fixtures, cells, &late)
                .await;
            self.sink.emit(RunEvent::PhaseFinished(result.clone()));
            phases.push(result);
        }
        Ok(RunReport {
            suite: self.suite.name.clone(),
            run_id: self.run_id.to_owned(),
            namespaces: namespace_map,
            phases,
            provenance: None,
        })
    }

    /// The agents of the suite's available outside sources, by source name.
    fn agents(&self) -> BTreeMap<String, SocketAddr> {
        let sources = self.suite.sources.iter();
        sources
            .filter_map(|s| Some((s.name.clone(), s.agent()?)))
            .collect()
    }

    /// Checks once, before any policy, that each outside source's agent connects from the address the suite
    /// declares, as a netexec server of the run sees it (`request=clientip`); a different address refuses the run.
    /// With no netexec server in the suite (only busybox ones, which cannot echo the client) it is not checked.
    async fn verify_outside_sources(&self, fixtures: &Fixtures) -> Result<()> {
        let netexec = self.suite.destinations.iter().find_map(|d| match &d.kind {
            DestinationKind::Server(server) if !server.tcp_only() && !server.host_network => {
                let port = server.ports.iter().find(|p| p.protocol == Protocol::Tcp)?;
                Some((fixtures.servers.get(&d.name)?, port.port))
            }
            _ => None,
        });
        for source in &self.suite.sources {
            let OutsideSourceState::Resolved { address, agent } = &source.state else {
                continue;
            };
            let Some((server, port)) = netexec else {
                tracing::warn!(source = %source.name, "no netexec server in the suite: the outside source's address is not checked");
                continue;
            };
            let seen = client_ip_seen(*agent, server.ip, port)
                .await
                .map_err(|e| Error::Invalid(format!("outside source {}: {e}", source.name)))?;
            if seen != *address {
                return Err(Error::Invalid(format!(
                    "outside source {}: the agent at {agent} connects from {seen} (as {}/{} sees it), not from the declared {address}",
                    source.name, server.namespace, server.name
                )));
            }
            tracing::info!(source = %source.name, %seen, "outside source address checked");
        }
        Ok(())
    }

    /// The deployed fixtures by suite name: source pods, and where each destination is.
    fn layout(&self, fixtures: &Fixtures) -> Result<Layout> {
        let mut layout = Layout::default();
        layout.place_outside_sources(self.suite, false);
        for (name, pod) in &fixtures.sources {
            let own_service = self.suite.self_service().map(|of| {
                let service = source_service_name(of, name);
                service_address(
                    fixtures,
                    &service,
                    &format!("pod {name}"),
                    ServiceAddressing::Ip,
                )
            });
            let source = Source {
                pod: PodRef::new(pod.namespace.clone(), pod.name.clone()),
                node: pod.node.clone(),
                address: pod.ip,
                own_service: own_service.transpose()?,
            };
            layout.sources.insert(name.clone(), source);
        }
        layout.place_destinations(
            self.suite,
            false,
            |_, destination, _| {
                let pod = fixtures.servers.get(&destination.name).ok_or_else(|| {
                    Error::Invalid(format!("server {} was not deployed", destination.name))
                })?;
                Ok(ServerPod {
                    pod: PodRef::new(pod.namespace.clone(), pod.name.clone()),
                    address: pod.ip,
                    secondary: pod.secondary_ip,
                    node: pod.node.clone(),
                })
            },
            |server, by| service_address(fixtures, server, server, by),
        )?;
        Ok(layout)
    }

    /// The command that repeats a probed cell's probe by hand (empty for a skipped cell or a missing source), in
    /// the run's namespace of the source (`namespaces`: the suite's -> the run's).
    fn reproduce(&self, cell: &Cell, namespaces: &NamespaceMap) -> String {
        match (&cell.source, &cell.skipped) {
            (Some(pod), None) => {
                let namespace = namespaces.get(&pod.namespace).unwrap_or(&pod.namespace);
                self.options
                    .probe
                    .reproduce_command(namespace, &pod.name, &cell.url)
            }
            // An outside source: the agent's /dial, asked from where netreach runs.
            (None, None) => {
                let agent = self
                    .suite
                    .outside_source(&cell.key.from)
                    .and_then(|s| s.agent());
                match (agent, agent_url_parts(&cell.url)) {
                    (Some(agent), Some((host, port))) => format!(
                        "curl -sS 'http://{agent}{}'",
                        dial_path("hostname", host, port, cell.key.protocol)
                    ),
                    _ => String::new(),
                }
            }
            _ => String::new(),
        }
    }

    /// Probes the phase's cells, feeding every result to the phase's [`Settle`] machine: a cell is probed again
    /// while it says so, then the confirmation round re-probes the cells it names, no sooner than it says. `late`:
    /// the pods created in this phase, with their creation time and how long they took to be Ready.
    async fn probe_phase(
        &self,
        phase: &Phase,
        policies: Vec<String>,
        fixtures: &Fixtures,
        cells: Vec<CellResult>,
        late: &BTreeMap<String, (Instant, Duration)>,
    ) -> PhaseResult {
        let start = Instant::now();
        let new_pods = late
            .iter()
            .map(|(name, (created, ready))| {
                let pod = NewPod {
                    created_before: start.saturating_duration_since(*created),
                    ready_after: *ready,
                };
                (name.clone(), pod)
            })
            .collect();
        let known = (self.options.known).phase_deviations(&self.suite.name, &phase.name);
        let mut feed = Feed {
            settle: Settle::new(cells, self.options.probe.timing, new_pods)
                .with_known_deviations(known),
            start,
            phase: &phase.name,
            sink: self.sink,
        };
        let agents = self.agents();
        let sources = Origins {
            pods: &fixtures.sources,
            agents: &agents,
        };
        let (client, probe) = (&self.client, &self.options.probe);
        let targets = targets_of(feed.settle.to_probe());
        probe_until_settled(client, sources, targets, probe, &mut feed).await;
        let (confirm_at, early) = feed.settle.confirmation();
        let early = targets_of(early);
        tokio::time::sleep_until((start + confirm_at).into()).await;
        probe_until_settled(client, sources, early, probe, &mut feed).await;
        PhaseResult {
            name: phase.name.clone(),
            policies,
            cells: feed.settle.into_cells(),
            probe_millis: start.elapsed().as_millis() as u64,
        }
    }
}

fn targets_of(cells: Vec<&CellResult>) -> Vec<ProbeTarget> {
    cells
        .into_iter()
        .map(|cell| ProbeTarget {
            key: cell.key.clone(),
            url: cell.url.clone(),
        })
        .collect()
}

/// The Service `name` of the deployed fixtures, in front of `front` (a server, or a source pod), probed `by`: at its
/// first ClusterIP, with its second (a dual-stack Service's other family) if it has one.
fn service_address(
    fixtures: &Fixtures,
    name: &str,
    front: &str,
    by: ServiceAddressing,
) -> Result<ServiceAddress> {
    let (namespace, cluster_ips) = fixtures.services.get(name).ok_or_else(|| {
        Error::Invalid(format!("the Service in front of {front} was not created"))
    })?;
    let primary = cluster_ips.first().copied().ok_or_else(|| {
        Error::Invalid(format!("the Service in front of {front} has no ClusterIP"))
    })?;
    Ok(ServiceAddress::new(namespace, name, primary, by)
        .with_secondary(cluster_ips.get(1).copied()))
}

/// The I/O side of a phase's settle machine: timestamps each probe result, logs it, reports rounds as events.
struct Feed<'a> {
    settle: Settle,
    start: Instant,
    phase: &'a str,
    sink: &'a dyn EventSink,
}

impl Probing for Feed<'_> {
    fn observed(&mut self, key: CellKey, observation: Observation, sent: Instant) -> Next {
        // When the probe saw the cluster: a fast probe that came back with a slow one of its batch must still go to
        // the confirmation round if it was sent before the policies could take effect.
        let at = sent.saturating_duration_since(self.start);
        let logged = format!("{observation:?}");
        let next = self.settle.observe(&key, observation, at);
        match next {
            Next::Decided => {
                tracing::debug!(phase = %self.phase, cell = %key, observed = %logged, ?at, "decided")
            }
            _ => {
                tracing::debug!(phase = %self.phase, cell = %key, observed = %logged, "not as expected yet")
            }
        }
        next
    }

    fn round_done(&mut self, round: u32, pending: usize) {
        self.sink.emit(RunEvent::ProbeRound {
            phase: self.phase.to_owned(),
            round,
            settled: self.settle.len() - pending,
            pending,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use netreach_core::cell::Reach;
    use netreach_core::settle::Timing;

    /// A cell expected allowed, not probed yet.
    fn expected_allowed() -> CellResult {
        serde_json::from_value(serde_json::json!({
            "key": {"from": "isolated", "to": "self-svc", "port": 8080, "protocol": "TCP"},
            "from_node": null, "to_node": null, "url": "http://10.96.0.20:8080/",
            "expected": "allow", "observed": {"result": "error", "message": "not probed"},
            "attempts": 0, "settled_after": null
        }))
        .unwrap()
    }

    /// Seen on kube-router (suite self, `--jobs 4`): a probe sent right after the policies were applied came back
    /// allowed — the enforcer had not acted yet — with the slow probes of its batch (names that do not resolve) 5.4 s
    /// later. Stamped with the batch's return, it counted as a match after the confirmation time and was never
    /// probed again; stamped with when it was sent, it goes to the confirmation round.
    #[test]
    fn a_match_sent_before_the_confirmation_time_is_confirmed_however_late_its_batch_came_back() {
        let timing = Timing {
            settle_timeout: Duration::from_secs(30),
            retry_interval: Duration::from_millis(500),
            confirm_after: Duration::from_secs(1),
        };
        let cell = expected_allowed();
        let key = cell.key.clone();
        let now = Instant::now();
        let start = now.checked_sub(Duration::from_millis(5400)).unwrap();
        let sink = |_: RunEvent| {};
        let mut feed = Feed {
            settle: Settle::new(vec![cell], timing, BTreeMap::new()),
            start,
            phase: "isolated-deny-all",
            sink: &sink,
        };
        let sent = start + Duration::from_millis(100);
        let allowed = Observation::Allowed { http_status: 200 };
        assert_eq!(feed.observed(key.clone(), allowed, sent), Next::Decided);
        let settled = feed.settle.cell(&key).and_then(|c| c.settled_after);
        assert_eq!(settled, Some(Duration::from_millis(100)));
        let (_, confirm) = feed.settle.confirmation();
        assert_eq!(confirm.len(), 1, "the early match is re-probed");
        assert_eq!(confirm[0].expected, Some(Reach::Allow));
    }
}
