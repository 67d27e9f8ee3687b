//! Running a suite: deploy, then per phase apply policies and probe until cells settle; results go out as events.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use kube::Client;
use netreach_core::cell::{CellKey, CellResult, Observation};
use netreach_core::events::{EventSink, RunEvent};
use netreach_core::oracle::{PodRef, Target};
use netreach_core::plan::{CellRoute, OracleCell, contradictions, oracle_cells, plan_suite};
use netreach_core::results::{PhaseResult, RunReport};
use netreach_core::suite::{DestinationKind, Expectation, ExternalDestination, Phase, Suite};

use crate::error::{Error, Result};
use crate::fixtures::{Deployer, FixtureImages, Fixtures, Mode};
use crate::policies::{PolicyApplier, PolicyKey};
use crate::probe_script::CurlTimeouts;
use crate::prober::{ProbeOptions, ProbeTarget, Update, probe_until_settled};
use crate::reproduce::reproduce_command;
use crate::world::deployed_world;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub images: FixtureImages,
    pub mode: Mode,
    pub ready_timeout: Duration,
    /// How long a cell may take to match its expectation after a phase's policies are applied.
    pub settle_timeout: Duration,
    /// Pause between probe rounds of the cells that do not match yet.
    pub retry_interval: Duration,
    /// The earliest time after applying a phase's policies at which the confirmation round re-probes every cell.
    pub confirm_after: Duration,
    pub probe: ProbeOptions,
}

impl RunOptions {
    /// The defaults every entry point starts from: 2 s connect timeout, 30 s to settle, 120 s to be Ready,
    /// 32 execs in flight, 64 probes per exec, 0.5 s between probe rounds.
    pub fn new(images: FixtureImages, mode: Mode) -> Self {
        let connect = Duration::from_secs(2);
        Self {
            images,
            mode,
            ready_timeout: Duration::from_secs(120),
            settle_timeout: Duration::from_secs(30),
            retry_interval: Duration::from_millis(500),
            confirm_after: Duration::from_secs(1),
            probe: ProbeOptions {
                curl: CurlTimeouts {
                    connect,
                    total: connect + Duration::from_secs(2),
                },
                exec_concurrency: 32,
                probes_per_exec: 64,
            },
        }
    }
}

/// Where a destination is, once deployed.
#[derive(Debug, Clone)]
struct Resolved {
    /// What the oracle judges: the server pod, or the outside address.
    target: Target,
    address: IpAddr,
    port: u16,
    path: String,
    node: Option<String>,
}

pub struct Runner<'a> {
    pub client: Client,
    pub suite: &'a Suite,
    pub run_id: &'a str,
    pub options: &'a RunOptions,
    pub sink: &'a dyn EventSink,
}

