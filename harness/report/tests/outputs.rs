//! Every output format of `netreach run` on one hand-built run with a baseline: snapshots of the terminal views,
//! JUnit, JSON and Markdown, JSON validated against reports/schema/run.schema.json, JUnit read back.

use netreach_core::world::Protocol;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use netreach_core::baseline::{Baseline, BaselineEntry};
use netreach_core::cell::{CellKey, CellResult, DenyKind, Observation, Reach};
use netreach_core::provenance::Provenance;
use netreach_core::results::{PhaseResult, RunReport};
use netreach_core::verdict::Verdict;
use netreach_report::assess::Assessment;
use netreach_report::json::write_json;
use netreach_report::junit::write_junit;
use netreach_report::markdown::write_markdown;
use netreach_report::reporter::{Format, Reporter};
use netreach_report::style::Palette;
use netreach_report::terminal::{View, write_phase, write_stale};

const ALLOWED: Observation = Observation::Allowed { http_status: 200 };
const TIMEOUT: Observation = Observation::Denied {
    kind: DenyKind::Timeout,
    curl_exit: 28,
    evidence: None,
};

fn cell(from: &str, to: &str, expected: Reach, observed: Observation) -> CellResult {
    let port = match to {
        "metadata" => 32000,
        "internet" => 80,
        _ => 8080,
    };
    let url = format!("http://10.0.0.9:{port}/");
    CellResult {
        key: CellKey {
            from: from.into(),
            to: to.into(),
            port,
            protocol: Protocol::Tcp,
        },
        from_node: Some("node1".into()),
        to_node: (to != "internet").then(|| "node1".into()),
        reproduce: format!(
            "kubectl exec -n metadata-access {from} -- curl -sS -o /dev/null -w '%{{http_code}}\\n' --connect-timeout 2 --max-time 4 {url}"
        ),
        url,
        expected: Some(expected),
        observed: observed.clone(),
        attempts: 1,
        settled_after: (observed.reach() == Some(expected)).then(|| Duration::from_millis(120)),
        ready_after: None,
        first_probe_after: None,
        implementation_defined: Vec::new(),
        oracle: Some(expected),
        explanation: Some(format!(
            "metadata-access/{from} -> {to} {port}/TCP: {}\negress of metadata-access/{from}: ...\n",
            if expected == Reach::Allow {
                "allowed"
            } else {
                "denied"
            }
        )),
        dns: None,
    }
}

fn run() -> RunReport {
    let mut skipped = cell(
        "pod1",
        "internet",
        Reach::Allow,
        Observation::Skipped {
            reason: "no outside address configured".into(),
        },
    );
    skipped.reproduce.clear();
    skipped.url.clear();
    skipped.settled_after = None;
    let no_policy = PhaseResult {
        name: "no-policy".into(),
        policies: vec![],
        cells: vec![
            cell("pod1", "metadata", Reach::Allow, ALLOWED),
            cell("pod1", "web", Reach::Allow, ALLOWED),
            skipped,
            cell("pod2", "metadata", Reach::Allow, ALLOWED),
            cell("pod2", "web", Reach::Allow, ALLOWED),
        ],
        probe_millis: 900,
    };
    let mut implementation_defined = cell("pod2", "web", Reach::Allow, TIMEOUT);
    implementation_defined.implementation_defined = vec!["ipblock-matches-pod-ips".into()];
    let mut known = cell("pod2", "metadata", Reach::Deny, ALLOWED);
    known.attempts = 9;
    let mut wrong = cell("pod1", "metadata", Reach::Deny, ALLOWED);
    wrong.attempts = 9;
    let deny = PhaseResult {
        name: "metadata-deny".into(),
        policies: vec!["metadata-access/metadata-deny".into()],
        cells: vec![
            wrong,
            cell(
                "pod1",
                "web",
                Reach::Allow,
                Observation::Error {
                    message: "exec into pod1: connection reset".into(),
                },
            ),
            known,
            implementation_defined,
        ],
        probe_millis: 4100,
    };
    RunReport {
        suite: "metadata-access".into(),
        run_id: "r1234".into(),
        namespaces: [("metadata-access".into(), "metadata-access-r1234".into())].into(),
        phases: vec![no_policy, deny],
        provenance: Some(Provenance {
            netreach_version: "0.1.0".into(),
            context: "netreach".into(),
            api_server: "https://127.0.0.1:6443/".into(),
            kubernetes_version: "v1.34.4".into(),
            nodes: 1,
            started: "2026-11-30T10:00:00Z".into(),
            finished: "2026-11-30T10:00:09Z".into(),
            settings: BTreeMap::from([("settle-timeout".into(), "30s".into())]),
        }),
    }
}

fn entry(phase: &str, from: &str, to: &str, port: u16, reason: &str) -> BaselineEntry {
    BaselineEntry {
        suite: "metadata-access".into(),
        phase: phase.into(),
        from: from.into(),
        to: to.into(),
        port,
        protocol: None,
        observed: Reach::Allow,
        reason: reason.into(),
    }
}

