//! The permissions a run needs, computed from its fixture plan (pure), and checking them all with
//! SelfSubjectAccessReviews before anything is created.

use std::collections::BTreeSet;
use std::fmt;

use futures::future::join_all;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};
use netreach_core::cluster_policy::GROUP as CLUSTER_POLICY_GROUP;
use netreach_core::suite::Suite;
use netreach_core::world::CLUSTER_DNS_NAMESPACE;

use crate::error::{Error, Result};
use crate::fixture_plan::{FixturePlan, FixtureSpec};
use crate::fixtures::namespace_map;
use crate::leases::LEASE_NAMESPACE;
use crate::runner::RunOptions;

/// One API permission: `verb` on `resource` (`pods/exec` for a subresource) of `group`, in `namespace` or
/// cluster-wide.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Access {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    pub namespace: Option<String>,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = if self.group.is_empty() {
            String::new()
        } else {
            format!(".{}", self.group)
        };
        match &self.namespace {
            Some(namespace) => write!(
                f,
                "{} {}{group} in namespace {namespace}",
                self.verb, self.resource
            ),
            None => write!(f, "{} {}{group} (cluster-wide)", self.verb, self.resource),
        }
    }
}

fn access(
    verb: &'static str,
    group: &'static str,
    resource: &'static str,
    ns: Option<&str>,
) -> Access {
    Access {
        verb,
        group,
        resource,
        namespace: ns.map(str::to_owned),
    }
}

const NETWORKING: &str = "networking.k8s.io";

/// Every permission a run of `suite` needs to create `plan` (its namespaces and pods), probe from `sources_in`
/// (the namespaces of its source pods, existing ones included), apply its policies in `policies_in`, and clean up.
pub fn required(
    suite: &Suite,
    plan: &FixturePlan,
    sources_in: &BTreeSet<String>,
    policies_in: &BTreeSet<String>,
) -> Vec<Access> {
    let mut needed = BTreeSet::new();
    // Preflight (does a namespace exist?), creation, cleanup (by label, then waiting until gone).
    for verb in ["get", "list", "create", "delete"] {
        needed.insert(access(verb, "", "namespaces", None));
    }
    needed.insert(access("list", "", "nodes", None));
    // Runs coordinate through Leases: one per live run, one per host port a hostNetwork server binds.
    for verb in ["get", "list", "create", "update", "delete"] {
        needed.insert(access(
            verb,
            "coordination.k8s.io",
            "leases",
            Some(LEASE_NAMESPACE),
        ));
    }
    // Cleanup and the foreign-policy preflight list policies by label across namespaces.
    needed.insert(access("list", NETWORKING, "networkpolicies", None));
    let created: BTreeSet<&str> = plan.namespaces.iter().map(|(n, _)| n.as_str()).collect();
    for namespace in &created {
        // Pods are created once the namespace's `default` ServiceAccount exists (watched for).
        for verb in ["get", "list", "watch"] {
            needed.insert(access(verb, "", "serviceaccounts", Some(namespace)));
        }
    }
    let created_pods_in: BTreeSet<&str> = plan
        .pods
        .iter()
        .filter_map(|p| p.metadata.namespace.as_deref())
        .collect();
    for namespace in &created_pods_in {
        needed.insert(access("create", "", "pods", Some(namespace)));
    }
    // Waiting for Ready watches pods; `--use-existing` lists the namespace's pods to find its sources.
    let sources = sources_in.iter().map(String::as_str);
    for namespace in created_pods_in.iter().copied().chain(sources) {
        needed.insert(access("list", "", "pods", Some(namespace)));
        needed.insert(access("watch", "", "pods", Some(namespace)));
    }
    for namespace in sources_in {
        // kube's exec upgrades a GET to a WebSocket: the API server checks `get` and, since 1.31, `create`.
        needed.insert(access("create", "", "pods/exec", Some(namespace)));
        needed.insert(access("get", "", "pods/exec", Some(namespace)));
    }
    // What the run places in a namespace it did not create, cleanup finds by label and deletes there.
    for namespace in plan.placed_in_existing_namespaces() {
        for resource in ["pods", "services"] {
            for verb in ["list", "delete"] {
                needed.insert(access(verb, "", resource, Some(&namespace)));
            }
        }
    }
    // Services in front of servers that a suite reaches through a Service; the cluster DNS pods join the world then.
    for service in &plan.services {
        let namespace = service.metadata.namespace.as_deref();
        needed.insert(access("create", "", "services", namespace));
        needed.insert(access("list", "", "pods", Some(CLUSTER_DNS_NAMESPACE)));
    }
    // Server-side apply (a patch) of an object that does not exist yet is a create as well.
    for namespace in policies_in {
        for verb in ["get", "create", "patch", "delete"] {
            needed.insert(access(verb, NETWORKING, "networkpolicies", Some(namespace)));
        }
    }
    if suite.phases.iter().any(|p| !p.cluster_policies.is_empty()) {
        needed.insert(access(
            "get",
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            None,
        ));
        for verb in ["get", "list", "create", "patch", "delete"] {
            needed.insert(access(
                verb,
                CLUSTER_POLICY_GROUP,
                "clusternetworkpolicies",
                None,
            ));
        }
    }
    needed.into_iter().collect()
}

