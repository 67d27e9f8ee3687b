//! What `netreach conformance` says the cluster chose on each implementation-defined point (terminal summary and
//! Markdown), from the cells that show it.

use netreach_core::cell::Reach;
use netreach_core::conformance::{Choice, ChoiceCell, ConformanceReport, Summary};
use netreach_report::conformance::{markdown, summary_text};

fn cell(name: &str, observed: &str, chose: Option<bool>) -> ChoiceCell {
    ChoiceCell {
        suite: "self".into(),
        phase: "isolated-deny-all".into(),
        cell: name.into(),
        profile_expected: Some(Reach::Allow),
        observed: observed.into(),
        chose,
    }
}

fn report(cells: Vec<ChoiceCell>) -> ConformanceReport {
    let chosen: std::collections::BTreeSet<bool> = cells.iter().filter_map(|c| c.chose).collect();
    ConformanceReport {
        schema: "netreach.conformance/v1".into(),
        netreach_version: "0".into(),
        cluster: None,
        provenance: None,
        plugin: None,
        tags: vec!["self".into()],
        profile_name: None,
        profile_overrides: None,
        baseline: None,
        summary: Summary::default(),
        suites: Vec::new(),
        failures: Vec::new(),
        implementation_defined: vec![Choice {
            switch: "policy-applies-to-self-traffic".into(),
            profile: false,
            observed: (chosen.len() == 1).then(|| chosen.into_iter().next().unwrap_or(false)),
            note: "whether policies restrict a pod's traffic to itself".into(),
            cells,
        }],
    }
}

/// Issue 12, acceptance 4: the report says what the cluster chose for policy-applies-to-self-traffic — one value when
/// every cell agrees, and, when a plugin polices a pod's traffic to itself on one path (through a Service: kube-router)
/// but not on the other (its own IP), both, with how many cells went each way; never "mixed / not observed", which
/// could not tell that from no cell probed at all.
#[test]
fn the_summary_says_what_the_cluster_chose_on_each_point_including_both_ways() {
    let agreed = report(vec![
        cell("isolated->self:8080", ".", Some(false)),
        cell("isolated->self:8080/udp", ".", Some(false)),
    ]);
    assert!(
        summary_text(&agreed).contains(
            "implementation-defined policy-applies-to-self-traffic: cluster chose false (profile false; as the \
             profile assumes; 2 cells)"
        ),
        "{}",
        summary_text(&agreed)
    );
    let both = report(vec![
        cell("isolated->self:8080", ".", Some(false)),
        cell("isolated->self:8080/udp", ".", Some(false)),
        cell("isolated->self-svc:8080", "X", Some(true)),
    ]);
    let text = summary_text(&both);
    assert!(
        text.contains(
            "policy-applies-to-self-traffic: cluster chose both: false on 2 cells, true on 1 cell (profile false; \
             undetermined; 3 cells)"
        ),
        "{text}"
    );
    assert!(
        markdown(&both).contains(
            "| policy-applies-to-self-traffic | false | both: false on 2 cells, true on 1 cell | 3 |"
        ),
        "{}",
        markdown(&both)
    );
    let unseen = report(vec![cell("isolated->self:8080", "!", None)]);
    assert!(
        summary_text(&unseen)
            .contains("cluster chose not observed (profile false; undetermined; 1 cells)"),
        "{}",
        summary_text(&unseen)
    );
}
