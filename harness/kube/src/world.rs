//! The deployed world as the oracle sees it: real namespaces' labels, fixture pods, node addresses.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::api::ListParams;
use kube::{Api, Client};
use netreach_core::plan::namespace_info;
use netreach_core::world::{CLUSTER_DNS_LABEL, CLUSTER_DNS_NAMESPACE, NodeInfo, PodInfo, World};

use crate::error::{Error, Result};
use crate::fixtures::{Fixtures, RunningPod, running_pod};

/// The Ready cluster DNS pods (`k8s-app=kube-dns` in `kube-system`); none when they cannot be listed (then cells by
/// name are skipped, saying there is no cluster DNS).
async fn dns_pods(client: &Client) -> Vec<RunningPod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), CLUSTER_DNS_NAMESPACE);
    let (key, value) = CLUSTER_DNS_LABEL;
    match api
        .list(&ListParams::default().labels(&format!("{key}={value}")))
        .await
    {
        Ok(list) => list.items.iter().filter_map(running_pod).collect(),
        Err(error) => {
            tracing::warn!(%error, "cannot list the cluster DNS pods: cells by name are skipped");
            Vec::new()
        }
    }
}

/// Reads the namespaces of every fixture and the nodes' addresses, and combines them with the fixtures. With
/// Services among the fixtures, the cluster DNS pods (read only) join the world, so the oracle can judge DNS egress.
pub async fn deployed_world(client: &Client, fixtures: &Fixtures) -> Result<World> {
    let dns = match fixtures.services.is_empty() {
        true => Vec::new(),
        false => dns_pods(client).await,
    };
    let pods: Vec<&RunningPod> = fixtures
        .sources
        .values()
        .chain(fixtures.servers.values())
        .chain(&dns)
        .collect();
    let namespaces: BTreeSet<&str> = pods.iter().map(|p| p.namespace.as_str()).collect();
    let api: Api<Namespace> = Api::all(client.clone());
    let mut world = World::default();
    for name in namespaces {
        let labels = match api.get(name).await {
            Ok(namespace) => namespace.metadata.labels.unwrap_or_default(),
            // Not netreach's: where it may not be read, the DNS pods' namespace has the label the API server sets.
            Err(error) if name == CLUSTER_DNS_NAMESPACE => {
                tracing::warn!(%error, "cannot read namespace {name}: judged with its name label only");
                Default::default()
            }
            Err(error) => return Err(Error::api(format!("reading namespace {name}"))(error)),
        };
        world.namespaces.push(namespace_info(name, &labels));
    }
    let mut seen = BTreeSet::new();
    for pod in pods {
        if seen.insert((pod.namespace.clone(), pod.name.clone())) {
            world.pods.push(PodInfo {
                name: pod.name.clone(),
                namespace: pod.namespace.clone(),
                labels: pod.labels.clone(),
                ip: pod.ip,
                secondary_ip: pod.secondary_ip,
                node: pod.node.clone().unwrap_or_default(),
                host_network: pod.host_network,
                ports: pod.ports.clone(),
            });
        }
    }
    let nodes: Api<Node> = Api::all(client.clone());
    for node in nodes
        .list(&ListParams::default())
        .await
        .map_err(Error::api("listing nodes"))?
        .items
    {
        let addresses = node
            .status
            .iter()
            .flat_map(|s| s.addresses.iter().flatten())
            .filter_map(|a| a.address.parse().ok())
            .collect();
        world.nodes.push(NodeInfo {
            labels: node.metadata.labels.clone().unwrap_or_default(),
            name: node.metadata.name.unwrap_or_default(),
            addresses,
        });
    }
    Ok(world)
}
