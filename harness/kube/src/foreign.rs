//! Policies netreach did not write that change reachability and that its oracle does not see: NetworkPolicies in
//! the namespaces it probes but did not create, and cluster-wide policy objects of the kinds below, where API
//! discovery finds them.

use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{Api, DynamicObject, ListParams};
use kube::discovery::Discovery;
use kube::{Client, ResourceExt};

use crate::error::{Error, Result};
use crate::objects::is_managed;

/// Cluster-wide policy kinds, by API group: the network policy API's, Cilium's and Calico's.
const CLUSTER_WIDE: &[(&str, &str)] = &[
    ("policy.networking.k8s.io", "AdminNetworkPolicy"),
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkPolicy"),
];

/// Every foreign policy as `Kind name` (`NetworkPolicy ns/name` for namespaced ones), sorted; netreach's own
/// (labelled as such) are left out.
pub async fn foreign_policies(client: &Client, namespaces: &[String]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for namespace in namespaces {
        let policies = Api::<NetworkPolicy>::namespaced(client.clone(), namespace)
            .list(&ListParams::default())
            .await
            .map_err(Error::api(format!(
                "listing the NetworkPolicies of namespace {namespace}"
            )))?;
        found.extend(
            policies
                .items
                .iter()
                .filter(|p| !is_managed(p.metadata.labels.as_ref()))
                .map(|p| format!("NetworkPolicy {namespace}/{}", p.name_any())),
        );
    }
    let groups: Vec<&str> = CLUSTER_WIDE.iter().map(|(group, _)| *group).collect();
    let discovery = Discovery::new(client.clone())
        .filter(&groups)
        .run()
        .await
        .map_err(Error::api("discovering cluster-wide policy kinds"))?;
    for (group, kind) in CLUSTER_WIDE {
        let Some((resource, _)) = discovery.get(group).and_then(|g| g.recommended_kind(kind))
        else {
            continue;
        };
        let objects = Api::<DynamicObject>::all_with(client.clone(), &resource)
            .list(&ListParams::default())
            .await
            .map_err(Error::api(format!("listing {kind} ({group})")))?;
        found.extend(
            objects
                .items
                .iter()
                .filter(|o| !is_managed(o.metadata.labels.as_ref()))
                .map(|o| format!("{kind} {} ({group})", o.name_any())),
        );
    }
    found.sort();
    Ok(found)
}
