//! `netreach run` of ClusterNetworkPolicy suites against the real cluster of `KUBECONFIG`: the preflight refuses, in
//! one line and with the cluster untouched, a cluster without the CRD, and (with the CRD) a policy whose subject
//! covers namespaces netreach did not create; `cleanup` works with or without the CRD. Without a cluster these fail.

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::ListParams;
use kube::{Api, Client};

mod support;
use support::{CLUSTER, block_on, netreach, repo, text};

const CRD: &str = "clusternetworkpolicies.policy.networking.k8s.io";

async fn client() -> Client {
    Client::try_default()
        .await
        .expect("a cluster in KUBECONFIG (eval \"$(scripts/cluster env)\")")
}

fn crd_installed() -> bool {
    block_on(async {
        let crds: Api<CustomResourceDefinition> = Api::all(client().await);
        crds.get_opt(CRD).await.expect("reading CRDs").is_some()
    })
}

fn namespaces() -> Vec<String> {
    block_on(async {
        let api: Api<Namespace> = Api::all(client().await);
        let mut names: Vec<String> = api
            .list(&ListParams::default())
            .await
            .expect("listing namespaces")
            .items
            .into_iter()
            .filter_map(|n| n.metadata.name)
            .collect();
        names.sort();
        names
    })
}

/// The battery's seed-story suite, with its Admin Deny widened to every namespace (`namespaces: {}`).
fn cluster_wide_copy() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let source = repo().join("suites/cluster-network-policy");
    std::fs::create_dir_all(dir.path().join("manifests/metadata")).unwrap();
    std::fs::copy(
        source.join("metadata.yaml"),
        dir.path().join("metadata.yaml"),
    )
    .unwrap();
    for entry in std::fs::read_dir(source.join("manifests/metadata")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace(
            "    namespaces:\n      matchLabels: {metadata-guard: \"on\"}",
            "    namespaces: {}",
        );
        std::fs::write(
            dir.path()
                .join("manifests/metadata")
                .join(path.file_name().unwrap()),
            text,
        )
        .unwrap();
    }
    let suite = dir.path().join("metadata.yaml").display().to_string();
    (dir, suite)
}

#[test]
fn the_preflight_refuses_in_one_line_and_touches_nothing() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, suite) = cluster_wide_copy();
    let before = namespaces();
    let out = netreach(&["-q", "run", &suite]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let expected = if crd_installed() {
        "its subject covers the existing namespace"
    } else {
        "ClusterNetworkPolicy deny-metadata needs the CRD clusternetworkpolicies.policy.networking.k8s.io, which this cluster does not have"
    };
    assert!(stderr.contains(expected), "{stderr}");
    assert!(
        stderr.contains("manifests/metadata/deny-metadata.yaml"),
        "names the file: {stderr}"
    );
    assert_eq!(namespaces(), before, "the cluster changed");
}

#[test]
fn cleanup_works_with_or_without_the_crd() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let out = netreach(&["cleanup"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
}
