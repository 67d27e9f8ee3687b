//! The binary's commands that contact no cluster (`validate`, `plan`) and input errors found before any cluster
//! call: these tests need no cluster and point KUBECONFIG nowhere to prove it.

mod support;

use support::{expect_exit, netreach_with, seed_copy, text};

/// No cluster: a kubeconfig that does not exist, and no outside addresses.
fn offline(command: &mut std::process::Command) {
    command
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("NETREACH_OUTSIDE_ADDRS")
        .env_remove("NETREACH_OUTSIDE_ADDRS6");
}

/// Issue 16, defect 2: `validate` warns, as `plan` and `run` do, when a hand-written table contradicts the oracle.
#[test]
fn validate_warns_where_the_table_contradicts_the_oracle() {
    let (_dir, suite) = seed_copy("metadata-access.yaml", |t| {
        t.replacen(
            "      pod1  X        .   .\n",
            "      pod1  .        .   .\n",
            1,
        )
    });
    let out = netreach_with(&["validate", &suite], offline);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(text(&out.stdout).contains("is valid"));
    assert!(
        stderr.contains("warning: the suite's hand-written tables contradict the oracle"),
        "{stderr}"
    );
    assert!(
        stderr.contains("phase metadata-deny: pod1->metadata: the table says ., the oracle says X"),
        "{stderr}"
    );
}

/// Issue 16, defect 3: with no outside addresses, `plan` and `validate` plan the outside destinations with made-up
/// addresses and say so, required ones too (neither command contacts anything); test names keep the suite's port.
#[test]
fn plan_and_validate_make_up_unset_outside_addresses_and_say_so() {
    let (_dir, required) = seed_copy("metadata-access.yaml", |t| {
        t.replace(", optional: true", "")
    });
    for command in ["plan", "validate"] {
        for suite in ["suites/conformance/except.yaml", required.as_str()] {
            let out = netreach_with(&[command, suite], offline);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{command} {suite}: {stderr}");
            assert!(
                stderr.contains("environment variable NETREACH_OUTSIDE_ADDRS is not set")
                    && stderr.contains("planned with the made-up address 198.51.100."),
                "{command} {suite}: {stderr}"
            );
        }
    }
    let out = netreach_with(&["plan", &required], offline);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("note: destination internet: environment variable NETREACH_OUTSIDE_ADDRS is not set; planned with the made-up address 198.51.100.3 (never contacted); `netreach run` needs the address"),
        "{stderr}"
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("internet:80"), "{stdout}");
    let out = netreach_with(&["plan", "suites/metadata-access.yaml"], offline);
    assert!(
        text(&out.stderr).contains("destination internet: ")
            && text(&out.stderr).contains("a run skips its cells"),
        "{}",
        text(&out.stderr)
    );
}

/// Issue 16, defect 6: an invalid label value in the suite is one line naming file and field, exit 2, before any
/// cluster call (the kubeconfig does not even exist).
#[test]
fn invalid_label_in_the_suite_fails_before_any_cluster_call() {
    let (_dir, suite) = seed_copy("metadata-access.yaml", |t| {
        t.replace("labels: {app: pod2}", "labels: {app: \"bad value!\"}")
    });
    let out = netreach_with(&["run", &suite], offline);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "metadata-access.yaml: pods[1].labels.app: \"bad value!\" is not a valid label value"
        ),
        "{stderr}"
    );
}

/// A `--tags` word no phase of the battery carries is bad input, named, before any cluster call (it chose nothing,
/// silently, when another tag chose phases: `--tags self,external-sources` ran suite self alone).
#[test]
fn conformance_names_a_tag_no_phase_carries_before_any_cluster_call() {
    let dir = support::repo().join("suites/conformance");
    let dir = dir.to_str().unwrap();
    let out = netreach_with(
        &[
            "conformance",
            "--dir",
            dir,
            "--tags",
            "self,external-sources",
        ],
        offline,
    );
    let (_, stderr) = expect_exit(&out, 2);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--tags: no phase of the suites in {dir} carries external-sources"
        )),
        "{stderr}"
    );
}

