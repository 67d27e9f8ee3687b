//! Outside sources in a suite (`sources:`): loading, one-line errors naming file and field, their rows in the matrix,
//! and their cells in the plan (source kind `outside`, skipped with the reason when the environment lacks them).

mod suite_support;

use std::path::PathBuf;

use netreach_core::cell::{Reach, SourceKind};
use netreach_core::matrix::{Layout, cell_keys, phase_cells};
use netreach_core::plan::{plan_suite, resolved_policies, synthetic_deployment};
use netreach_core::suite::{OutsideSourceState, load_suite_for_planning, load_suite_with_env};
use suite_support::*;

fn battery() -> PathBuf {
    repo_root().join("suites/conformance/external-source.yaml")
}

fn local_env(name: &str) -> Option<String> {
    match name {
        "NETREACH_OUTSIDE_SOURCE" => Some("10.251.0.30".into()),
        "NETREACH_OUTSIDE_AGENT" => Some("http://10.251.0.30:8081".into()),
        _ => None,
    }
}

/// A copy of the battery suite (and its manifests) with `edit` applied to the suite file; the loading error.
fn load_error(edit: impl Fn(String) -> String) -> String {
    let dir = tempfile::tempdir().unwrap();
    let source = battery();
    let root = source.parent().unwrap();
    let manifests = dir.path().join("manifests/external-source");
    std::fs::create_dir_all(&manifests).unwrap();
    for entry in std::fs::read_dir(root.join("manifests/external-source")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), manifests.join(entry.file_name())).unwrap();
    }
    let suite = dir.path().join("external-source.yaml");
    std::fs::write(&suite, edit(std::fs::read_to_string(&source).unwrap())).unwrap();
    let error = one_line_load_error(&suite, &local_env);
    assert!(error.contains("external-source.yaml: "), "{error}");
    error
}

#[test]
fn the_outside_source_loads_from_the_environment_as_a_row_after_the_pods() {
    let suite = load_suite_with_env(&battery(), &local_env).unwrap();
    assert_eq!(suite.row_names(), ["client", "outside"]);
    let OutsideSourceState::Resolved { address, agent } = &suite.sources[0].state else {
        panic!("resolved: {:?}", suite.sources[0].state)
    };
    assert_eq!(address.to_string(), "10.251.0.30");
    assert_eq!(agent.to_string(), "10.251.0.30:8081");
    let keys: Vec<String> = cell_keys(&suite).iter().map(ToString::to_string).collect();
    assert!(keys.contains(&"outside->exact:8080".to_owned()), "{keys:?}");
    assert!(
        keys.contains(&"outside->exact:8080/udp".to_owned()),
        "{keys:?}"
    );
    assert_eq!(keys.len(), 2 * 7);
}

#[test]
fn without_the_environment_a_run_skips_the_outside_row_with_the_reason() {
    let suite = load_suite_with_env(&battery(), &no_env).unwrap();
    let reason = suite.sources[0].skip_reason().unwrap();
    assert_eq!(
        reason,
        "no outside source on this cluster (environment variable NETREACH_OUTSIDE_SOURCE is not set)"
    );
    // A run's layout places no unavailable source: its cells are skipped with that reason, never judged.
    let deployment = synthetic_deployment(&suite);
    let mut layout = Layout {
        sources: deployment.layout.sources.clone(),
        destinations: deployment.layout.destinations.clone(),
        ..Layout::default()
    };
    layout.place_outside_sources(&suite, false);
    let policies = resolved_policies(&suite.phases[1], &deployment.placeholders);
    let cells = phase_cells(&suite, 1, &layout, &deployment.world, &policies).unwrap();
    let outside: Vec<_> = cells.iter().filter(|c| c.key.from == "outside").collect();
    assert_eq!(outside.len(), 7);
    for cell in outside {
        assert_eq!(cell.skipped.as_deref(), Some(reason));
        assert_eq!(cell.source_kind, SourceKind::Outside);
        assert!(cell.oracle.is_none(), "{cell:?}");
    }
}

