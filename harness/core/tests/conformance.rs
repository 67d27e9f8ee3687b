//! The conformance battery without a cluster: its suites load and plan, invalid input is refused naming file and
//! field, tags choose phases, baselines mark known deviations, and `compare` finds exactly the differing cells.

mod suite_support;

use netreach_core::world::Protocol;
use std::path::PathBuf;

use netreach_core::baseline::Baseline;
use netreach_core::cell::{CellKey, CellResult, DenyKind, Observation, Reach};
use netreach_core::compare::{Classification, compare};
use netreach_core::conformance::{
    ConformanceReport, ReportContext, SuiteRun, build_report, filter_by_tags, unknown_tags,
};
use netreach_core::named_profile::parse_profile_overrides;
use netreach_core::oracle::{Profile, ProfileSwitch};
use netreach_core::plan::plan_suite;
use netreach_core::results::{PhaseResult, RunReport};
use netreach_core::suite::{Suite, load_suite_with_env};
use netreach_core::verdict::Status;
use suite_support::*;

fn battery() -> Vec<Suite> {
    let dir = repo_root().join("suites/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| load_suite_with_env(path, &outside_env).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn every_battery_suite_loads_is_tagged_and_plans() {
    let suites = battery();
    assert!(suites.len() >= 6, "{} suites", suites.len());
    let mut namespaces = std::collections::BTreeSet::new();
    for suite in &suites {
        for ns in &suite.namespaces {
            assert!(
                namespaces.insert(ns.name.clone()),
                "namespace {} used twice",
                ns.name
            );
            assert!(ns.name.starts_with("nrc-"), "{}", ns.name);
        }
        for phase in &suite.phases {
            assert!(
                !phase.tags.is_empty(),
                "{}/{} has no tags",
                suite.name,
                phase.name
            );
        }
        plan_suite(suite).unwrap_or_else(|e| panic!("{}: {e}", suite.name));
    }
}

#[test]
fn the_ipv6_metadata_cells_are_skipped_with_the_reason_here() {
    let suite = battery()
        .into_iter()
        .find(|s| s.name == "metadata")
        .unwrap();
    let v6 = suite
        .destinations
        .iter()
        .find(|d| d.name == "metadata-v6")
        .unwrap();
    assert!(v6.skip_reason().unwrap().contains("single-stack"));
}

#[test]
fn except_equal_to_its_cidr_is_invalid_input_naming_file_and_field() {
    let path = repo_root().join("suites/conformance/invalid/except-equals-cidr.yaml");
    let error = load_suite_with_env(&path, &outside_env).unwrap_err();
    assert!(
        error
            .file
            .ends_with("invalid/except-equals-cidr-policy.yaml"),
        "{error}"
    );
    assert_eq!(error.field, "spec.egress[0].to[0].ipBlock.except[0]");
    assert!(error.message.contains("strict subset"), "{error}");
}

#[test]
fn tags_choose_phases_and_inherit_the_suites() {
    let suite = battery().into_iter().find(|s| s.name == "ports").unwrap();
    assert!(
        suite
            .phases
            .iter()
            .all(|p| p.tags.contains(&"ports".into()))
    );
    let endport = filter_by_tags(&suite, &["endport".into()]).unwrap();
    let names: Vec<&str> = endport.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "endport-egress-low",
            "endport-egress-high",
            "endport-ingress"
        ]
    );
    assert_eq!(
        filter_by_tags(&suite, &[]).unwrap().phases.len(),
        suite.phases.len()
    );
    assert!(filter_by_tags(&suite, &["metadata".into()]).is_none());
    // Any of several tags.
    let two = filter_by_tags(&suite, &["endport".into(), "named-ports".into()]).unwrap();
    assert_eq!(two.phases.len(), 8);
}