/// The fixture plan of a run of `suite` with `options` (nodes not yet known: nothing is pinned).
pub fn run_plan(suite: &Suite, run_id: &str, options: &RunOptions) -> Result<FixturePlan> {
    let namespaces = namespace_map(suite, &options.mode, run_id)?;
    let spec = FixtureSpec {
        suite,
        run_id,
        images: &options.images,
        mode: &options.mode,
        namespaces: &namespaces,
        nodes: &[],
    };
    Ok(spec.plan())
}

/// Every permission a run of `suite` with `options` needs, from its fixture plan.
pub fn run_permissions(suite: &Suite, run_id: &str, options: &RunOptions) -> Result<Vec<Access>> {
    let namespaces = namespace_map(suite, &options.mode, run_id)?;
    let plan = run_plan(suite, run_id, options)?;
    let mapped = |ns: &str| namespaces.get(ns).cloned().unwrap_or_else(|| ns.to_owned());
    let sources_in = suite.pods.iter().map(|p| mapped(&p.namespace)).collect();
    let policies_in = suite
        .phases
        .iter()
        .flat_map(|p| &p.policies)
        .map(|m| mapped(m.policy.metadata.namespace.as_deref().unwrap_or_default()))
        .collect();
    Ok(required(suite, &plan, &sources_in, &policies_in))
}

/// Checks, before anything is created, that this client may do all a run of each suite (with its run id) needs; a
/// refusal is one line naming verb, resource and namespace ([`Error::Forbidden`]).
pub async fn check_permissions(
    client: &Client,
    runs: &[(&Suite, &str, &RunOptions)],
) -> Result<()> {
    let mut needed = BTreeSet::new();
    for (suite, run_id, options) in runs {
        needed.extend(run_permissions(suite, run_id, options)?);
    }
    check(client, &needed.into_iter().collect::<Vec<_>>()).await
}

