//! Probing many cells at once: one exec per source pod running its curls concurrently, with bounded exec concurrency.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use netreach_core::cell::{CellKey, Observation};

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

/// Probes every target; each gets exactly one observation, an error when the exec itself failed.
pub async fn probe_all(
    client: &Client,
    sources: &BTreeMap<String, RunningPod>,
    targets: &[ProbeTarget],
    options: &ProbeOptions,
) -> Vec<(CellKey, Observation)> {
    let mut batches: Vec<(&RunningPod, Vec<&ProbeTarget>)> = Vec::new();
    let mut by_source: BTreeMap<&str, Vec<&ProbeTarget>> = BTreeMap::new();
    for target in targets {
        by_source
            .entry(target.key.from.as_str())
            .or_default()
            .push(target);
    }
    let mut results = Vec::new();
    for (source, list) in by_source {
        match sources.get(source) {
            Some(pod) => {
                for chunk in list.chunks(options.probes_per_exec.max(1)) {
                    batches.push((pod, chunk.to_vec()));
                }
            }
            None => results.extend(list.into_iter().map(|t| {
                (
                    t.key.clone(),
                    Observation::Error {
                        message: format!("source pod {source} is not deployed"),
                    },
                )
            })),
        }
    }
    let observed: Vec<Vec<(CellKey, Observation)>> = stream::iter(batches)
        .map(|(pod, batch)| probe_batch(client, pod, batch, options))
        .buffer_unordered(options.exec_concurrency.max(1))
        .collect()
        .await;
    results.extend(observed.into_iter().flatten());
    results
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
    let observations = match exec(&pods, &pod.name, command, options.exec_deadline()).await {
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
