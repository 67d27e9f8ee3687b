//! Removing exactly what a run created: its namespaces and its (cluster) policies (found by the run-id label).

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{DeleteParams, ListParams};
use kube::{Api, Client};

use crate::cluster_policies;
use crate::error::{Error, Result};
use crate::objects::{MANAGED_BY, run_selector};
use crate::policies::delete_policy;

/// Deletes the run's policies (also those in namespaces it did not create) and namespaces, then waits until the
/// namespaces are gone so the next run can reuse their names.
pub async fn cleanup_run(client: &Client, run_id: &str, wait: Duration) -> Result<()> {
    let selector = ListParams::default().labels(&run_selector(run_id));
    delete_policies(client, &selector).await?;
    cluster_policies::delete_labelled(client, &selector).await?;
    delete_namespaces(client, &selector, wait).await?;
    Ok(())
}

/// Deletes what any netreach run left behind (`netreach cleanup`): only objects carrying netreach's label.
/// Returns the namespaces removed.
pub async fn cleanup_all(client: &Client, wait: Duration) -> Result<Vec<String>> {
    let selector = ListParams::default().labels(&format!("{}={}", MANAGED_BY.0, MANAGED_BY.1));
    delete_policies(client, &selector).await?;
    cluster_policies::delete_labelled(client, &selector).await?;
    delete_namespaces(client, &selector, wait).await
}

async fn delete_policies(client: &Client, selector: &ListParams) -> Result<()> {
    let policies: Api<NetworkPolicy> = Api::all(client.clone());
    let listed = policies
        .list(selector)
        .await
        .map_err(Error::api("listing netreach policies"))?;
    for policy in listed.items {
        let (Some(namespace), Some(name)) = (policy.metadata.namespace, policy.metadata.name)
        else {
            continue;
        };
        delete_policy(client, &(namespace, name)).await?;
    }
    Ok(())
}

/// Deletes the selected namespaces and waits until they are gone; returns their names.
async fn delete_namespaces(
    client: &Client,
    selector: &ListParams,
    wait: Duration,
) -> Result<Vec<String>> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        ..Default::default()
    };
    let mut deleted = Vec::new();
    for ns in namespaces
        .list(selector)
        .await
        .map_err(Error::api("listing the run's namespaces"))?
        .items
    {
        let Some(name) = ns.metadata.name else {
            continue;
        };
        deleted.push(name.clone());
        if ns.metadata.deletion_timestamp.is_some() {
            continue;
        }
        match namespaces.delete(&name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => {
                return Err(Error::Api {
                    action: format!("deleting namespace {name}"),
                    source: e,
                });
            }
        }
    }
    let start = Instant::now();
    loop {
        let left = namespaces
            .list(selector)
            .await
            .map_err(Error::api("listing the run's namespaces"))?
            .items;
        if left.is_empty() {
            return Ok(deleted);
        }
        if start.elapsed() > wait {
            let names: Vec<String> = left.into_iter().filter_map(|n| n.metadata.name).collect();
            return Err(Error::Invalid(format!(
                "namespaces still terminating after {}s: {}",
                wait.as_secs(),
                names.join(", ")
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