/// Issue 11: `--kubeconfig` and `--context` are global (before or after the subcommand), and with no kubeconfig at
/// all the in-cluster ServiceAccount is tried next, as kube's `Config::infer` does.
#[test]
fn cluster_flags_are_global_and_the_in_cluster_config_comes_after_the_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = support::kubeconfig_for(dir.path(), "https://127.0.0.1:1")
        .display()
        .to_string();
    for args in [
        vec!["--kubeconfig", &kubeconfig, "ping"],
        vec!["ping", "--kubeconfig", &kubeconfig, "--context", "x"],
        vec!["--context", "x", "cleanup", "--kubeconfig", &kubeconfig],
    ] {
        let out = netreach_with(&args, offline);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cluster unreachable at https://127.0.0.1:1"),
            "{args:?}: {stderr}"
        );
    }
    let out = netreach_with(&["ping"], |command| {
        command.env_remove("KUBECONFIG").env("HOME", dir.path());
    });
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("not in a pod with a ServiceAccount"),
        "{stderr}"
    );
}

/// Issue 13: a plugin's profile by name for every command that judges cells; an unknown name is one line listing
/// the known ones, exit 2, before anything is read or contacted.
#[test]
fn profiles_are_chosen_by_name_and_an_unknown_name_lists_the_known_ones() {
    let seed = "suites/metadata-access.yaml";
    for args in [
        vec!["run", seed, "--profile-name", "calico"],
        vec!["conformance", "--profile-name", "calico"],
        vec!["plan", seed, "--profile-name", "calico"],
        vec!["validate", seed, "--profile-name", "calico"],
        vec![
            "explain",
            seed,
            "--phase",
            "1",
            "--from",
            "pod1",
            "--to",
            "web",
            "--profile-name",
            "calico",
        ],
    ] {
        let out = netreach_with(&args, offline);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(
            stderr,
            "error: --profile-name: unknown profile \"calico\" (known: kube-router, cilium)\n",
            "{args:?}"
        );
    }
    // Cilium's ipBlocks match neither pod IPs (web) nor the node (pod3 -> metadata): plan shows the oracle's
    // verdicts under that profile, and an override goes on top of the name.
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", seed, "--json"];
        args.extend_from_slice(extra);
        let out = netreach_with(&args, offline);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let verdict = |doc: &serde_json::Value, phase: usize, from: &str, to: &str| {
        let cell = doc["phases"][phase]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["from"] == from && c["to"] == to)
            .unwrap()
            .clone();
        (
            cell["expected"].clone(),
            cell["implementation_defined"].clone(),
        )
    };
    let kube_router = plan(&["--profile-name", "kube-router"]);
    let cilium = plan(&["--profile-name", "cilium"]);
    assert_eq!(kube_router["profile"]["ipblock-matches-pod-ips"], true);
    assert_eq!(cilium["profile"]["ipblock-matches-pod-ips"], false);
    assert_eq!(
        verdict(&kube_router, 1, "pod1", "web"),
        ("allow".into(), true.into())
    );
    assert_eq!(
        verdict(&cilium, 1, "pod1", "web"),
        ("deny".into(), true.into())
    );
    assert_eq!(
        verdict(&cilium, 2, "pod3", "metadata"),
        ("deny".into(), true.into())
    );
    let overridden = plan(&[
        "--profile-name",
        "cilium",
        "--profile",
        "ipblock-matches-pod-ips=true",
    ]);
    assert_eq!(
        verdict(&overridden, 1, "pod1", "web"),
        ("allow".into(), true.into())
    );
    assert_eq!(
        verdict(&overridden, 2, "pod3", "metadata"),
        ("deny".into(), true.into())
    );
    // The seed's tables were written for kube-router: under Cilium's profile they contradict nothing that is not
    // implementation-defined, so validate stays quiet.
    let out = netreach_with(&["validate", seed, "--profile-name", "cilium"], offline);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !text(&out.stderr).contains("contradict"),
        "{}",
        text(&out.stderr)
    );
    // Under the suite's own profile every table cell must agree, implementation-defined ones included: a run
    // judges those by the oracle, so a wrong symbol there is only caught here.
    let (_dir, edited) = seed_copy("metadata-access.yaml", |t| {
        t.replacen(
            "      pod1  X        .   .\n",
            "      pod1  X        X   .\n",
            1,
        )
    });
    let out = netreach_with(&["validate", &edited], offline);
    assert!(
        text(&out.stderr).contains(
            "phase metadata-deny: pod1->web: the table says X, the oracle says . (implementation-defined: ipblock-matches-pod-ips)"
        ),
        "{}",
        text(&out.stderr)
    );
    let out = netreach_with(&["validate", &edited, "--profile-name", "cilium"], offline);
    assert!(
        !text(&out.stderr).contains("contradict"),
        "{}",
        text(&out.stderr)
    );
}

