//! `netreach plan`: the oracle's expected tables of every phase, as text or JSON, with no cluster.

use netreach_core::plan::{contradictions, plan_suite};
use netreach_report::plan::{PlanDocument, write_plan};

use super::offline::load_for_planning;
use crate::args::PlanArgs;

pub fn plan(args: &PlanArgs) -> anyhow::Result<i32> {
    let suite = load_for_planning(&args.suite, &args.profile)?;
    let plans = plan_suite(&suite)?;
    let contradicted = contradictions(&suite, &plans);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &PlanDocument::new(&suite.name, suite.profile, &plans, contradicted),
        )?;
        println!();
    } else {
        write_plan(&mut out, &suite.name, &plans, &contradicted)?;
    }
    Ok(0)
}