impl Runner<'_> {
    /// Runs every phase. The caller cleans up (also after an error or Ctrl-C) with [`crate::cleanup_run`].
    pub async fn run(&self) -> Result<RunReport> {
        let plans = plan_suite(self.suite).map_err(|e| Error::Invalid(format!("oracle: {e}")))?;
        let contradicted = contradictions(&plans);
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

        let destinations = self.resolve_destinations(&fixtures)?;
        let mut world = deployed_world(&self.client, &fixtures).await?;
        let mut cell_routes = routes(self.suite, &fixtures, &destinations);
        for placeholder in &self.suite.placeholders {
            let real = destinations.get(&placeholder.destination).ok_or_else(|| {
                Error::Invalid(format!(
                    "placeholder destination {} has no address",
                    placeholder.destination
                ))
            })?;
            applier
                .placeholders
                .insert(placeholder.address, real.address);
        }

        let mut phases = Vec::new();
        let mut in_force: Vec<PolicyKey> = Vec::new();
        for (index, phase) in self.suite.phases.iter().enumerate() {
            let names: Vec<String> = phase.policies.iter().map(|m| m.qualified_name()).collect();
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
                world = deployed_world(&self.client, &fixtures).await?;
                cell_routes = routes(self.suite, &fixtures, &destinations);
            }
            let rendered: Vec<_> = phase.policies.iter().map(|m| applier.rendered(m)).collect();
            let judged: BTreeMap<CellKey, OracleCell> =
                oracle_cells(&world, &rendered, self.suite.profile, &cell_routes)
                    .map_err(|e| Error::Invalid(format!("oracle, phase {}: {e}", phase.name)))?
                    .into_iter()
                    .map(|cell| (cell.key.clone(), cell))
                    .collect();
            let result = self
                .probe_phase(
                    (index, phase),
                    names,
                    &fixtures,
                    &destinations,
                    &judged,
                    &late,
                )
                .await;
            self.sink.emit(RunEvent::PhaseFinished(result.clone()));
            phases.push(result);
        }
        Ok(RunReport {
            suite: self.suite.name.clone(),
            run_id: self.run_id.to_owned(),
            phases,
        })
    }

    fn resolve_destinations(&self, fixtures: &Fixtures) -> Result<BTreeMap<String, Resolved>> {
        let mut out = BTreeMap::new();
        for destination in &self.suite.destinations {
            let resolved = match &destination.kind {
                DestinationKind::Server(server) => {
                    let pod = fixtures.servers.get(&destination.name).ok_or_else(|| {
                        Error::Invalid(format!("server {} was not deployed", destination.name))
                    })?;
                    Resolved {
                        target: Target::Pod(PodRef::new(pod.namespace.clone(), pod.name.clone())),
                        address: pod.ip,
                        port: server.port,
                        path: "/".into(),
                        node: pod.node.clone(),
                    }
                }
                DestinationKind::External(ExternalDestination::Resolved {
                    address,
                    port,
                    path,
                }) => Resolved {
                    target: Target::Address(*address),
                    address: *address,
                    port: *port,
                    path: path.clone(),
                    node: None,
                },
                DestinationKind::External(ExternalDestination::Unavailable { .. }) => continue,
            };
            out.insert(destination.name.clone(), resolved);
        }
        Ok(out)
    }

    /// Probes the phase's cells; cells that differ from expectation are probed again until they match or the
    /// settle deadline passes. Every cell is probed at least once. The cells of a pod created in this phase
    /// (`late`: its creation time and how long it took to be Ready) are decided by their first probe alone.
    async fn probe_phase(
        &self,
        (index, phase): (usize, &Phase),
        policies: Vec<String>,
        fixtures: &Fixtures,
        destinations: &BTreeMap<String, Resolved>,
        judged: &BTreeMap<CellKey, OracleCell>,
        late: &BTreeMap<String, (Instant, Duration)>,
    ) -> PhaseResult {
        let start = Instant::now();
        let mut cells: BTreeMap<CellKey, CellResult> = BTreeMap::new();
        let mut order: Vec<CellKey> = Vec::new();
        let mut targets: Vec<ProbeTarget> = Vec::new();
        for pod in &self.suite.pods {
            let from_node = fixtures.sources.get(&pod.name).and_then(|p| p.node.clone());
            let not_created = self.suite.not_created_yet(&pod.name, index);
            for destination in &self.suite.destinations {
                let (key, cell) = match destinations.get(&destination.name) {
                    Some(to) if not_created.is_none() => {
                        let key = CellKey {
                            from: pod.name.clone(),
                            to: destination.name.clone(),
                            port: to.port,
                        };
                        let oracle = judged.get(&key);
                        let expected = match phase.expectation {
                            Expectation::Oracle => oracle.map(|o| o.expected),
                            Expectation::Table(_) => {
                                phase.expectation.expected(&pod.name, &destination.name)
                            }
                        };
                        let url = url_of(to);
                        let reproduce = fixtures
                            .sources
                            .get(&pod.name)
                            .map(|source| {
                                reproduce_command(
                                    &source.namespace,
                                    &source.name,
                                    &url,
                                    self.options.probe.curl,
                                )
                            })
                            .unwrap_or_default();
                        targets.push(ProbeTarget {
                            key: key.clone(),
                            url: url.clone(),
                        });
                        let pending = Observation::Error {
                            message: "not probed".into(),
                        };
                        (
                            key.clone(),
                            CellResult {
                                implementation_defined: oracle
                                    .map(|o| o.implementation_defined.clone())
                                    .unwrap_or_default(),
                                explanation: oracle.map(|o| o.explanation.clone()),
                                oracle: oracle.map(|o| o.expected),
                                reproduce,
                                ready_after: late.get(&pod.name).map(|(_, ready)| *ready),
                                ..cell(
                                    key,
                                    from_node.clone(),
                                    to.node.clone(),
                                    url,
                                    expected,
                                    pending,
                                )
                            },
                        )
                    }
                    resolved => {
                        let key = CellKey {
                            from: pod.name.clone(),
                            to: destination.name.clone(),
                            port: resolved
                                .map(|to| to.port)
                                .or_else(|| destination.port())
                                .unwrap_or(0),
                        };
                        let reason = not_created.clone().unwrap_or_else(|| {
                            destination.skip_reason().unwrap_or("no address").to_owned()
                        });
                        (
                            key.clone(),
                            cell(
                                key,
                                from_node.clone(),
                                None,
                                String::new(),
                                phase.expectation.expected(&pod.name, &destination.name),
                                Observation::Skipped { reason },
                            ),
                        )
                    }
                };
                order.push(key.clone());
                cells.insert(key, cell);
            }
        }

        let phase_name = phase.name.clone();
        let settle_by = start + self.options.settle_timeout;
        let cells = RefCell::new(cells);
        let on_update = |update| match update {
            Update::Observed(key, observation) => {
                let mut cells = cells.borrow_mut();
                let Some(cell) = cells.get_mut(&key) else {
                    return true;
                };
                let first_of_new_pod = cell.attempts == 0 && late.contains_key(&key.from);
                cell.attempts += 1;
                let matches = observation.reach().is_some() && observation.reach() == cell.expected;
                if first_of_new_pod {
                    let (created, _) = late[&key.from];
                    cell.first_probe_after = Some(created.elapsed());
                    tracing::info!(phase = %phase_name, cell = %key, observed = ?observation, after = ?created.elapsed(), "first probe of a new pod");
                    if !matches {
                        // Not protected from its first probe: that result stands, later ones do not change it.
                        cell.observed = observation;
                        return true;
                    }
                }
                if matches {
                    cell.settled_after = Some(start.elapsed());
                } else {
                    tracing::debug!(phase = %phase_name, cell = ?key, observed = ?observation, "not as expected yet");
                }
                cell.observed = observation;
                matches
            }
            Update::RoundDone { round, pending } => {
                self.sink.emit(RunEvent::ProbeRound {
                    phase: phase_name.clone(),
                    round,
                    settled: cells.borrow().len() - pending,
                    pending,
                });
                false
            }
        };
        let (client, sources, probe) = (&self.client, &fixtures.sources, &self.options.probe);
        let retry = self.options.retry_interval;
        probe_until_settled(
            client,
            sources,
            targets.clone(),
            probe,
            retry,
            settle_by,
            &on_update,
        )
        .await;
        // A cell can match on the state before the phase's policies took effect (an allow seen before the deny was
        // enforced). Once everything matched, the cells that matched sooner than `confirm_after` past the apply are
        // probed once more, no sooner than that; one that no longer matches is probed again until it does or the
        // deadline passes.
        let confirm_after = self.options.confirm_after;
        let early: Vec<ProbeTarget> = targets
            .into_iter()
            .filter(|t| {
                let settled = cells.borrow().get(&t.key).and_then(|c| c.settled_after);
                settled.is_some_and(|after| after < confirm_after)
            })
            .collect();
        tokio::time::sleep_until((start + confirm_after).into()).await;
        probe_until_settled(client, sources, early, probe, retry, settle_by, &on_update).await;
        PhaseResult {
            name: phase.name.clone(),
            policies,
            cells: {
                let mut cells = cells.into_inner();
                order.iter().filter_map(|key| cells.remove(key)).collect()
            },
            probe_millis: start.elapsed().as_millis() as u64,
        }
    }
}

