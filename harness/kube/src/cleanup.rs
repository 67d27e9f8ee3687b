//! Removing exactly what a run created: its namespaces, its (cluster) policies, and its pods and Services in a
//! namespace it did not create (all found by the run-id label).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{DeleteParams, ListParams};
use kube::{Api, Client};

use crate::cluster_policies;
use crate::error::{Error, Result};
use crate::leases::{delete_expired, live_runs, release_run};
use crate::objects::{MANAGED_BY, RUN_ID_LABEL, run_selector};
use crate::policies::delete_policy;

/// Deletes the run's policies (also those in namespaces it did not create), its pods and Services in `existing`
/// (namespaces it placed fixtures in without creating them: see `FixturePlan::placed_in_existing_namespaces`) and
/// its namespaces, then waits until the namespaces are gone so the next run can reuse their names.
pub async fn cleanup_run(
    client: &Client,
    run_id: &str,
    existing: &BTreeSet<String>,
    wait: Duration,
) -> Result<()> {
    let selector = ListParams::default().labels(&run_selector(run_id));
    delete_policies(client, &selector).await?;
    for namespace in existing {
        delete_labelled::<Service>(client, namespace, &selector, "Service", wait).await?;
        delete_labelled::<Pod>(client, namespace, &selector, "pod", wait).await?;
    }
    cluster_policies::delete_labelled(client, &selector).await?;
    delete_namespaces(client, &selector, wait).await?;
    Ok(())
}

/// What `netreach cleanup` did: the namespaces it removed, and the runs it left alone because they are alive.
#[derive(Debug, Default)]
pub struct Cleaned {
    pub namespaces: Vec<String>,
    pub live_runs: Vec<String>,
}

/// Deletes what netreach runs left behind (`netreach cleanup`): only objects carrying netreach's label and a run id,
/// and none of a run whose Lease is still held (it is running; see `leases`). Expired Leases go too.
pub async fn cleanup_all(client: &Client, wait: Duration) -> Result<Cleaned> {
    let live = live_runs(client).await?;
    let selector = ListParams::default().labels(&finished_runs_selector(&live));
    delete_policies(client, &selector).await?;
    cluster_policies::delete_labelled(client, &selector).await?;
    let namespaces = delete_namespaces(client, &selector, wait).await?;
    delete_expired(client).await?;
    Ok(Cleaned {
        namespaces,
        live_runs: live.into_iter().collect(),
    })
}

/// Deletes one run's objects and Leases (`netreach cleanup --run-id`), alive or not.
pub async fn cleanup_one(client: &Client, run_id: &str, wait: Duration) -> Result<()> {
    cleanup_run(client, run_id, &BTreeSet::new(), wait).await?;
    release_run(client, run_id).await
}

/// Selects netreach's objects of any run but the `live` ones.
fn finished_runs_selector(live: &BTreeSet<String>) -> String {
    let mut selector = format!("{}={},{RUN_ID_LABEL}", MANAGED_BY.0, MANAGED_BY.1);
    if !live.is_empty() {
        let ids: Vec<&str> = live.iter().map(String::as_str).collect();
        selector.push_str(&format!(",{RUN_ID_LABEL} notin ({})", ids.join(",")));
    }
    selector
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

/// Deletes the selected pods or Services (`what`) of `namespace` and waits until they are gone.
async fn delete_labelled<K>(
    client: &Client,
    namespace: &str,
    selector: &ListParams,
    what: &str,
    wait: Duration,
) -> Result<()>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let place = format!(" in namespace {namespace}");
    delete_selected(&api, selector, wait, what, &place).await?;
    Ok(())
}

/// Deletes the selected namespaces and waits until they are gone; returns their names.
async fn delete_namespaces(
    client: &Client,
    selector: &ListParams,
    wait: Duration,
) -> Result<Vec<String>> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    delete_selected(&namespaces, selector, wait, "namespace", "").await
}

/// Deletes the objects `selector` selects through `api` (at once, no grace period; one already going is left to
/// go) and waits until none is left; returns their names. `what` and `place` name them in errors.
async fn delete_selected<K>(
    api: &Api<K>,
    selector: &ListParams,
    wait: Duration,
    what: &str,
    place: &str,
) -> Result<Vec<String>>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let list = || async {
        api.list(selector)
            .await
            .map_err(Error::api(format!("listing the run's {what}s{place}")))
    };
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        ..Default::default()
    };
    let mut deleted = Vec::new();
    for object in list().await?.items {
        let Some(name) = object.meta().name.clone() else {
            continue;
        };
        deleted.push(name.clone());
        if object.meta().deletion_timestamp.is_some() {
            continue;
        }
        match api.delete(&name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => {
                return Err(Error::Api {
                    action: format!("deleting {what} {name}{place}"),
                    source: e,
                });
            }
        }
    }
    let start = Instant::now();
    loop {
        let left = list().await?.items;
        if left.is_empty() {
            return Ok(deleted);
        }
        if start.elapsed() > wait {
            let names: Vec<String> = left.iter().filter_map(|o| o.meta().name.clone()).collect();
            return Err(Error::Invalid(format!(
                "{what}s still terminating{place} after {}s: {}",
                wait.as_secs(),
                names.join(", ")
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanup_selects_every_run_but_the_live_ones() {
        assert_eq!(
            finished_runs_selector(&BTreeSet::new()),
            "app.kubernetes.io/managed-by=netreach,netreach.io/run-id"
        );
        let live = BTreeSet::from(["aaaa1111".to_owned(), "bbbb2222".to_owned()]);
        assert_eq!(
            finished_runs_selector(&live),
            "app.kubernetes.io/managed-by=netreach,netreach.io/run-id,netreach.io/run-id notin (aaaa1111,bbbb2222)"
        );
    }
}
