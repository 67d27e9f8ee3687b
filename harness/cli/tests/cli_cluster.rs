//! The `netreach` binary against the real cluster of `KUBECONFIG`: exit codes, wrong cells, bad input leaving the
//! cluster untouched, SIGINT cleanup, and probing existing pods without changing them. Without a cluster these fail.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client};

mod support;
use support::{CLUSTER, SEED_EXCEPT, block_on, expect_exit, netreach, repo, seed_copy, text};

async fn client() -> Client {
    Client::try_default()
        .await
        .expect("a cluster in KUBECONFIG (eval \"$(scripts/cluster env)\")")
}

/// `ns/NAME` and `netpol/NS/NAME` of the namespaces and NetworkPolicies the list parameters select.
fn listed(params: ListParams) -> Vec<String> {
    block_on(async {
        let client = client().await;
        let namespaces = Api::<Namespace>::all(client.clone())
            .list(&params)
            .await
            .unwrap()
            .items;
        let policies = Api::<NetworkPolicy>::all(client)
            .list(&params)
            .await
            .unwrap()
            .items;
        let mut names: Vec<String> = namespaces
            .into_iter()
            .filter_map(|n| n.metadata.name.map(|n| format!("ns/{n}")))
            .chain(policies.into_iter().map(|p| {
                format!(
                    "netpol/{}/{}",
                    p.metadata.namespace.unwrap_or_default(),
                    p.metadata.name.unwrap_or_default()
                )
            }))
            .collect();
        names.sort();
        names
    })
}

/// All namespaces and NetworkPolicies: what "the cluster is unchanged" compares.
fn cluster_objects() -> Vec<String> {
    listed(ListParams::default())
}

/// Everything labelled as netreach's: must be empty after every run.
fn netreach_leftovers() -> Vec<String> {
    listed(ListParams::default().labels("app.kubernetes.io/managed-by=netreach"))
}

fn failure_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("FAIL "))
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn seed_suite_passes_and_leaves_nothing_behind() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let out = netreach(&[
        "run",
        &repo()
            .join("suites/metadata-access.yaml")
            .display()
            .to_string(),
        "-q",
    ]);
    let (stdout, _) = expect_exit(&out, 0);
    for phase in ["no-policy", "metadata-deny", "metadata-deny+allow"] {
        assert!(
            stdout.contains(&format!(" {phase} (policies: ")),
            "no table for {phase}: {stdout}"
        );
    }
    assert!(
        stdout.lines().any(|l| l == "27 passed, 0 failed"),
        "{stdout}"
    );
    assert!(netreach_leftovers().is_empty());
}

#[test]
fn deny_without_except_fails_exactly_the_metadata_cells() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, suite) = seed_copy("13_metadata-deny.yaml", |t| t.replace(SEED_EXCEPT, ""));
    let out = netreach(&["run", &suite, "-q", "--settle-timeout", "4"]);
    let (stdout, _) = expect_exit(&out, 1);
    let failures = failure_lines(&stdout);
    assert_eq!(failures.len(), 5, "{failures:#?}");
    for pod in ["pod1", "pod2", "pod3"] {
        assert!(
            failures
                .iter()
                .any(|f| f.starts_with(&format!("FAIL {pod}->metadata:32000"))),
            "{failures:#?}"
        );
    }
    assert!(
        failures
            .iter()
            .all(|f| f.contains("->metadata:32000") && f.contains("expected deny, connected"))
    );
    assert!(
        stdout.lines().any(|l| l == "22 passed, 5 failed"),
        "{stdout}"
    );
    assert!(netreach_leftovers().is_empty());
}

#[test]
fn allow_selecting_nobody_fails_only_pod3_to_metadata() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, suite) = seed_copy("13_metadata-allow.yaml", |t| {
        t.replace("role: metadata-accessor", "role: nobody")
    });
    let out = netreach(&["run", &suite, "-q", "--settle-timeout", "4"]);
    let (stdout, _) = expect_exit(&out, 1);
    let failures = failure_lines(&stdout);
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert!(
        failures[0].starts_with("FAIL pod3->metadata:32000"),
        "{failures:#?}"
    );
    assert!(
        failures[0].contains("expected allow, denied"),
        "{failures:#?}"
    );
}

