//! Probing many cells at once: one exec per source pod running its curls concurrently, with bounded exec concurrency;
//! an outside source's cells through its agent, likewise in batches.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use netreach_core::cell::{CellKey, Observation};
use netreach_core::settings::{CONNECT_CONTAINER, ProbeSettings};
use netreach_core::settle::Next;
use netreach_core::world::Protocol;
use tokio::sync::Semaphore;

use crate::agent::probe_from_agent;
use crate::exec::exec;
use crate::fixtures::RunningPod;
use crate::probe_script::{connect_script, parse_connect_output, parse_probe_output, probe_script};

/// One cell to probe: its key (whose `from` names the source pod) and the URL to fetch.
#[derive(Debug, Clone)]
pub struct ProbeTarget {
    pub key: CellKey,
    pub url: String,
}

/// Where the probes of each row of the matrix run, by the row's name.
#[derive(Debug, Clone, Copy)]
pub struct Origins<'a> {
    /// Source pods: probed by exec.
    pub pods: &'a BTreeMap<String, RunningPod>,
    /// Outside sources: their agent's address (netexec `/dial`).
    pub agents: &'a BTreeMap<String, SocketAddr>,
}

/// One row's origin.
#[derive(Debug, Clone, Copy)]
enum Origin<'a> {
    Pod(&'a RunningPod),
    Agent(SocketAddr),
}

/// What [`probe_until_settled`] tells its caller, and what the caller decides.
pub trait Probing {
    /// One probe's result; `sent` is when its exec (or agent request) started, which is when the probe saw the
    /// cluster, not when its batch came back: a batch lasts as long as its slowest probe (a name that does not resolve
    /// takes seconds). The answer says whether (and after what pause) the cell is probed again.
    fn observed(&mut self, key: CellKey, observation: Observation, sent: Instant) -> Next;
    /// Every batch of probe round `round` has come back (round 1 probes every cell once); `pending` cells are not
    /// decided yet (some may already be in a later round).
    fn round_done(&mut self, round: u32, pending: usize);
}

/// Probes every target, then probes again each cell for which `on` answers [`Next::Retry`], until none is left.
///
/// Sources go at their own pace: as soon as one exec comes back, the cells to retry are probed again after the
/// pause `on` asked for, without waiting for the slowest exec of the round. At most `exec_concurrency` execs are in
/// flight.
pub async fn probe_until_settled(
    client: &Client,
    sources: Origins<'_>,
    targets: Vec<ProbeTarget>,
    options: &ProbeSettings,
    on: &mut impl Probing,
) {
    let started = Instant::now();
    let permits = Semaphore::new(options.exec_concurrency.max(1));
    let mut pending = targets.len();
    let mut in_flight: BTreeMap<u32, usize> = BTreeMap::new();
    let mut running = FuturesUnordered::new();
    let mut by_source: BTreeMap<String, Vec<ProbeTarget>> = BTreeMap::new();
    for target in targets {
        by_source
            .entry(target.key.from.clone())
            .or_default()
            .push(target);
    }
    for (source, list) in by_source {
        let origin = match (sources.pods.get(&source), sources.agents.get(&source)) {
            (Some(pod), _) => Some(Origin::Pod(pod)),
            (None, Some(agent)) => Some(Origin::Agent(*agent)),
            (None, None) => None,
        };
        let Some(pod) = origin else {
            // Nothing to retry: the pod will not appear.
            for target in list {
                let message = format!("source pod {source} is not deployed");
                let now = Instant::now();
                if on.observed(target.key, Observation::Error { message }, now) == Next::Decided {
                    pending -= 1;
                }
            }
            continue;
        };
        for chunk in list.chunks(options.probes_per_exec.max(1)) {
            *in_flight.entry(1).or_default() += 1;
            running.push(paced_batch(
                client,
                &permits,
                pod,
                chunk.to_vec(),
                options,
                1,
                None,
            ));
        }
    }
    if in_flight.is_empty() {
        on.round_done(1, pending);
    }
    while let Some((round, pod, batch, sent, observed)) = running.next().await {
        let BatchOutcome {
            again,
            pause,
            decided,
        } = hand_over(batch, observed, sent, on);
        pending -= decided;
        if !again.is_empty() {
            *in_flight.entry(round + 1).or_default() += 1;
            let delay = Some(pause);
            running.push(paced_batch(
                client,
                &permits,
                pod,
                again,
                options,
                round + 1,
                delay,
            ));
        }
        let left = in_flight.entry(round).or_default();
        *left -= 1;
        if *left == 0 {
            in_flight.remove(&round);
            on.round_done(round, pending);
        }
    }
    tracing::info!(
        pending,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "probing done"
    );
}