fn cell(
    key: CellKey,
    from_node: Option<String>,
    to_node: Option<String>,
    url: String,
    expected: Option<netreach_core::cell::Reach>,
    observed: Observation,
) -> CellResult {
    CellResult {
        key,
        from_node,
        to_node,
        url,
        expected,
        observed,
        attempts: 0,
        implementation_defined: Vec::new(),
        explanation: None,
        oracle: None,
        settled_after: None,
        reproduce: String::new(),
        ready_after: None,
        first_probe_after: None,
    }
}

/// How each probed cell maps onto the deployed world, for the oracle.
fn routes(
    suite: &Suite,
    fixtures: &Fixtures,
    destinations: &BTreeMap<String, Resolved>,
) -> Vec<CellRoute> {
    let mut out = Vec::new();
    for pod in &suite.pods {
        let Some(source) = fixtures.sources.get(&pod.name) else {
            continue;
        };
        for destination in &suite.destinations {
            let Some(to) = destinations.get(&destination.name) else {
                continue;
            };
            out.push(CellRoute {
                key: CellKey {
                    from: pod.name.clone(),
                    to: destination.name.clone(),
                    port: to.port,
                },
                from: PodRef::new(source.namespace.clone(), source.name.clone()),
                to: to.target.clone(),
            });
        }
    }
    out
}

fn url_of(to: &Resolved) -> String {
    match to.address {
        IpAddr::V4(v4) => format!("http://{v4}:{}{}", to.port, to.path),
        IpAddr::V6(v6) => format!("http://[{v6}]:{}{}", to.port, to.path),
    }
}