/// Bad input: exit 2, one line on stderr naming file and field, nothing created.
fn assert_rejected_untouched(args: &[&str], needle: &str) {
    let before = cluster_objects();
    let out = netreach(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    assert_eq!(cluster_objects(), before, "the cluster changed");
}

#[test]
fn malformed_cidr_exits_2_and_touches_nothing() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, suite) = seed_copy("13_metadata-deny.yaml", |t| {
        t.replace("cidr: 0.0.0.0/0", "cidr: 0.0.0.0/33")
    });
    assert_rejected_untouched(
        &["run", &suite],
        "13_metadata-deny.yaml: spec.egress[0].to[0].ipBlock.cidr: invalid CIDR \"0.0.0.0/33\"",
    );
}

#[test]
fn unknown_suite_field_exits_2_and_touches_nothing() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, suite) = seed_copy("metadata-access.yaml", |t| {
        t.replace(
            "    labels: {app: pod2}",
            "    labels: {app: pod2}\n    color: blue",
        )
    });
    assert_rejected_untouched(
        &["run", &suite],
        "metadata-access.yaml: line 12 column 5: unknown field `color`",
    );
}

#[test]
fn unreachable_cluster_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = support::kubeconfig_for(dir.path(), "https://127.0.0.1:1");
    let out = netreach(&[
        "run",
        &repo()
            .join("suites/metadata-access.yaml")
            .display()
            .to_string(),
        "--kubeconfig",
        &kubeconfig.display().to_string(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cluster unreachable at https://127.0.0.1:1"),
        "{stderr}"
    );
}

#[test]
fn sigint_while_probing_exits_nonzero_and_removes_everything() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    // A broken policy keeps the run re-probing for its whole settle timeout: a wide window to interrupt.
    let (_dir, suite) = seed_copy("13_metadata-deny.yaml", |t| t.replace(SEED_EXCEPT, ""));
    let mut child = Command::new(env!("CARGO_BIN_EXE_netreach"))
        .args(["run", &suite, "--settle-timeout", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let start = Instant::now();
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("not yet as expected"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "never reached re-probing: {seen:#?}"
        );
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) {
            seen.push(line);
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_ne!(exit.code(), Some(0));
    assert!(
        netreach_leftovers().is_empty(),
        "left behind: {:?}",
        netreach_leftovers()
    );
}

/// `--use-existing` probes the namespace's pods and leaves them as they were — also when the suite places a server
/// in that namespace (`namespace:`): the run creates it there and removes it (by its label) at cleanup.
#[test]
fn existing_pods_are_probed_without_being_changed() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let namespace = "exam-metadata-access";
    let image = std::env::var("NETREACH_PROBE_IMAGE")
        .unwrap_or_else(|_| "docker.io/curlimages/curl:8.11.1".into());
    let before: BTreeMap<String, (String, BTreeMap<String, String>)> = block_on(async {
        let client = client().await;
        fresh_namespace(&client, namespace, &[]).await;
        let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
        for (name, labels) in [
            ("pod1-7d67b4ff9-xrcd7", "app=pod1"),
            ("pod2-7b6fc66944-2hc7n", "app=pod2"),
            ("pod3-7dc879bd59-hkgrr", "app=pod3,role=metadata-accessor"),
        ] {
            let labels: BTreeMap<String, String> = labels
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "metadata": {"name": name, "labels": labels},
                "spec": {"terminationGracePeriodSeconds": 0, "containers": [{"name": "c", "image": image, "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 3600 & wait $!; done"]}]}
            }))
            .unwrap();
            loop {
                match pods.create(&PostParams::default(), &pod).await {
                    Ok(_) => break,
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        }
        // A policy of the namespace's own (selecting no pod, so the verdicts stay): named in a warning, untouched.
        create_own_policy(&client, namespace).await;
        snapshot(&pods).await
    });
    let (_dir, placed) = seed_copy("metadata-access.yaml", |t| {
        t.replace(
            "server: {port: 8080, body: web}",
            "server: {namespace: metadata-access, port: 8080, body: web}",
        )
    });
    let out = run_on_existing(None, namespace, &[]);
    let placed_out = run_on_existing(Some(&placed), namespace, &[]);
    let after = block_on(async {
        let client = client().await;
        let after = snapshot(&Api::namespaced(client.clone(), namespace)).await;
        let policies = Api::<NetworkPolicy>::namespaced(client.clone(), namespace)
            .list(&ListParams::default())
            .await
            .unwrap()
            .items;
        let _ = Api::<Namespace>::all(client)
            .delete(namespace, &DeleteParams::default())
            .await;
        let names: Vec<_> = policies
            .iter()
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        assert_eq!(names, [OWN_POLICY], "policies left in {namespace}");
        after
    });
    let (stdout, stderr) = expect_exit(&out, 0);
    assert!(
        stdout.lines().any(|l| l == "27 passed, 0 failed"),
        "{stdout}"
    );
    let (placed_stdout, _) = expect_exit(&placed_out, 0);
    assert!(
        placed_stdout.lines().any(|l| l == "27 passed, 0 failed"),
        "{placed_stdout}"
    );
    assert_eq!(
        before, after,
        "existing pods were changed (or a server placed among them was left)"
    );
    assert!(
        stderr.contains(&format!(
            "warning: policies netreach did not write change reachability here and the oracle does not see them: \
             NetworkPolicy {namespace}/{OWN_POLICY}"
        )),
        "{stderr}"
    );
}