/// What one returned batch leaves to do.
#[derive(Debug)]
struct BatchOutcome {
    /// The cells to probe again, after `pause`.
    again: Vec<ProbeTarget>,
    pause: Duration,
    /// How many cells the caller decided.
    decided: usize,
}

/// Hands a batch's observations, each stamped with the time the batch was `sent`, to the caller and collects the
/// cells it wants probed again. Observations are matched to their targets by key, not by position: a batch comes back
/// grouped by prober (TCP first), not in the order it was sent.
fn hand_over(
    batch: Vec<ProbeTarget>,
    observed: Vec<(CellKey, Observation)>,
    sent: Instant,
    on: &mut impl Probing,
) -> BatchOutcome {
    let mut targets: BTreeMap<CellKey, ProbeTarget> =
        batch.into_iter().map(|t| (t.key.clone(), t)).collect();
    let mut outcome = BatchOutcome {
        again: Vec::new(),
        pause: Duration::ZERO,
        decided: 0,
    };
    for (key, observation) in observed {
        let target = targets.remove(&key);
        match on.observed(key, observation, sent) {
            Next::Decided => outcome.decided += 1,
            Next::Retry(after) => {
                if let Some(target) = target {
                    outcome.pause = outcome.pause.max(after);
                    outcome.again.push(target);
                }
            }
            Next::GiveUp => {}
        }
    }
    outcome
}

/// Waits `delay`, then for an exec slot, then probes one batch; hands back the batch with the time it was sent (once
/// it had its slot) and its observations.
async fn paced_batch<'a>(
    client: &Client,
    permits: &Semaphore,
    pod: Origin<'a>,
    batch: Vec<ProbeTarget>,
    options: &ProbeSettings,
    round: u32,
    delay: Option<Duration>,
) -> (
    u32,
    Origin<'a>,
    Vec<ProbeTarget>,
    Instant,
    Vec<(CellKey, Observation)>,
) {
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let permit = permits.acquire().await;
    let sent = Instant::now();
    let observed = match permit {
        Ok(_permit) => match pod {
            Origin::Pod(pod) => probe_batch(client, pod, batch.iter().collect(), options).await,
            Origin::Agent(agent) => {
                probe_from_agent(agent, &batch.iter().collect::<Vec<_>>()).await
            }
        },
        Err(_) => batch
            .iter()
            .map(|t| {
                let message = "probe slots closed".to_owned();
                (t.key.clone(), Observation::Error { message })
            })
            .collect(),
    };
    (round, pod, batch, sent, observed)
}

/// Probes one batch: TCP cells with curl in the pod's first container, UDP and SCTP cells with agnhost `connect` in
/// its agnhost container (one exec each, concurrently).
async fn probe_batch(
    client: &Client,
    pod: &RunningPod,
    batch: Vec<&ProbeTarget>,
    options: &ProbeSettings,
) -> Vec<(CellKey, Observation)> {
    let (tcp, other): (Vec<&ProbeTarget>, Vec<&ProbeTarget>) = batch
        .into_iter()
        .partition(|t| t.key.protocol == Protocol::Tcp);
    let (mut tcp_seen, other_seen) = tokio::join!(
        probe_with(client, pod, tcp, options, Prober::Curl),
        probe_with(client, pod, other, options, Prober::Connect)
    );
    tcp_seen.extend(other_seen);
    tcp_seen
}

