//! `netreach validate`: load a suite and its manifests with no cluster, reporting the first problem, and warn where
//! its hand-written tables contradict the oracle (as `plan` and `run` do).

use netreach_core::plan::{contradictions, plan_suite};
use netreach_report::plan::contradiction_warning;

use super::offline::load_for_planning;
use crate::args::ValidateArgs;

pub fn validate(args: &ValidateArgs) -> anyhow::Result<i32> {
    let path = &args.suite;
    let suite = load_for_planning(path, &args.profile)?;
    let plans = plan_suite(&suite)?;
    for line in contradiction_warning(&contradictions(&suite, &plans)) {
        eprintln!("{line}");
    }
    let cells: usize = suite.pods.len() * suite.columns().len();
    println!(
        "{}: suite {} is valid: {} pods, {} destinations, {} phases, {} cells per phase",
        path.display(),
        suite.name,
        suite.pods.len(),
        suite.destinations.len(),
        suite.phases.len(),
        cells
    );
    Ok(0)
}
