//! suites/upstream/ without a cluster: upstream's e2e netpol scenarios load, each tables suite has an `expect:
//! oracle` twin with the same phases, the oracle agrees with every cell of upstream's tables, and the kube-router
//! baseline of scripts/peers names only deviating cells.

mod suite_support;

use std::path::PathBuf;

use netreach_core::plan::{contradictions, plan_suite};
use netreach_core::suite::{Expectation, Suite};
use suite_support::*;

/// `suites/upstream/<name>.yaml`, loaded with no environment.
fn upstream_suite(name: &str) -> Suite {
    load(&format!("suites/upstream/{name}.yaml"), &no_env)
}

fn policy_files(suite: &Suite) -> Vec<(String, Vec<PathBuf>)> {
    suite
        .phases
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.policies.iter().map(|m| m.path.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn each_tables_suite_has_an_oracle_twin_with_the_same_phases() {
    let mut phases = 0;
    for port in [80, 81] {
        let tables = upstream_suite(&format!("upstream-{port}-tables"));
        let oracle = upstream_suite(&format!("upstream-{port}"));
        assert_eq!(policy_files(&tables), policy_files(&oracle), "port {port}");
        assert!(
            tables
                .phases
                .iter()
                .all(|p| matches!(p.expectation, Expectation::Table(_)))
        );
        assert!(
            oracle
                .phases
                .iter()
                .all(|p| p.expectation == Expectation::Oracle)
        );
        assert_eq!((tables.pods.len(), tables.destinations.len()), (9, 9));
        phases += tables.phases.len();
    }
    // 42 upstream tests, 55 validated steps (tests probing both ports, or policies changing, have several).
    assert_eq!(phases, 55);
}

#[test]
fn the_oracle_agrees_with_every_cell_of_upstreams_tables() {
    for port in [80, 81] {
        let suite = upstream_suite(&format!("upstream-{port}-tables"));
        let plans = plan_suite(&suite).unwrap();
        assert_eq!(
            contradictions(&suite, &plans),
            Vec::<String>::new(),
            "port {port}"
        );
        let mut denied = 0;
        for plan in &plans {
            for cell in &plan.cells {
                // Implementation-defined cells (contradictions leave them out) agree under the default profile too;
                // the only switch they depend on is whether ipBlocks match pod IPs (upstream assumes they do).
                assert_eq!(
                    cell.expected, cell.table,
                    "{}: {}->{}",
                    plan.name, cell.from, cell.to
                );
                if cell.implementation_defined {
                    assert!(
                        plan.name.contains("cidr") || plan.name.contains("ipblock"),
                        "{}",
                        plan.name
                    );
                }
                denied += usize::from(cell.expected == Some(netreach_core::cell::Reach::Deny));
            }
        }
        assert!(denied > 100, "port {port}: only {denied} denied cells");
    }
}

/// scripts/peers runs these suites with `--baseline suites/upstream/baselines/kube-router.yaml`: each entry must name
/// a cell of a phase of one of them, observed otherwise than the oracle (and upstream's table) expects, so that the
/// baseline can only shorten the wait on a real deviation, never excuse a cell that is right.
#[test]
fn the_kube_router_baseline_names_deviating_cells_of_these_suites() {
    use netreach_core::baseline::Baseline;
    let path = repo_root().join("suites/upstream/baselines/kube-router.yaml");
    let baseline = Baseline::load(&path).unwrap();
    assert_eq!(baseline.entries.len(), 6);
    for entry in &baseline.entries {
        let suite = upstream_suite(&entry.suite);
        let plans = plan_suite(&suite).unwrap();
        let plan = plans.iter().find(|p| p.name == entry.phase);
        let plan = plan.unwrap_or_else(|| panic!("{}: no such phase", entry.label()));
        let cell = plan
            .cells
            .iter()
            .find(|c| c.from == entry.from && c.to == entry.to && c.port == entry.port)
            .unwrap_or_else(|| panic!("{}: no such cell", entry.label()));
        assert!(
            cell.expected.is_some_and(|e| e != entry.observed),
            "{}",
            entry.label()
        );
        assert!(
            cell.table.is_none_or(|t| t != entry.observed),
            "{}",
            entry.label()
        );
    }
}