/// Which tool probes a batch.
#[derive(Clone, Copy)]
enum Prober {
    Curl,
    Connect,
}

async fn probe_with(
    client: &Client,
    pod: &RunningPod,
    batch: Vec<&ProbeTarget>,
    options: &ProbeSettings,
    prober: Prober,
) -> Vec<(CellKey, Observation)> {
    if batch.is_empty() {
        return Vec::new();
    }
    let urls: Vec<String> = batch.iter().map(|t| t.url.clone()).collect();
    let (script, container) = match prober {
        Prober::Curl => (probe_script(&urls, options), pod.first_container.as_deref()),
        Prober::Connect => (connect_script(&urls, options), Some(CONNECT_CONTAINER)),
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace);
    let command = vec!["sh".to_owned(), "-c".to_owned(), script];
    tracing::info!(namespace = %pod.namespace, pod = %pod.name, probes = urls.len(), "probing by exec");
    let started = Instant::now();
    let result = exec(
        &pods,
        &pod.name,
        container,
        command,
        options.exec_deadline(),
    )
    .await;
    tracing::debug!(
        namespace = %pod.namespace,
        pod = %pod.name,
        probes = urls.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "exec done"
    );
    let observations = match result {
        Ok(output) if output.exit_code == Some(0) => match prober {
            Prober::Curl => parse_probe_output(&output.stdout, urls.len()),
            Prober::Connect => parse_connect_output(&output.stdout, urls.len()),
        },
        Ok(output) => {
            let message = format!(
                "probe shell in {}/{} exited {:?}: {}",
                pod.namespace,
                pod.name,
                output.exit_code,
                output.stderr.trim()
            );
            vec![Observation::Error { message }; urls.len()]
        }
        Err(message) => {
            let message = match prober {
                Prober::Curl => message,
                Prober::Connect => format!(
                    "UDP and SCTP probes run agnhost in the source pod's {CONNECT_CONTAINER} container: {message}"
                ),
            };
            vec![Observation::Error { message }; urls.len()]
        }
    };
    batch
        .into_iter()
        .map(|t| t.key.clone())
        .zip(observations)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(port: u16, protocol: Protocol) -> ProbeTarget {
        ProbeTarget {
            key: CellKey {
                from: "client".into(),
                to: "multi".into(),
                port,
                protocol,
            },
            url: format!("http://multi:{port}/"),
        }
    }

    /// Retries every cell whose port is 9090, decides the others.
    struct RetryPort9090;

    impl Probing for RetryPort9090 {
        fn observed(&mut self, key: CellKey, _: Observation, _: Instant) -> Next {
            if key.port == 9090 {
                Next::Retry(Duration::from_millis(500))
            } else {
                Next::Decided
            }
        }
        fn round_done(&mut self, _: u32, _: usize) {}
    }

    #[test]
    fn a_batch_returned_in_another_order_retries_the_cell_that_asked() {
        // Sent TCP 8080, UDP 5353, TCP 9090; back grouped by prober: TCP 8080, TCP 9090, UDP 5353.
        let batch = vec![
            target(8080, Protocol::Tcp),
            target(5353, Protocol::Udp),
            target(9090, Protocol::Tcp),
        ];
        let observed = [8080, 9090, 5353]
            .into_iter()
            .map(|port| {
                let protocol = if port == 5353 {
                    Protocol::Udp
                } else {
                    Protocol::Tcp
                };
                let observation = Observation::Error {
                    message: "any".into(),
                };
                (target(port, protocol).key, observation)
            })
            .collect();
        let outcome = hand_over(batch, observed, Instant::now(), &mut RetryPort9090);
        let again: Vec<u16> = outcome.again.iter().map(|t| t.key.port).collect();
        assert_eq!(again, vec![9090]);
        assert_eq!(outcome.pause, Duration::from_millis(500));
        assert_eq!(outcome.decided, 2);
    }
}
