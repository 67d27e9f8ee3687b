//! ClusterNetworkPolicies in a run: the CRD preflight, server-side apply as the run's own objects, and removal.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::{Api, Client};
use netreach_core::cluster_policy::{ClusterNetworkPolicy, GROUP, KIND};
use netreach_core::isolation::{NamespaceMap, rename_cluster_policy};
use netreach_core::oracle::subject_covers_namespace;
use netreach_core::placeholder::resolve_cluster_placeholders;
use netreach_core::suite::{ClusterPolicyManifest, Phase, Suite};

use crate::error::{Error, Result};
use crate::objects::{MANAGED_BY, is_managed, ownership_labels};

/// The CRD's name.
pub const CRD: &str = "clusternetworkpolicies.policy.networking.k8s.io";
const PLURAL: &str = "clusternetworkpolicies";
/// Served by every release so far (v0.2.x, and v0.3.0 beside v1beta1): used to list and delete.
const LIST_VERSION: &str = "v1alpha2";
/// The CRD annotation naming its channel (`standard` or `experimental`).
const CHANNEL_ANNOTATION: &str = "policy.networking.k8s.io/channel";

fn api(client: &Client, version: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk(GROUP, version, KIND);
    Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, PLURAL),
    )
}

/// The policy exactly as applied: placeholders resolved, labelled as owned by the run, no server-set fields.
pub fn rendered(
    manifest: &ClusterPolicyManifest,
    placeholders: &BTreeMap<IpAddr, IpAddr>,
    namespaces: &NamespaceMap,
    run_id: &str,
) -> ClusterNetworkPolicy {
    let resolved = resolve_cluster_placeholders(&manifest.policy, placeholders);
    let mut policy = rename_cluster_policy(&resolved, namespaces);
    let mut labels = policy.metadata.labels.take().unwrap_or_default();
    labels.extend(ownership_labels(run_id));
    policy.metadata = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        name: policy.metadata.name.clone(),
        labels: Some(labels),
        annotations: policy.metadata.annotations.clone(),
        ..Default::default()
    };
    policy
}

/// Refuses a suite with ClusterNetworkPolicies unless the CRD is installed and serves their versions (and is of
/// the experimental channel when they use its fields), none of them would overwrite a policy netreach did not
/// create, and none has a subject covering an existing namespace (netreach never touches what it did not
/// create: the run's namespaces do not exist yet).
pub async fn preflight(client: &Client, suite: &Suite) -> Result<()> {
    let manifests: Vec<&ClusterPolicyManifest> = suite
        .phases
        .iter()
        .flat_map(|p| &p.cluster_policies)
        .collect();
    let Some(first) = manifests.first() else {
        return Ok(());
    };
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd = crds
        .get_opt(CRD)
        .await
        .map_err(Error::api(format!(
            "reading CustomResourceDefinition {CRD}"
        )))?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: ClusterNetworkPolicy {} needs the CRD {CRD}, which this cluster does not have \
                 (install network-policy-api's config/crd/standard or experimental)",
                first.path.display(),
                first.name()
            ))
        })?;
    let served: BTreeSet<&str> = crd
        .spec
        .versions
        .iter()
        .filter(|v| v.served)
        .map(|v| v.name.as_str())
        .collect();
    let channel = crd
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(CHANNEL_ANNOTATION))
        .map(String::as_str)
        .unwrap_or("unknown");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let existing = namespaces
        .list(&ListParams::default())
        .await
        .map_err(Error::api("listing namespaces"))?
        .items;
    let mut checked = BTreeSet::new();
    for manifest in manifests {
        let policy = &manifest.policy;
        let at = || {
            format!(
                "{}: ClusterNetworkPolicy {}",
                manifest.path.display(),
                policy.name()
            )
        };
        if !served.contains(policy.version()) {
            let served: Vec<&str> = served.iter().copied().collect();
            return Err(Error::Invalid(format!(
                "{}: the cluster's CRD serves {}, not {}",
                at(),
                served.join(", "),
                policy.version()
            )));
        }
        if channel != "experimental"
            && let Some(field) = policy.experimental_fields().first()
        {
            return Err(Error::Invalid(format!(
                "{}: {field} is of the experimental channel; the cluster's CRD is of the {channel} channel",
                at()
            )));
        }
        if let Some(ns) = existing.iter().find(|ns| {
            subject_covers_namespace(policy, &ns.metadata.labels.clone().unwrap_or_default())
        }) {
            return Err(Error::Invalid(format!(
                "{}: its subject covers the existing namespace {}; netreach never touches what it did not create \
                 (select the suite's namespaces by their labels)",
                at(),
                ns.metadata.name.as_deref().unwrap_or_default()
            )));
        }
        if !checked.insert(policy.name().to_owned()) {
            continue;
        }
        match api(client, policy.version()).get_opt(policy.name()).await {
            Ok(Some(found)) if !is_managed(found.metadata.labels.as_ref()) => {
                return Err(Error::PolicyExists(format!(
                    "ClusterNetworkPolicy {}",
                    policy.name()
                )));
            }
            Ok(_) => {}
            Err(e) => {
                return Err(Error::Api {
                    action: format!("reading ClusterNetworkPolicy {}", policy.name()),
                    source: e,
                });
            }
        }
    }
    Ok(())
}

