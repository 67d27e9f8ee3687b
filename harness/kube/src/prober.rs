//! Probing many cells at once: one exec per source pod running its curls concurrently, with bounded exec concurrency.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use netreach_core::cell::{CellKey, Observation};
use tokio::sync::Semaphore;

use crate::exec::exec;
use crate::fixtures::RunningPod;
use crate::probe_script::{CurlTimeouts, parse_probe_output, probe_script};

/// How probes run; every field is a CLI flag.
#[derive(Debug, Clone, Copy)]
pub struct ProbeOptions {
    pub curl: CurlTimeouts,
    /// Execs in flight at once (each probes all pending cells of one source pod).
    pub exec_concurrency: usize,
    /// Most curls one exec runs at once; larger batches are split.
    pub probes_per_exec: usize,
}

impl ProbeOptions {
    fn exec_deadline(&self) -> Duration {
        self.curl.total + Duration::from_secs(15)
    }
}

/// One cell to probe: its key (whose `from` names the source pod) and the URL to fetch.
#[derive(Debug, Clone)]
pub struct ProbeTarget {
    pub key: CellKey,
    pub url: String,
}

/// What [`probe_until_settled`] tells its caller.
#[derive(Debug)]
pub enum Update {
    /// One probe's result; the caller answers whether the cell has settled (then it is not probed again).
    Observed(CellKey, Observation),
    /// Every batch of probe round `round` has come back (round 1 probes every cell once); `pending` cells have not
    /// settled yet (some may already be in a later round).
    RoundDone { round: u32, pending: usize },
}

/// Probes every target, then probes again the cells that have not settled, until all have or `settle_by` passes.
///
/// Sources go at their own pace: as soon as one exec comes back, its unsettled cells are probed again after
/// `retry_interval`, without waiting for the slowest exec of the round. At most `exec_concurrency` execs are in
/// flight. `on` receives every observation (answering whether its cell settled) and the end of every round.
pub async fn probe_until_settled(
    client: &Client,
    sources: &BTreeMap<String, RunningPod>,
    targets: Vec<ProbeTarget>,
    options: &ProbeOptions,
    retry_interval: Duration,
    settle_by: Instant,
    mut on: impl FnMut(Update) -> bool,
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
        let Some(pod) = sources.get(&source) else {
            // Nothing to retry: the pod will not appear.
            for target in list {
                let message = format!("source pod {source} is not deployed");
                if on(Update::Observed(target.key, Observation::Error { message })) {
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
        on(Update::RoundDone { round: 1, pending });
    }
    while let Some((round, pod, batch, observed)) = running.next().await {
        let mut again = Vec::new();
        for (target, (key, observation)) in batch.into_iter().zip(observed) {
            if on(Update::Observed(key, observation)) {
                pending -= 1;
            } else {
                again.push(target);
            }
        }
        if !again.is_empty() && Instant::now() + retry_interval <= settle_by {
            *in_flight.entry(round + 1).or_default() += 1;
            let delay = Some(retry_interval);
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
            on(Update::RoundDone { round, pending });
        }
    }
    tracing::info!(
        pending,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "probing done"
    );
}

/// Waits `delay`, then for an exec slot, then probes one batch; hands back the batch with its observations.
async fn paced_batch<'a>(
    client: &Client,
    permits: &Semaphore,
    pod: &'a RunningPod,
    batch: Vec<ProbeTarget>,
    options: &ProbeOptions,
    round: u32,
    delay: Option<Duration>,
) -> (
    u32,
    &'a RunningPod,
    Vec<ProbeTarget>,
    Vec<(CellKey, Observation)>,
) {
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let observed = match permits.acquire().await {
        Ok(_permit) => probe_batch(client, pod, batch.iter().collect(), options).await,
        Err(_) => batch
            .iter()
            .map(|t| {
                let message = "probe slots closed".to_owned();
                (t.key.clone(), Observation::Error { message })
            })
            .collect(),
    };
    (round, pod, batch, observed)
}

async fn probe_batch(
    client: &Client,
    pod: &RunningPod,
    batch: Vec<&ProbeTarget>,
    options: &ProbeOptions,
) -> Vec<(CellKey, Observation)> {
    let urls: Vec<String> = batch.iter().map(|t| t.url.clone()).collect();
    let script = probe_script(&urls, options.curl);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace);
    let command = vec!["sh".to_owned(), "-c".to_owned(), script];
    tracing::info!(namespace = %pod.namespace, pod = %pod.name, probes = urls.len(), "probing by exec");
    let started = Instant::now();
    let result = exec(&pods, &pod.name, command, options.exec_deadline()).await;
    tracing::debug!(
        namespace = %pod.namespace,
        pod = %pod.name,
        probes = urls.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "exec done"
    );
    let observations = match result {
        Ok(output) if output.exit_code == Some(0) => parse_probe_output(&output.stdout, urls.len()),
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
        Err(message) => vec![Observation::Error { message }; urls.len()],
    };
    batch
        .into_iter()
        .map(|t| t.key.clone())
        .zip(observations)
        .collect()
}
