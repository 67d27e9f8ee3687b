//! Snapshots of the rendered truth table for a passing and a failing phase.

use netreach_core::cell::{CellKey, CellResult, DenyKind, Observation, Reach};
use netreach_core::results::PhaseResult;
use netreach_report::truth_table::write_phase;

fn cell(from: &str, to: &str, expected: Reach, observed: Observation) -> CellResult {
    CellResult {
        key: CellKey {
            from: from.into(),
            to: to.into(),
            port: if to == "metadata" { 32000 } else { 8080 },
        },
        from_node: Some("node1".into()),
        to_node: Some("node1".into()),
        url: format!(
            "http://10.0.0.9:{}/",
            if to == "metadata" { 32000 } else { 8080 }
        ),
        expected: Some(expected),
        observed,
        attempts: 3,
        settled_after: None,
        implementation_defined: Vec::new(),
        explanation: None,
        oracle: None,
        reproduce: String::new(),
    }
}

fn render(phase: &PhaseResult) -> String {
    let mut out = Vec::new();
    write_phase(&mut out, 1, phase).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn wrong_and_error_cells_are_marked_and_listed() {
    let denied = Observation::Denied {
        kind: DenyKind::Timeout,
        curl_exit: 28,
    };
    let allowed = Observation::Allowed { http_status: 200 };
    let phase = PhaseResult {
        name: "metadata-deny".into(),
        policies: vec!["metadata-access/metadata-deny".into()],
        cells: vec![
            cell("pod1", "metadata", Reach::Deny, denied.clone()),
            cell("pod1", "web", Reach::Allow, allowed.clone()),
            cell("pod2", "metadata", Reach::Deny, allowed.clone()),
            cell(
                "pod2",
                "web",
                Reach::Allow,
                Observation::Error {
                    message: "exec failed".into(),
                },
            ),
        ],
        probe_millis: 2100,
    };
    let mut phase = phase;
    phase.cells[2].explanation = Some("egress of ns/pod2: not isolated\ningress: none".into());
    let mut cilium_like = cell("pod1", "web", Reach::Allow, denied.clone());
    cilium_like.key.from = "pod3".into();
    cilium_like.oracle = Some(Reach::Allow);
    cilium_like.implementation_defined = vec!["ipblock-matches-pod-ips".into()];
    phase.cells.push(cilium_like);
    let text = render(&phase);
    insta::assert_snapshot!(text);
    assert!(text.contains("\u{2717} ./X"));
    assert!(text.contains("2 passed, 1 failed, 1 errors, 1 implementation-defined"));
    assert!(text.contains("IMPLEMENTATION-DEFINED (ipblock-matches-pod-ips) pod3->web:8080"));
    assert!(text.contains("      egress of ns/pod2: not isolated"));
}