#[test]
fn the_plan_judges_outside_cells_by_ip_blocks_only() {
    let suite = load_suite_for_planning(&battery(), &local_env).unwrap();
    let plans = plan_suite(&suite).unwrap();
    let phase = &plans[1];
    let expected = |from: &str, to: &str| {
        let cell = phase
            .cells
            .iter()
            .find(|c| {
                c.from == from && c.to == to && c.protocol == netreach_core::world::Protocol::Tcp
            })
            .unwrap();
        assert!(cell.skipped.is_none(), "{from}->{to}");
        cell.expected.unwrap()
    };
    assert_eq!(expected("outside", "exact"), Reach::Allow);
    assert_eq!(expected("outside", "except"), Reach::Deny);
    assert_eq!(expected("outside", "closed"), Reach::Deny);
    assert_eq!(expected("outside", "pods-only"), Reach::Deny);
    assert_eq!(expected("outside", "open"), Reach::Allow);
    assert_eq!(expected("client", "exact"), Reach::Deny);
    assert_eq!(expected("client", "except"), Reach::Allow);
    assert_eq!(expected("client", "closed"), Reach::Deny);
    assert_eq!(expected("client", "pods-only"), Reach::Allow);
    assert!(
        plans[0]
            .cells
            .iter()
            .all(|c| c.expected == Some(Reach::Allow))
    );
    let cell = phase.cells.iter().find(|c| c.from == "outside").unwrap();
    assert_eq!(cell.source_kind, SourceKind::Outside);
    assert_eq!(cell.source_address.unwrap().to_string(), "10.251.0.30");
    let json = serde_json::to_value(cell).unwrap();
    assert_eq!(json["source_kind"], "outside");
    let pod = phase.cells.iter().find(|c| c.from == "client").unwrap();
    assert_eq!(serde_json::to_value(pod).unwrap()["source_kind"], "pod");
    // Planning without the environment computes with a documentation address, never contacted.
    let suite = load_suite_for_planning(&battery(), &no_env).unwrap();
    assert_eq!(
        suite.sources[0].planned_address().to_string(),
        "203.0.113.1"
    );
    assert!(suite.stand_in_notes()[0].starts_with("source outside: no outside source"));
}

#[test]
fn a_source_address_that_is_no_ip_is_named() {
    let error = load_error(|t| t.replace("\"${NETREACH_OUTSIDE_SOURCE}\"", "outside.example"));
    assert!(
        error.contains("sources[0].address: \"outside.example\" is not an IP address"),
        "{error}"
    );
}

#[test]
fn an_agent_that_is_no_http_url_is_named() {
    let error =
        load_error(|t| t.replace("\"${NETREACH_OUTSIDE_AGENT}\"", "https://10.251.0.30:8081"));
    assert!(error.contains("sources[0].agent: "), "{error}");
    let error = load_error(|t| {
        t.replace(
            "\"${NETREACH_OUTSIDE_AGENT}\"",
            "http://10.251.0.30:8081/dial",
        )
    });
    assert!(
        error.contains("sources[0].agent: \"http://10.251.0.30:8081/dial\" is not an agent URL"),
        "{error}"
    );
}

#[test]
fn a_required_source_with_no_address_is_an_error_for_a_run() {
    let error = load_error(|t| {
        t.replace("    optional: true\n", "")
            .replace("NETREACH_OUTSIDE_SOURCE", "NETREACH_NOT_SET")
    });
    assert!(
        error.contains("sources[0].address: environment variable NETREACH_NOT_SET is not set"),
        "{error}"
    );
}

#[test]
fn a_source_named_like_a_pod_is_rejected() {
    let error = load_error(|t| t.replace("  - name: outside\n", "  - name: client\n"));
    assert!(
        error.contains("sources[0].name: \"client\" is already the name of a pod or source"),
        "{error}"
    );
}

#[test]
fn a_table_without_the_outside_row_is_named() {
    let error = load_error(|t| {
        t.replacen(
            "    expect: oracle\n",
            "    expect: |\n      from exact:8080 exact:8080/udp except closed:8080 closed:8080/udp pods-only open\n      client . . . . . . .\n",
            1,
        )
    });
    assert!(
        error.contains("phases[0].expect: pod \"outside\" has no row"),
        "{error}"
    );
}
