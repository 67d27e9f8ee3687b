//! `netreach explain`: the oracle's reasoning for one cell of one phase, in plain words.

use anyhow::{Context, bail};
use netreach_core::oracle::{Oracle, Traffic};
use netreach_core::plan::{resolved_policies, synthetic_deployment};
use netreach_core::suite::load_suite;
use netreach_core::world::Protocol;

use crate::args::ExplainArgs;

pub fn explain(args: &ExplainArgs) -> anyhow::Result<i32> {
    let suite = load_suite(&args.suite)?;
    let phase = suite
        .phases
        .iter()
        .enumerate()
        .find(|(i, p)| p.name == args.phase || (i + 1).to_string() == args.phase)
        .map(|(_, p)| p)
        .with_context(|| {
            let names: Vec<&str> = suite.phases.iter().map(|p| p.name.as_str()).collect();
            format!(
                "--phase: no phase {:?} (phases: {})",
                args.phase,
                names.join(", ")
            )
        })?;
    let deployment = synthetic_deployment(&suite);
    let Some(route) = deployment
        .routes
        .iter()
        .find(|r| r.key.from == args.from && r.key.to == args.to)
    else {
        if let Some((_, reason)) = deployment
            .skipped
            .iter()
            .find(|(k, _)| k.from == args.from && k.to == args.to)
        {
            bail!("--to: destination {} is unavailable: {reason}", args.to);
        }
        bail!(
            "--from/--to: no cell {} -> {} in suite {}",
            args.from,
            args.to,
            suite.name
        );
    };
    let policies = resolved_policies(phase, &deployment.placeholders);
    let oracle = Oracle::new(&deployment.world, &policies, suite.profile)?;
    let traffic = Traffic {
        from: route.from.clone(),
        to: route.to.clone(),
        port: args.port.unwrap_or(route.key.port),
        protocol: Protocol::Tcp,
    };
    println!(
        "phase {} of suite {} (addresses made up for planning)",
        phase.name, suite.name
    );
    print!("{}", oracle.explain(&traffic)?);
    Ok(0)
}