/// Issue 12: `explain` of a Service cell says the Service and, by name, the DNS egress first.
#[test]
fn explain_of_a_service_by_name_says_dns_then_the_backend() {
    let suite = "suites/conformance/services.yaml";
    let args = [
        "explain",
        "--phase",
        "dns-egress",
        "--from",
        "nodns",
        "--to",
        "allowed-name",
        suite,
    ];
    let (stdout, _) = expect_exit(&netreach_with(&args, offline), 0);
    assert!(
        stdout.contains(
            "resolving allowed.nrc-svc-web.svc.cluster.local. needs DNS egress: \
             nrc-svc/nodns -> kube-system/coredns 53/UDP: denied"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("then through Service nrc-svc-web/allowed (10.96.0.100)"),
        "{stdout}"
    );
}

/// Issue 12: `explain` of a pod to itself, by its own IP and through the Service in front of it alone: the oracle
/// decides both as traffic from the pod to itself (they have no endpoint of their own, only per source pod).
#[test]
fn explain_of_a_pod_to_itself_by_ip_and_through_its_own_service() {
    let suite = "suites/conformance/self.yaml";
    let explain = |to: &str| {
        let args = [
            "explain",
            "--phase",
            "isolated-deny-all",
            "--from",
            "isolated",
            "--to",
            to,
            suite,
        ];
        expect_exit(&netreach_with(&args, offline), 0).0
    };
    for to in ["self", "self-svc"] {
        let stdout = explain(to);
        assert!(
            stdout.contains("nrc-self/isolated -> nrc-self/isolated 8080/TCP: allowed")
                && stdout.contains("traffic from a pod to itself: policies do not apply to it"),
            "{to}: {stdout}"
        );
    }
    assert!(
        explain("self-svc").contains("through Service nrc-self/self-isolated (10.96.1.10)"),
        "{}",
        explain("self-svc")
    );
}

/// Issue 12: `plan --json` says each cell's IP family; the ipv6 suite's IPv4-only ipBlock opens IPv4, not IPv6.
#[test]
fn plan_json_gives_each_cells_family() {
    let args = ["plan", "suites/conformance/ipv6.yaml", "--json"];
    let (stdout, _) = expect_exit(&netreach_with(&args, offline), 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let phase = doc["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ingress-ipblock-ipv4-only")
        .unwrap();
    let cells: Vec<(String, String, String)> = phase["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["from"] == "client")
        .map(|c| {
            let field = |name: &str| c[name].as_str().unwrap_or_default().to_owned();
            (field("to"), field("family"), field("expected"))
        })
        .collect();
    let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        cells,
        [
            owned("web", "IPv4", "allow"),
            owned("web-v6", "IPv6", "deny"),
            owned("svc-v6", "IPv6", "deny"),
            owned("udp-v6", "IPv6", "deny")
        ]
    );
}