/// Asks the API server (one SelfSubjectAccessReview each, all at once) whether this client may do everything in
/// `needed`; the first refused one, in `needed`'s order, is the error.
pub async fn check(client: &Client, needed: &[Access]) -> Result<()> {
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let asked = needed.iter().map(|access| {
        let (resource, subresource) = match access.resource.split_once('/') {
            Some((resource, sub)) => (resource, Some(sub.to_owned())),
            None => (access.resource, None),
        };
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(access.verb.to_owned()),
                    group: Some(access.group.to_owned()),
                    resource: Some(resource.to_owned()),
                    subresource,
                    namespace: access.namespace.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let reviews = reviews.clone();
        async move { reviews.create(&PostParams::default(), &review).await }
    });
    for (access, answer) in needed.iter().zip(join_all(asked).await) {
        let answer = answer.map_err(Error::api(format!(
            "asking whether this client may {access}"
        )))?;
        if !answer.status.is_some_and(|s| s.allowed) {
            return Err(Error::Forbidden(access.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::{FixtureImages, Mode};

    fn suite(file: &str) -> Suite {
        crate::test_suites::repository_suite(file)
    }

    fn shown(mode: Mode) -> Vec<String> {
        shown_for("suites/metadata-access.yaml", mode)
    }

    fn shown_for(file: &str, mode: Mode) -> Vec<String> {
        let images = FixtureImages {
            probe: "p".into(),
            server: "s".into(),
            agnhost: "a".into(),
        };
        let options = RunOptions::new(images, mode);
        run_permissions(&suite(file), "abcd1234", &options)
            .unwrap()
            .iter()
            .map(Access::to_string)
            .collect()
    }

    #[test]
    fn the_seed_run_needs_its_namespaces_pods_exec_and_policies_and_nothing_cluster_policy() {
        let all = shown(Mode::Create);
        for expected in [
            "create namespaces (cluster-wide)",
            "delete namespaces (cluster-wide)",
            "list nodes (cluster-wide)",
            "update leases.coordination.k8s.io in namespace netreach-leases",
            "create pods in namespace metadata-access-abcd1234",
            "create pods in namespace netreach-abcd1234",
            "watch pods in namespace netreach-abcd1234",
            "create pods/exec in namespace metadata-access-abcd1234",
            "watch serviceaccounts in namespace metadata-access-abcd1234",
            "patch networkpolicies.networking.k8s.io in namespace metadata-access-abcd1234",
            // Server-side apply of a policy that does not exist yet creates it.
            "create networkpolicies.networking.k8s.io in namespace metadata-access-abcd1234",
            "list networkpolicies.networking.k8s.io (cluster-wide)",
        ] {
            assert!(
                all.iter().any(|a| a == expected),
                "{expected} not in {all:#?}"
            );
        }
        assert!(!all.iter().any(|a| a.contains("services")), "{all:#?}");
        assert!(
            !all.iter().any(|a| a.contains("clusternetworkpolicies")),
            "{all:#?}"
        );
        assert!(
            !all.iter()
                .any(|a| a.contains("pods/exec in namespace netreach-")),
            "{all:#?}"
        );
    }

    #[test]
    fn use_existing_creates_pods_only_in_its_own_namespace_and_execs_into_the_existing_one() {
        let all = shown(Mode::UseExisting {
            namespace: "theirs".into(),
        });
        let has = |wanted: &str| all.iter().any(|a| a == wanted);
        assert!(has("create pods/exec in namespace theirs"), "{all:#?}");
        assert!(has("list pods in namespace theirs"), "{all:#?}");
        assert!(!has("create pods in namespace theirs"), "{all:#?}");
        assert!(!has("get serviceaccounts in namespace theirs"), "{all:#?}");
    }

    /// A server the suite places in the `--use-existing` namespace is created there: cleanup must find it (and the
    /// Service in front of it) by label and delete it, as no namespace deletion will.
    #[test]
    fn a_server_placed_in_the_existing_namespace_needs_list_and_delete_there() {
        let theirs = || Mode::UseExisting {
            namespace: "theirs".into(),
        };
        let cleanup = [
            "list pods in namespace theirs",
            "delete pods in namespace theirs",
            "list services in namespace theirs",
            "delete services in namespace theirs",
        ];
        let placed = shown_for("suites/conformance/udp.yaml", theirs());
        for wanted in cleanup {
            assert!(placed.iter().any(|a| a == wanted), "{wanted}: {placed:#?}");
        }
        let seed = shown(theirs());
        assert!(
            !seed.iter().any(|a| a.starts_with("delete pods")),
            "{seed:#?}"
        );
    }

    #[test]
    fn a_suite_reaching_servers_through_services_needs_to_create_them() {
        let all = shown_for("suites/conformance/services.yaml", Mode::Create);
        assert!(
            all.iter()
                .any(|a| a.starts_with("create services in namespace ")),
            "{all:#?}"
        );
        assert!(
            all.iter()
                .any(|a| a == "list pods in namespace kube-system"),
            "{all:#?}"
        );
    }

    #[test]
    fn accesses_read_as_verb_resource_and_namespace() {
        let exec = access("create", "", "pods/exec", Some("metadata-access"));
        assert_eq!(
            exec.to_string(),
            "create pods/exec in namespace metadata-access"
        );
        let policies = access("list", NETWORKING, "networkpolicies", None);
        assert_eq!(
            policies.to_string(),
            "list networkpolicies.networking.k8s.io (cluster-wide)"
        );
    }
}
