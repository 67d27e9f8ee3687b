//! Run isolation keeps every suite's meaning: the oracle's verdicts on the renamed world with the renamed manifests
//! equal those on the suite's own names, for every suite of the repository, under run-id renamings and under
//! renamings that permute the suite's own namespace names (a reference left unrenamed would then change a verdict).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netreach_core::isolation::{
    NamespaceMap, rename_cluster_policy, rename_layout, rename_policy, rename_world, run_namespaces,
};
use netreach_core::matrix::phase_cells_layered;
use netreach_core::plan::{resolved_cluster_policies, resolved_policies, synthetic_deployment};
use netreach_core::suite::{Suite, load_suite_with_env};
use proptest::prelude::*;

fn env(name: &str) -> Option<String> {
    (name == "NETREACH_OUTSIDE_ADDRS").then(|| "10.251.0.10 10.251.0.20".to_owned())
}

fn suites() -> Vec<Suite> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites");
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["", "conformance", "cluster-network-policy", "upstream"] {
        let entries = std::fs::read_dir(root.join(dir)).unwrap();
        files.extend(
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml")),
        );
    }
    files.sort();
    assert!(files.len() >= 15, "{} suites", files.len());
    files
        .iter()
        .map(|path| load_suite_with_env(path, &env).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// Per phase, each cell's key, skip reason and oracle verdict (with its switches).
type Verdicts = Vec<Vec<String>>;

fn verdicts(suite: &Suite, map: &NamespaceMap) -> Verdicts {
    let deployment = synthetic_deployment(suite);
    let world = rename_world(&deployment.world, map);
    let layout = rename_layout(&deployment.layout, map);
    (0..suite.phases.len())
        .map(|index| {
            let phase = &suite.phases[index];
            let policies: Vec<_> = resolved_policies(phase, &deployment.placeholders)
                .iter()
                .map(|p| rename_policy(p, map))
                .collect();
            let cluster: Vec<_> = resolved_cluster_policies(phase, &deployment.placeholders)
                .iter()
                .map(|p| rename_cluster_policy(p, map))
                .collect();
            phase_cells_layered(suite, index, &layout, &world, &policies, &cluster)
                .unwrap_or_else(|e| panic!("{}: {e}", suite.name))
                .into_iter()
                .map(|cell| {
                    let oracle = cell
                        .oracle
                        .map(|o| format!("{:?} {:?}", o.expected, o.implementation_defined));
                    format!("{} {:?} {oracle:?}", cell.key, cell.skipped)
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_suite_means_the_same_in_a_runs_namespaces() {
    for suite in suites() {
        let original = verdicts(&suite, &NamespaceMap::new());
        for run_id in ["abcd1234", "00000000"] {
            let map = run_namespaces(&suite, run_id).unwrap();
            assert!(map.values().all(|ns| ns.ends_with(run_id)));
            assert_eq!(verdicts(&suite, &map), original, "{} {run_id}", suite.name);
        }
    }
}

/// The suites whose verdicts depend on which namespace is which (so a permutation is a real test).
fn multi_namespace_suites() -> Vec<Suite> {
    suites()
        .into_iter()
        .filter(|s| s.namespaces.len() >= 2)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn permuting_the_suites_own_namespace_names_keeps_every_verdict(
        seed in any::<u64>(),
        suffix in prop_oneof![Just(String::new()), "-[a-z0-9]{1,8}"],
    ) {
        let suites = multi_namespace_suites();
        prop_assert!(!suites.is_empty());
        let suite = &suites[(seed % suites.len() as u64) as usize];
        let names: Vec<String> = suite.namespaces.iter().map(|n| n.name.clone()).collect();
        let mut shuffled = names.clone();
        // A rotation by a seed-chosen step: a permutation with no fixed point when the step is not 0.
        let step = 1 + (seed / 7) as usize % (names.len() - 1);
        shuffled.rotate_left(step);
        let map: BTreeMap<String, String> = names
            .into_iter()
            .zip(shuffled.into_iter().map(|n| format!("{n}{suffix}")))
            .collect();
        let original = verdicts(suite, &NamespaceMap::new());
        prop_assert_eq!(verdicts(suite, &map), original, "{} {:?}", suite.name, map);
    }
}