/// `netreach run` of the suite at `suite` (default: the seed suite), quiet, probing the pods of `namespace`
/// (`--use-existing`), plus `extra`.
fn run_on_existing(suite: Option<&str>, namespace: &str, extra: &[&str]) -> std::process::Output {
    let seed = repo().join("suites/metadata-access.yaml");
    let seed = seed.display().to_string();
    let suite = suite.unwrap_or(&seed);
    let mut args = vec![
        "run",
        suite,
        "-q",
        "--namespace",
        namespace,
        "--use-existing",
    ];
    args.extend_from_slice(extra);
    netreach(&args)
}

/// Creates namespace `name` (a test's own, not netreach's) with `labels`, deleting an earlier one first.
async fn fresh_namespace(client: &Client, name: &str, labels: &[(&str, &str)]) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let _ = namespaces.delete(name, &DeleteParams::default()).await;
    while namespaces.get_opt(name).await.unwrap().is_some() {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut ns = Namespace::default();
    ns.metadata.name = Some(name.into());
    let labels = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    ns.metadata.labels = Some(labels.collect());
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
}

/// The NetworkPolicy a `--use-existing` namespace holds of its own in these tests; it selects no pod.
const OWN_POLICY: &str = "exam-own-policy";

async fn create_own_policy(client: &Client, namespace: &str) {
    let policy: NetworkPolicy = serde_json::from_value(serde_json::json!({
        "metadata": {"name": OWN_POLICY},
        "spec": {"podSelector": {"matchLabels": {"selects": "nothing"}}, "policyTypes": ["Ingress"]}
    }))
    .unwrap();
    Api::<NetworkPolicy>::namespaced(client.clone(), namespace)
        .create(&PostParams::default(), &policy)
        .await
        .unwrap();
}

/// Issue 11, acceptance 7: under `--strict` a policy netreach did not write in the namespace it probes is exit 2,
/// one line naming it, before anything is created.
#[test]
fn strict_refuses_a_namespace_holding_a_policy_of_its_own() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let namespace = "exam-strict";
    block_on(async {
        let client = client().await;
        fresh_namespace(&client, namespace, &[]).await;
        create_own_policy(&client, namespace).await;
    });
    let before = cluster_objects();
    let out = run_on_existing(None, namespace, &["--strict"]);
    let after = cluster_objects();
    block_on(async {
        let _ = Api::<Namespace>::all(client().await)
            .delete(namespace, &DeleteParams::default())
            .await;
    });
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("--strict: policies netreach did not write change reachability here and the oracle does not see them: NetworkPolicy {namespace}/{OWN_POLICY}")),
        "{stderr}"
    );
    assert_eq!(before, after, "the cluster was changed");
}