/// A tag no phase of the battery carries is named (a misspelt one chose nothing, silently, beside tags that did).
#[test]
fn tags_no_phase_carries_are_named() {
    let suites = battery();
    let tags: Vec<String> = ["self", "external-sources", "udp", "nosuch"]
        .map(String::from)
        .to_vec();
    assert_eq!(unknown_tags(&suites, &tags), ["external-sources", "nosuch"]);
    let known: Vec<String> = ["services", "self", "udp", "ipv6", "external-source"]
        .map(String::from)
        .to_vec();
    assert!(unknown_tags(&suites, &known).is_empty());
    assert!(unknown_tags(&suites, &[]).is_empty());
}

#[test]
fn profile_overrides_parse_and_reject_unknown_switches() {
    assert_eq!(
        parse_profile_overrides("ipblock-matches-pod-ips=false, ipblock-matches-node-ips=true")
            .unwrap(),
        vec![
            (ProfileSwitch::IpblockMatchesPodIps, false),
            (ProfileSwitch::IpblockMatchesNodeIps, true)
        ]
    );
    assert!(
        parse_profile_overrides("pod-ips=false")
            .unwrap_err()
            .contains("unknown switch")
    );
    assert!(parse_profile_overrides("ipblock-matches-pod-ips").is_err());
}

fn cell(from: &str, to: &str, expected: Reach, observed: Observation, ids: &[&str]) -> CellResult {
    CellResult {
        key: CellKey {
            from: from.into(),
            to: to.into(),
            port: 80,
            protocol: Protocol::Tcp,
        },
        from_node: None,
        to_node: None,
        url: format!("http://10.0.0.1:80/{to}"),
        expected: Some(expected),
        observed,
        attempts: 1,
        settled_after: None,
        ready_after: None,
        first_probe_after: None,
        implementation_defined: ids.iter().map(|s| s.to_string()).collect(),
        oracle: Some(expected),
        explanation: Some("because".into()),
        dns: None,
        reproduce: String::new(),
    }
}

const ALLOWED: Observation = Observation::Allowed { http_status: 200 };
const DENIED: Observation = Observation::Denied {
    kind: DenyKind::Timeout,
    curl_exit: 28,
    evidence: None,
};

fn run_of(cells: Vec<CellResult>) -> RunReport {
    RunReport {
        suite: "s".into(),
        run_id: "r".into(),
        namespaces: Default::default(),
        phases: vec![PhaseResult {
            name: "p".into(),
            policies: vec![],
            cells,
            probe_millis: 1,
        }],
        provenance: None,
    }
}

fn report_of(suite: &Suite, run: RunReport, baseline: Option<Baseline>) -> ConformanceReport {
    report_under(suite, run, baseline, Profile::default(), None)
}

fn report_under(
    suite: &Suite,
    run: RunReport,
    baseline: Option<Baseline>,
    profile: Profile,
    plugin: Option<&str>,
) -> ConformanceReport {
    build_report(
        &[SuiteRun {
            suite,
            profile,
            outcome: Ok(run),
        }],
        &ReportContext {
            baseline: baseline.map(|b| ("b.yaml".to_owned(), b)),
            plugin: plugin.map(str::to_owned),
            ..Default::default()
        },
    )
}

fn tiny_suite() -> Suite {
    let mut suite = battery().into_iter().find(|s| s.name == "except").unwrap();
    suite.name = "s".into();
    suite.phases.truncate(1);
    suite.phases[0].name = "p".into();
    suite
}