/// Applies `phase`'s ClusterNetworkPolicies (server-side apply, field manager `netreach`), then deletes those of
/// `previous` (names) that the phase no longer has. Returns the names now in force.
pub async fn enter_phase(
    client: &Client,
    phase: &Phase,
    previous: &[String],
    placeholders: &BTreeMap<IpAddr, IpAddr>,
    namespaces: &NamespaceMap,
    run_id: &str,
) -> Result<Vec<String>> {
    let params = PatchParams::apply("netreach").force();
    let mut current = Vec::new();
    for manifest in &phase.cluster_policies {
        let policy = rendered(manifest, placeholders, namespaces, run_id);
        tracing::info!(
            name = policy.name(),
            file = %manifest.path.display(),
            "applying ClusterNetworkPolicy (server-side apply)"
        );
        api(client, policy.version())
            .patch(policy.name(), &params, &Patch::Apply(&policy))
            .await
            .map_err(Error::api(format!(
                "applying ClusterNetworkPolicy {} from {}",
                policy.name(),
                manifest.path.display()
            )))?;
        current.push(policy.name().to_owned());
    }
    for name in previous.iter().filter(|n| !current.contains(n)) {
        tracing::info!(name = %name, "deleting ClusterNetworkPolicy of the previous phase");
        delete(client, name).await?;
    }
    Ok(current)
}

async fn delete(client: &Client, name: &str) -> Result<()> {
    match api(client, LIST_VERSION)
        .delete(name, &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(Error::Api {
            action: format!("deleting ClusterNetworkPolicy {name}"),
            source: e,
        }),
    }
}

/// Deletes every ClusterNetworkPolicy matching `selector` (netreach's labels); nothing to do without the CRD.
pub async fn delete_labelled(client: &Client, selector: &ListParams) -> Result<()> {
    let listed = match api(client, LIST_VERSION).list(selector).await {
        Ok(listed) => listed,
        // No CRD (or no such version): there can be no ClusterNetworkPolicy of ours.
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
        Err(e) => {
            return Err(Error::Api {
                action: "listing netreach ClusterNetworkPolicies".into(),
                source: e,
            });
        }
    };
    for policy in listed.items {
        let managed = policy
            .metadata
            .labels
            .as_ref()
            .is_some_and(|l| l.get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1));
        if let (true, Some(name)) = (managed, policy.metadata.name) {
            delete(client, &name).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::objects::RUN_ID_LABEL;

    #[test]
    fn rendered_resolves_placeholders_and_adds_the_run_labels_only() {
        let policy: ClusterNetworkPolicy = serde_json::from_value(serde_json::json!({
            "apiVersion": "policy.networking.k8s.io/v1alpha2",
            "kind": "ClusterNetworkPolicy",
            "metadata": {"name": "deny-metadata", "labels": {"team": "sec"}, "resourceVersion": "7"},
            "spec": {"tier": "Admin", "priority": 10, "subject": {"namespaces": {}},
                "egress": [{"action": "Deny", "to": [{"networks": ["192.168.100.21/32"]}]}]},
        }))
        .unwrap();
        let manifest = ClusterPolicyManifest {
            path: PathBuf::from("p.yaml"),
            policy,
        };
        let placeholders = BTreeMap::from([(
            "192.168.100.21".parse().unwrap(),
            "10.0.0.5".parse().unwrap(),
        )]);
        let out = rendered(&manifest, &placeholders, &NamespaceMap::new(), "abcd1234");
        let labels = out.metadata.labels.clone().unwrap();
        assert_eq!(labels["team"], "sec");
        assert_eq!(labels[RUN_ID_LABEL], "abcd1234");
        assert_eq!(out.metadata.resource_version, None);
        assert_eq!(out.metadata.namespace, None);
        assert_eq!(
            out.spec.egress[0].to[0].networks.as_deref(),
            Some(&["10.0.0.5/32".to_owned()][..])
        );
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["apiVersion"], "policy.networking.k8s.io/v1alpha2");
        assert_eq!(json["kind"], "ClusterNetworkPolicy");
    }
}