/// Pod name -> (resourceVersion, labels).
async fn snapshot(pods: &Api<Pod>) -> BTreeMap<String, (String, BTreeMap<String, String>)> {
    // Wait until the pods are running so the snapshot is not taken mid-startup.
    let start = Instant::now();
    loop {
        let list = pods.list(&ListParams::default()).await.unwrap().items;
        let ready = list
            .iter()
            .all(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"));
        if (ready && !list.is_empty()) || start.elapsed() > Duration::from_secs(120) {
            return list
                .into_iter()
                .map(|p| {
                    (
                        p.metadata.name.unwrap_or_default(),
                        (
                            p.metadata.resource_version.unwrap_or_default(),
                            p.metadata.labels.unwrap_or_default(),
                        ),
                    )
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Issue 11: `ping` (and every run, on stderr) names the context, the API server and the Kubernetes version; the
/// cluster flags are global.
#[test]
fn ping_names_the_context_the_api_server_and_the_version() {
    let context = kube::config::Kubeconfig::read()
        .expect("a kubeconfig in KUBECONFIG")
        .current_context
        .expect("a current context");
    let out = netreach(&["--context", &context, "ping"]);
    let (stdout, _) = expect_exit(&out, 0);
    assert!(
        stdout.starts_with(&format!(
            "cluster reachable: context {context}, API server https://"
        )),
        "{stdout}"
    );
    assert!(stdout.contains(", Kubernetes v1."), "{stdout}");
}

/// The seed suite run with `--probe-image image` ends at once (within 20 s, issue 11's bound): exit 2, one line
/// naming a source pod, the image and a reason `reason` accepts; nothing left behind.
fn assert_probe_image_ends_the_run_at_once(image: &str, reason: impl Fn(&str) -> bool) {
    let suite = repo().join("suites/metadata-access.yaml");
    let suite = suite.display().to_string();
    let started = Instant::now();
    let out = netreach(&["run", &suite, "-q", "--probe-image", image]);
    let took = started.elapsed();
    let (_, stderr) = expect_exit(&out, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("fixture pod metadata-access-")
            && stderr.contains(&format!("(image {image})"))
            && reason(&stderr),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(netreach_leftovers(), Vec::<String>::new());
}

/// Issue 11, acceptance 8: an image that cannot be pulled ends the run in seconds (not at `--ready-timeout`).
#[test]
fn a_probe_image_that_cannot_be_pulled_ends_the_run_at_once() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    assert_probe_image_ends_the_run_at_once("localhost/netreach/no-such-image:v0", |e| {
        e.contains("ErrImagePull") || e.contains("ImagePullBackOff")
    });
}

/// Issue 11, acceptance 8: a source image without curl ends the run before the first phase.
#[test]
fn a_probe_image_without_curl_ends_the_run_at_once() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    // The server image is busybox: a shell, no curl.
    let image = std::env::var("NETREACH_SERVER_IMAGE")
        .unwrap_or_else(|_| "docker.io/library/busybox:1.37".into());
    assert_probe_image_ends_the_run_at_once(&image, |e| {
        e.contains("the probe tool curl is not in the image")
    });
}

/// Issue 11, acceptance 2: where Pod Security cannot admit a hostNetwork fixture (a namespace netreach did not
/// create, at `baseline`), exit 2 with one line naming the fixture, the field and admission's message; nothing
/// left behind.
#[test]
fn a_host_network_fixture_refused_by_admission_is_one_line_and_leaves_nothing() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let namespace = "exam-baseline";
    block_on(async {
        let client = client().await;
        let baseline = [("pod-security.kubernetes.io/enforce", "baseline")];
        fresh_namespace(&client, namespace, &baseline).await;
    });
    // The seed suite with its hostNetwork metadata server in the suite's (here: the existing) namespace.
    let (_dir, suite) = seed_copy("metadata-access.yaml", |t| {
        t.replace(
            "server: {hostNetwork: true,",
            "server: {namespace: metadata-access, hostNetwork: true,",
        )
    });
    let before = cluster_objects();
    let out = run_on_existing(Some(&suite), namespace, &[]);
    let after = cluster_objects();
    block_on(async {
        let _ = Api::<Namespace>::all(client().await)
            .delete(namespace, &DeleteParams::default())
            .await;
    });
    let (_, stderr) = expect_exit(&out, 2);
    // netreach-leases, shared by every run, may be made by this one; it is not this run's to remove.
    let shared = |objects: Vec<String>| -> Vec<String> {
        objects
            .into_iter()
            .filter(|o| o != "ns/netreach-leases")
            .collect()
    };
    let (before, after) = (shared(before), shared(after));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "admission refused fixture pod {namespace}/metadata (spec.hostNetwork"
        )) && stderr.contains("violates PodSecurity \"baseline:latest\": host namespaces"),
        "{stderr}"
    );
    assert_eq!(before, after, "the cluster was changed");
}

/// Issue 12: `self` cells need source pods that serve their ports, and `--use-existing` creates none: exit 2 in
/// one line naming the destination, before the namespace is even looked at.
#[test]
fn use_existing_refuses_a_suite_with_self_cells() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let suite = repo().join("suites/conformance/self.yaml");
    let out = run_on_existing(Some(suite.to_str().unwrap()), "no-such-namespace", &[]);
    let (_, stderr) = expect_exit(&out, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr
            .contains("--use-existing creates no pods, but destination self needs the source pods"),
        "{stderr}"
    );
}