#[test]
fn report_counts_per_tag_marks_baselined_failures_and_records_choices() {
    let suite = tiny_suite();
    let run = run_of(vec![
        cell("client", "meta", Reach::Deny, DENIED, &[]),
        cell("client", "inet", Reach::Deny, ALLOWED, &[]),
        // Expected allowed under the profile (ipBlock matches pod IPs), observed denied: the cluster chose false.
        cell(
            "client",
            "web",
            Reach::Allow,
            DENIED,
            &["ipblock-matches-pod-ips"],
        ),
    ]);
    let report = report_of(&suite, run.clone(), None);
    assert_eq!(report.schema, "netreach.conformance/v1");
    assert_eq!(report.summary.totals.passed, 1);
    assert_eq!(report.summary.totals.failed, 1);
    assert_eq!(report.summary.totals.implementation_defined, 1);
    assert_eq!(report.summary.by_tag["except"].failed, 1);
    assert_eq!(report.summary.by_tag["implementation-defined"].passed, 0);
    assert_eq!(
        report.summary.by_tag["implementation-defined"].implementation_defined,
        1
    );
    assert_eq!(report.summary.verdict, "failures");
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.failures.len(), 1);
    assert!(report.failures[0].reproduce[0].starts_with("netreach run "));
    let choice = &report.implementation_defined[0];
    assert_eq!(choice.switch, "ipblock-matches-pod-ips");
    assert!(choice.profile);
    assert_eq!(choice.observed, Some(false));

    let baseline = Baseline::parse(
        "# known\n- {suite: s, phase: p, from: client, to: inet, port: 80, observed: allow, reason: upstream issue 1}\n",
    )
    .unwrap();
    let accepted = report_of(&suite, run, Some(baseline));
    assert_eq!(accepted.summary.totals.failed, 0);
    assert_eq!(accepted.summary.totals.known, 1);
    assert_eq!(accepted.summary.verdict, "conformant");
    assert_eq!(
        accepted.failures[0].known_deviation.as_deref(),
        Some("upstream issue 1")
    );
    assert_eq!(
        accepted.suites[0].phases[0].cells[1].status,
        Status::KnownDeviation
    );
}

#[test]
fn a_baseline_entry_stops_matching_when_the_observation_changes() {
    let suite = tiny_suite();
    let run = run_of(vec![cell("client", "inet", Reach::Allow, DENIED, &[])]);
    let baseline = Baseline::parse(
        "- {suite: s, phase: p, from: client, to: inet, port: 80, observed: allow, reason: r}\n",
    )
    .unwrap();
    assert_eq!(
        report_of(&suite, run, Some(baseline)).summary.totals.failed,
        1
    );
    assert!(
        Baseline::parse("# nothing yet\n")
            .unwrap()
            .entries
            .is_empty()
    );
    assert!(Baseline::parse("- {suite: s}\n").is_err());
}

#[test]
fn compare_shows_exactly_the_edited_cell_and_survives_json() {
    let suite = tiny_suite();
    let cells = vec![
        cell("client", "meta", Reach::Deny, DENIED, &[]),
        cell("client", "inet", Reach::Allow, ALLOWED, &[]),
    ];
    let a = report_of(&suite, run_of(cells.clone()), None);
    let a = ConformanceReport::from_json(&serde_json::to_string(&a).unwrap()).unwrap();
    let same = compare(("a", &a), ("a", &a));
    assert!(same.is_identical());
    assert_eq!(same.identical, 2);

    let mut edited = cells;
    edited[1].observed = DENIED;
    let b = report_of(&suite, run_of(edited), None);
    let diff = compare(("a", &a), ("b", &b));
    assert!(!diff.is_identical());
    assert_eq!(diff.identical, 1);
    assert_eq!(diff.differences.len(), 1);
    let only = &diff.differences[0];
    assert_eq!(
        (only.suite.as_str(), only.phase.as_str(), only.cell.as_str()),
        ("s", "p", "client->inet:80")
    );
    assert_eq!(only.a.as_ref().unwrap().status, Status::Pass);
    assert_eq!(only.b.as_ref().unwrap().status, Status::Fail);

    // A cell only one report has is a difference too.
    let mut shorter = a.clone();
    shorter.suites[0].phases[0].cells.pop();
    let missing = compare(("a", &a), ("b", &shorter));
    assert_eq!(missing.differences.len(), 1);
    assert!(missing.differences[0].b.is_none());
}

