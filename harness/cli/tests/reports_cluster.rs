//! The report outputs of `netreach run` against the real cluster of `KUBECONFIG`: JUnit, JSON (validated against
//! reports/schema/run.schema.json) and Markdown of the seed suite; a broken policy's failures carry a reproduce
//! command that gives the observed result by hand; a baseline written from the broken run makes it pass with known
//! cells, and the fixed policy reports the entries as stale. Without a cluster these fail.

use std::path::Path;
use std::process::{Command, Output};

mod support;
use support::{CLUSTER, SEED_EXCEPT, expect_exit, netreach, repo, seed_copy_into, text};

/// The seed suite and its manifests copied to `dir`, the deny policy without its `except` when `broken`.
fn seed_copy(dir: &Path, broken: bool) -> String {
    seed_copy_into(dir, "13_metadata-deny.yaml", |content| {
        if broken {
            assert!(content.contains(SEED_EXCEPT));
            content.replace(SEED_EXCEPT, "")
        } else {
            content
        }
    })
}

fn junit(path: &Path) -> quick_junit::Report {
    quick_junit::Report::deserialize_from_str(&std::fs::read_to_string(path).unwrap())
        .expect("the JUnit XML parses")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("the JSON parses")
}

fn assert_valid_run_document(document: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("reports/schema/run.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn testcases(report: &quick_junit::Report) -> usize {
    report.test_suites.iter().map(|s| s.test_cases.len()).sum()
}

#[test]
fn seed_suite_writes_junit_json_and_markdown() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (xml, doc, md) = (
        dir.path().join("r.xml"),
        dir.path().join("r.json"),
        dir.path().join("r.md"),
    );
    let suite = repo().join("suites/metadata-access.yaml");
    let out = netreach(&[
        "run",
        suite.to_str().unwrap(),
        "-q",
        "--junit",
        xml.to_str().unwrap(),
        "--json",
        doc.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    expect_exit(&out, 0);

    let report = junit(&xml);
    assert_eq!(testcases(&report), 27, "one testcase per cell");
    let names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "metadata-access/no-policy",
            "metadata-access/metadata-deny",
            "metadata-access/metadata-deny+allow"
        ]
    );
    assert!(
        report.test_suites[0]
            .test_cases
            .iter()
            .any(|c| c.name.as_str() == "pod1->metadata:32000")
    );

    // Provenance (issue 11) in every format: which netreach, cluster and settings, and when.
    let properties = &report.test_suites[0].properties;
    let property = |name: &str| {
        let found = properties.iter().find(|p| p.name.as_str() == name);
        found.map(|p| p.value.to_string()).unwrap_or_default()
    };
    assert!(
        property("kubernetes-version").starts_with("v1."),
        "{properties:?}"
    );
    assert_eq!(property("settle-timeout"), "30s");
    assert!(property("profile").contains("ipblock-matches-pod-ips=true"));

    let document = json(&doc);
    assert_valid_run_document(&document);
    assert_eq!(document["schema"], "netreach.run/v1");
    assert_eq!(document["summary"]["passed"], 27);
    let provenance = &document["provenance"];
    assert_eq!(provenance["netreach_version"], env!("CARGO_PKG_VERSION"));
    assert!(provenance["nodes"].as_u64().unwrap() >= 1, "{provenance}");
    assert!(provenance["started"].as_str().unwrap() <= provenance["finished"].as_str().unwrap());
    assert!(
        provenance["api_server"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    // The run worked in namespaces of its own; `reproduce` names them, the rest of the document the suite's.
    let deployed = document["namespaces"]["metadata-access"].as_str().unwrap();
    assert!(deployed.starts_with("metadata-access-"), "{deployed}");
    let reproduce = document["phases"][0]["cells"][0]["reproduce"]
        .as_str()
        .unwrap();
    assert!(
        reproduce.starts_with(&format!("kubectl exec -n {deployed} pod1 -- curl ")),
        "{reproduce}"
    );

    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("**27 passed, 0 failed**"), "{markdown}");
    assert!(
        markdown.contains("| kubernetes-version | `v1."),
        "{markdown}"
    );
    assert!(markdown.contains("| from \\ to | metadata:32000 | web:8080 |"));
}

#[test]
fn broken_policy_reproduces_by_hand_then_baseline_makes_it_known_and_fixed_policy_stale() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let broken = seed_copy(&dir.path().join("broken"), true);
    let fixed = seed_copy(&dir.path().join("fixed"), false);
    let file = |name: &str| dir.path().join(name).display().to_string();

    // 1. The broken run, kept in place so its failures can be reproduced by hand.
    let out = netreach(&[
        "run",
        &broken,
        "-q",
        "--settle-timeout",
        "4",
        "--keep",
        "--junit",
        &file("broken.xml"),
        "--json",
        &file("broken.json"),
        "--write-baseline",
        &file("baseline.yaml"),
    ]);
    let document = json(Path::new(&file("broken.json")));
    let run_id = document["run_id"].as_str().unwrap().to_owned();
    let reproduced = reproduce_last_phase_failures(Path::new(&file("broken.xml")));
    // Only this run's namespaces: other runs on the cluster are not ours to delete.
    let deleted = Command::new("kubectl")
        .args([
            "delete",
            "namespace",
            "-l",
            &format!("netreach.io/run-id={run_id}"),
            "--wait=true",
        ])
        .output()
        .expect("kubectl on PATH");
    assert!(deleted.status.success(), "{}", text(&deleted.stderr));
    expect_exit(&out, 1);
    assert_valid_run_document(&document);
    let report = junit(Path::new(&file("broken.xml")));
    assert_eq!(testcases(&report), 27);
    let failures: Vec<String> = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter_map(|c| match &c.status {
            quick_junit::TestCaseStatus::NonSuccess {
                kind: quick_junit::NonSuccessKind::Failure,
                description,
                ..
            } => Some(
                description
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 5, "{failures:#?}");
    for failure in &failures {
        assert!(failure.contains("expected: deny"), "{failure}");
        assert!(failure.contains("curl exit: 0"), "{failure}");
        assert!(
            failure.contains("kubectl exec -n metadata-access-"),
            "{failure}"
        );
        assert!(failure.contains("oracle:"), "{failure}");
    }
    assert_eq!(reproduced.len(), 2, "{reproduced:#?}");
    for (command, output) in &reproduced {
        assert_eq!(
            (output.status.code(), text(&output.stdout).trim()),
            (Some(0), "200"),
            "by hand, {command} should connect as the run observed: {}",
            text(&output.stderr)
        );
    }

    // 2. The same broken run against the baseline written from it: exit 0, the five cells known.
    let out = netreach(&[
        "run",
        &broken,
        "-q",
        "--settle-timeout",
        "4",
        "--baseline",
        &file("baseline.yaml"),
        "--junit",
        &file("known.xml"),
        "--json",
        &file("known.json"),
    ]);
    let stdout = text(&out.stdout);
    expect_exit(&out, 0);
    assert!(
        stdout.lines().any(|l| l == "22 passed, 0 failed, 5 known"),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("KNOWN pod"))
            .count(),
        5
    );
    let document = json(Path::new(&file("known.json")));
    assert_valid_run_document(&document);
    assert_eq!(document["summary"]["known"], 5);
    let known_xml = std::fs::read_to_string(file("known.xml")).unwrap();
    assert_eq!(known_xml.matches("type=\"known\"").count(), 5);

    // 3. The fixed policy against the same baseline: every entry is stale, the run still passes.
    let out = netreach(&[
        "run",
        &fixed,
        "-q",
        "--baseline",
        &file("baseline.yaml"),
        "--junit",
        &file("stale.xml"),
        "--json",
        &file("stale.json"),
        "--markdown",
        &file("stale.md"),
    ]);
    let stdout = text(&out.stdout);
    expect_exit(&out, 0);
    assert!(
        stdout
            .lines()
            .any(|l| l == "27 passed, 0 failed, 5 stale baseline entries"),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("STALE metadata-access/"))
            .count(),
        5
    );
    let document = json(Path::new(&file("stale.json")));
    assert_valid_run_document(&document);
    assert_eq!(document["stale_baseline"].as_array().unwrap().len(), 5);
    let stale_xml = std::fs::read_to_string(file("stale.xml")).unwrap();
    assert!(
        stale_xml
            .contains("<system-err>STALE metadata-access/metadata-deny/pod1-&gt;metadata:32000")
    );
    let markdown = std::fs::read_to_string(file("stale.md")).unwrap();
    assert!(
        markdown.contains("### Stale baseline entries"),
        "{markdown}"
    );
}

/// Runs by hand (sh and the kubectl of PATH) the reproduce command of each failure of the last phase, whose
/// policies are still in force after `--keep`.
fn reproduce_last_phase_failures(xml: &Path) -> Vec<(String, Output)> {
    let report = junit(xml);
    let Some(last) = report.test_suites.last() else {
        return Vec::new();
    };
    last.test_cases
        .iter()
        .filter_map(|case| match &case.status {
            quick_junit::TestCaseStatus::NonSuccess {
                kind: quick_junit::NonSuccessKind::Failure,
                description: Some(description),
                ..
            } => description
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("kubectl exec "))
                .map(str::to_owned),
            _ => None,
        })
        .map(|command| {
            let output = Command::new("sh")
                .args(["-c", &command])
                .output()
                .expect("sh runs");
            (command, output)
        })
        .collect()
}
