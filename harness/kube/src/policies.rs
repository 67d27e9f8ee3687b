//! Applying each phase's policies with server-side apply, and removing the ones the next phase drops.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Client};
use netreach_core::isolation::{NamespaceMap, rename_policy};
use netreach_core::placeholder::resolve_placeholders;
use netreach_core::plan::resolved_cluster_policies;
use netreach_core::suite::{Phase, PolicyManifest, Suite};

use netreach_core::cluster_policy::ClusterNetworkPolicy;

use crate::cluster_policies;
use crate::error::{Error, Result};
use crate::objects::{is_managed, owned_policy};

/// `(namespace, name)` of a policy in the cluster.
pub type PolicyKey = (String, String);

pub struct PolicyApplier {
    pub client: Client,
    pub run_id: String,
    /// Suite namespace -> namespace in the cluster.
    pub namespaces: NamespaceMap,
    /// Placeholder address -> real address.
    pub placeholders: BTreeMap<IpAddr, IpAddr>,
}

impl PolicyApplier {
    /// The policy exactly as it will be applied: placeholders resolved, renamed to the run's namespaces
    /// ([`rename_policy`]), ownership labels added.
    pub fn rendered(&self, manifest: &PolicyManifest) -> NetworkPolicy {
        let renamed = rename_policy(&self.for_oracle(manifest), &self.namespaces);
        let namespace = renamed.metadata.namespace.clone().unwrap_or_default();
        owned_policy(&renamed, &namespace, &self.run_id)
    }

    /// The policy as the oracle judges it: placeholders resolved, in the suite's own namespace names (the oracle
    /// sees the run's world in those names too, see [`netreach_core::isolation`]).
    pub fn for_oracle(&self, manifest: &PolicyManifest) -> NetworkPolicy {
        resolve_placeholders(&manifest.policy, &self.placeholders)
    }

    /// The phase's ClusterNetworkPolicies as the oracle judges them (placeholders resolved, the suite's names).
    pub fn cluster_for_oracle(&self, phase: &Phase) -> Vec<ClusterNetworkPolicy> {
        resolved_cluster_policies(phase, &self.placeholders)
    }

    /// Refuses to run when any policy of the suite would overwrite one netreach did not create, and when its
    /// ClusterNetworkPolicies cannot be applied here (see [`cluster_policies::preflight`]).
    pub async fn preflight(&self, suite: &Suite) -> Result<()> {
        cluster_policies::preflight(&self.client, suite).await?;
        let mut checked = BTreeSet::new();
        for manifest in suite.phases.iter().flat_map(|p| &p.policies) {
            let policy = self.rendered(manifest);
            let key = key_of(&policy);
            if !checked.insert(key.clone()) {
                continue;
            }
            let api: Api<NetworkPolicy> = Api::namespaced(self.client.clone(), &key.0);
            match api.get_opt(&key.1).await {
                Ok(Some(existing)) if !is_managed(existing.metadata.labels.as_ref()) => {
                    return Err(Error::PolicyExists(format!("{}/{}", key.0, key.1)));
                }
                Ok(_) => {}
                // The namespace may not exist yet (netreach creates it): nothing to overwrite there.
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => {
                    return Err(Error::Api {
                        action: format!("reading NetworkPolicy {}/{}", key.0, key.1),
                        source: e,
                    });
                }
            }
        }
        Ok(())
    }

    /// Applies `phase`'s policies, then deletes those of `previous` that the phase no longer has.
    pub async fn enter_phase(
        &self,
        phase: &Phase,
        previous: &[PolicyKey],
    ) -> Result<Vec<PolicyKey>> {
        // ClusterNetworkPolicies are keyed with an empty namespace (they are cluster-scoped).
        let previous_cluster: Vec<String> = previous
            .iter()
            .filter(|(ns, _)| ns.is_empty())
            .map(|(_, name)| name.clone())
            .collect();
        let cluster = cluster_policies::enter_phase(
            &self.client,
            phase,
            &previous_cluster,
            &self.placeholders,
            &self.namespaces,
            &self.run_id,
        )
        .await?;
        let params = PatchParams::apply("netreach").force();
        let mut current = Vec::new();
        for manifest in &phase.policies {
            let policy = self.rendered(manifest);
            let key = key_of(&policy);
            tracing::info!(
                namespace = %key.0,
                name = %key.1,
                file = %manifest.path.display(),
                "applying NetworkPolicy (server-side apply)"
            );
            Api::<NetworkPolicy>::namespaced(self.client.clone(), &key.0)
                .patch(&key.1, &params, &Patch::Apply(&policy))
                .await
                .map_err(Error::api(format!(
                    "applying NetworkPolicy {}/{} from {}",
                    key.0,
                    key.1,
                    manifest.path.display()
                )))?;
            current.push(key);
        }
        for key in previous
            .iter()
            .filter(|k| !k.0.is_empty() && !current.contains(k))
        {
            tracing::info!(namespace = %key.0, name = %key.1, "deleting NetworkPolicy of the previous phase");
            delete_policy(&self.client, key).await?;
        }
        current.extend(cluster.into_iter().map(|name| (String::new(), name)));
        Ok(current)
    }
}

pub async fn delete_policy(client: &Client, (namespace, name): &PolicyKey) -> Result<()> {
    match Api::<NetworkPolicy>::namespaced(client.clone(), namespace)
        .delete(name, &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(Error::Api {
            action: format!("deleting NetworkPolicy {namespace}/{name}"),
            source: e,
        }),
    }
}

fn key_of(policy: &NetworkPolicy) -> PolicyKey {
    (
        policy.metadata.namespace.clone().unwrap_or_default(),
        policy.metadata.name.clone().unwrap_or_default(),
    )
}