/// Issue 13: every differing cell says why — the switch and what each plugin chose, the plugin whose baseline
/// explains it, or unexplained (a netreach bug candidate) — and the classification survives the JSON document.
#[test]
fn compare_classifies_each_difference() {
    let suite = tiny_suite();
    let pod_ips = &["ipblock-matches-pod-ips"];
    let kube_router = report_under(
        &suite,
        run_of(vec![
            cell("client", "web", Reach::Allow, ALLOWED, pod_ips),
            cell("client", "meta", Reach::Allow, DENIED, &[]),
            cell("client", "inet", Reach::Allow, ALLOWED, &[]),
        ]),
        Some(
            Baseline::parse(
                "- {suite: s, phase: p, from: client, to: meta, port: 80, observed: deny, reason: kube-router#1}\n",
            )
            .unwrap(),
        ),
        Profile::default(),
        Some("kube-router v2.1.0"),
    );
    let cilium_profile = Profile::default().with(ProfileSwitch::IpblockMatchesPodIps, false);
    let cilium = report_under(
        &suite,
        run_of(vec![
            cell("client", "web", Reach::Deny, DENIED, pod_ips),
            cell("client", "meta", Reach::Allow, ALLOWED, &[]),
            cell("client", "inet", Reach::Allow, DENIED, &[]),
        ]),
        None,
        cilium_profile,
        Some("cilium v1.20.2"),
    );
    let diff = compare(("kr.json", &kube_router), ("cilium.json", &cilium));
    let classes: Vec<(&str, &Classification)> = diff
        .differences
        .iter()
        .map(|d| (d.cell.as_str(), &d.classification))
        .collect();
    assert_eq!(
        classes[0],
        (
            "client->web:80",
            &Classification::ImplementationDefined {
                switches: vec!["ipblock-matches-pod-ips".into()],
                a_chose: Some(true),
                b_chose: Some(false),
            }
        )
    );
    match classes[1] {
        ("client->meta:80", Classification::PluginDeviation { deviations }) => {
            assert_eq!(deviations.len(), 1);
            assert_eq!(deviations[0].side, "a");
            assert_eq!(deviations[0].plugin, "kube-router v2.1.0");
            assert_eq!(deviations[0].evidence, "kube-router#1");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        classes[2],
        (
            "client->inet:80",
            &Classification::Unexplained {
                reason: "B fails with no baseline entry".into()
            }
        )
    );
    assert_eq!(diff.classes["implementation-defined"], 1);
    let json = serde_json::to_value(&diff).unwrap();
    assert_eq!(json["schema"], "netreach.compare/v1");
    assert_eq!(json["a"]["plugin"], "kube-router v2.1.0");
    assert_eq!(json["differences"][0]["class"], "implementation_defined");
    assert_eq!(json["differences"][0]["b_chose"], false);
    assert_eq!(json["differences"][1]["class"], "plugin_deviation");
    assert_eq!(json["differences"][2]["class"], "unexplained");
}

#[test]
fn reports_of_another_schema_are_refused() {
    assert!(
        ConformanceReport::from_json(r#"{"schema": "netreach.run/v1"}"#)
            .unwrap_err()
            .contains("netreach.run/v1")
    );
    assert!(ConformanceReport::from_json("{}").is_err());
}

/// Issue 11, acceptance 4: on a cluster without outside addresses every battery suite still loads; the outside
/// destinations are unavailable with the reason, so a run skips (and counts) their cells instead of exiting 2.
#[test]
fn the_battery_loads_without_outside_addresses_and_skips_those_cells() {
    let dir = repo_root().join("suites/conformance");
    let mut unavailable = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let suite = load_suite_with_env(&path, &|_| None).unwrap_or_else(|e| panic!("{e}"));
        for destination in &suite.destinations {
            if let Some(reason) = destination.skip_reason() {
                assert!(
                    reason.contains("is not set"),
                    "{}: {reason}",
                    destination.name
                );
                unavailable += 1;
            }
        }
    }
    // Ten outside destinations across the battery, and the IPv6 one.
    assert_eq!(unavailable, 11);
}