fn baseline() -> Baseline {
    Baseline {
        entries: vec![
            entry(
                "metadata-deny",
                "pod2",
                "metadata",
                32000,
                "plugin X opens the node address",
            ),
            // Stale: that cell passes now.
            entry("no-policy", "pod1", "web", 8080, "was flaky"),
            entry("gone-phase", "pod1", "web", 8080, "phase removed"),
            BaselineEntry {
                suite: "another-suite".into(),
                ..entry("x", "a", "b", 1, "not this suite's")
            },
        ],
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

fn terminal(view: View, palette: Palette) -> String {
    let report = run();
    let baseline = baseline();
    let assessment = Assessment::new(&report, &baseline);
    let mut out = Vec::new();
    for (index, (phase, verdicts)) in assessment.phases().enumerate() {
        write_phase(&mut out, view, index, phase, verdicts, palette).unwrap();
    }
    write_stale(&mut out, &assessment, palette).unwrap();
    text(out)
}

#[test]
fn verdicts_stale_entries_and_summary() {
    let report = run();
    let baseline = baseline();
    let assessment = Assessment::new(&report, &baseline);
    assert!(matches!(assessment.verdicts[1][2], Verdict::Known { .. }));
    assert_eq!(assessment.verdicts[1][0], Verdict::Fail);
    let stale: Vec<&str> = assessment
        .stale
        .iter()
        .map(|s| s.entry.phase.as_str())
        .collect();
    assert_eq!(stale, ["no-policy", "gone-phase"]);
    assert_eq!(
        assessment.summary.to_string(),
        "4 passed, 1 failed, 1 errors, 1 skipped, 1 implementation-defined, 1 known, 2 stale baseline entries"
    );
    assert_eq!(assessment.summary.exit_code(), 2);
    let written = Baseline::from_failures(&report, "accepted");
    assert_eq!(written.entries.len(), 2, "{written:?}");
    let again = Assessment::new(&report, &Baseline::parse(&written.to_yaml()).unwrap());
    assert_eq!(again.summary.tally.failed, 0);
    assert_eq!(again.summary.tally.known, 2);
}

#[test]
fn terminal_compact_view() {
    let out = terminal(View::Compact, Palette::PLAIN);
    assert!(out.contains("k ./X"));
    assert!(out.contains("KNOWN pod2->metadata:32000"));
    assert!(out.contains("(baseline: plugin X opens the node address)"));
    assert!(out.contains("STALE metadata-access/no-policy/pod1->web:8080 observed allow"));
    insta::assert_snapshot!(out);
}

#[test]
fn terminal_diff_view() {
    insta::assert_snapshot!(terminal(View::Diff { max_width: 140 }, Palette::PLAIN));
}

#[test]
fn colours_only_when_asked() {
    assert!(!terminal(View::Diff { max_width: 140 }, Palette::PLAIN).contains('\u{1b}'));
    let coloured = terminal(View::Diff { max_width: 140 }, Palette { colour: true });
    // Bold red (console writes the colour, then the attribute).
    assert!(coloured.contains("\u{1b}[31m\u{1b}[1mX\u{1b}[0m"));
}

#[test]
fn junit_report() {
    let report = run();
    let baseline = baseline();
    let assessment = Assessment::new(&report, &baseline);
    let mut out = Vec::new();
    write_junit(&mut out, &assessment).unwrap();
    let xml = text(out);
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let cases: usize = parsed.test_suites.iter().map(|s| s.test_cases.len()).sum();
    assert_eq!(cases, 9, "one testcase per cell");
    assert_eq!(
        parsed.test_suites[0].name.as_str(),
        "metadata-access/no-policy"
    );
    assert!(xml.contains("kubectl exec -n metadata-access pod1 -- curl"));
    insta::assert_snapshot!(xml);
}

#[test]
fn json_document_matches_the_schema() {
    let report = run();
    let baseline = baseline();
    let assessment = Assessment::new(&report, &baseline);
    let mut out = Vec::new();
    write_json(&mut out, &assessment).unwrap();
    let json = text(out);
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/schema/run.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is strict: an unknown field or a wrong status is rejected.
    let mut broken = document.clone();
    broken["phases"][0]["cells"][0]["status"] = "maybe".into();
    assert!(!validator.is_valid(&broken));
    insta::assert_snapshot!(json);
}

#[test]
fn markdown_summary() {
    let report = run();
    let baseline = baseline();
    let assessment = Assessment::new(&report, &baseline);
    let mut out = Vec::new();
    write_markdown(&mut out, &assessment).unwrap();
    let markdown = text(out);
    let wrong = markdown.find("FAIL pod1->metadata:32000").unwrap();
    let table = markdown.rfind("| from \\ to |").unwrap();
    assert!(wrong < table, "wrong cells come before their phase's table");
    insta::assert_snapshot!(markdown);
}

#[test]
fn the_reporter_writes_every_chosen_file_from_the_same_assessed_run() {
    let report = run();
    let dir = std::env::temp_dir().join(format!("netreach-reporter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reporter = Reporter::new(true, Palette::PLAIN)
        .with_view(View::Compact, baseline())
        .with_file(Format::Json, dir.join("run.json"))
        .with_file(Format::Baseline, dir.join("baseline.yaml"));
    let mut stdout = Vec::new();
    let summary = reporter.finish(&report, &mut stdout).unwrap();
    let assessment = Assessment::new(&report, &baseline());
    assert_eq!(summary, assessment.summary);
    let mut json = Vec::new();
    write_json(&mut json, &assessment).unwrap();
    assert_eq!(std::fs::read(dir.join("run.json")).unwrap(), json);
    let written = std::fs::read_to_string(dir.join("baseline.yaml")).unwrap();
    // The known cell keeps the baseline's reason; the failing one gets the placeholder reason.
    assert!(
        written.contains("plugin X opens the node address"),
        "{written}"
    );
    assert_eq!(Baseline::parse(&written).unwrap().entries.len(), 2);
    let mut stale = Vec::new();
    write_stale(&mut stale, &assessment, Palette::PLAIN).unwrap();
    assert_eq!(stdout, stale);
    std::fs::remove_dir_all(&dir).unwrap();
    let missing =
        Reporter::new(true, Palette::PLAIN).with_file(Format::Junit, dir.join("no/such/dir.xml"));
    let error = missing
        .finish(&report, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("--junit ") && error.contains("cannot write"),
        "{error}"
    );
}

/// Issue 13: `compare`'s text groups the differing cells by what explains them, names each switch with both sides'
/// choices and each plugin with its baseline's evidence, and says explicitly when nothing is unexplained.
#[test]
fn compare_text_groups_differences_by_class() {
    use netreach_core::compare::{
        CellDiff, CellState, Classification, Comparison, Deviation, SCHEMA, Side,
    };
    use netreach_core::verdict::Status;

    let side = |report: &str, plugin: &str, profile: &str| Side {
        report: report.into(),
        plugin: Some(plugin.into()),
        profile_name: Some(profile.into()),
        profile_overrides: None,
    };
    let state = |status, observed: &str| {
        Some(CellState {
            status,
            observed: observed.into(),
        })
    };
    let diff = |cell: &str, a, b, classification| CellDiff {
        suite: "s".into(),
        phase: "p".into(),
        cell: cell.into(),
        a,
        b,
        classification,
    };
    let comparison = Comparison {
        schema: SCHEMA,
        a: side("kr.json", "kube-router v2.1.0", "kube-router"),
        b: side("cilium.json", "cilium v1.20.2", "cilium"),
        identical: 5,
        differences: vec![
            diff(
                "client->web:8080",
                state(Status::Pass, "."),
                state(Status::Pass, "X"),
                Classification::ImplementationDefined {
                    switches: vec!["ipblock-matches-pod-ips".into()],
                    a_chose: Some(true),
                    b_chose: Some(false),
                },
            ),
            diff(
                "client->srv:7070",
                state(Status::KnownDeviation, "X"),
                state(Status::Pass, "."),
                Classification::PluginDeviation {
                    deviations: vec![Deviation {
                        side: "a",
                        plugin: "kube-router v2.1.0".into(),
                        evidence: "kube-router#1036".into(),
                    }],
                },
            ),
        ],
        classes: [
            ("implementation-defined".to_owned(), 1),
            ("plugin deviation".to_owned(), 1),
        ]
        .into_iter()
        .collect(),
        choices: Default::default(),
        chosen: [(
            "policy-applies-to-self-traffic".to_owned(),
            (
                "both: false on 12 cells, true on 2 cells".to_owned(),
                "false".to_owned(),
            ),
        )]
        .into_iter()
        .collect(),
        by_tag: Default::default(),
    };
    let text = netreach_report::conformance::comparison_text(&comparison);
    for line in [
        "2 cells differ (5 identical); A = kr.json (kube-router v2.1.0, profile kube-router), B = cilium.json (cilium v1.20.2, profile cilium)",
        "  by class: 1 implementation-defined, 1 plugin deviation",
        "implementation-defined (1 cell):",
        "  ipblock-matches-pod-ips: A chose true, B chose false (1 cell):",
        "    s/p/client->web:8080: A pass (observed .) | B pass (observed X)",
        "plugin deviation (1 cell):",
        "  kube-router v2.1.0 (A), baseline: kube-router#1036 (1 cell):",
        "    s/p/client->srv:7070: A known deviation (observed X) | B pass (observed .)",
        "unexplained (netreach bug candidates): none",
        // What each cluster chose, in words: kube-router polices a pod's hairpin to itself on some paths only.
        " *policy-applies-to-self-traffic: both: false on 12 cells, true on 2 cells | false",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in:\n{text}");
    }
}
