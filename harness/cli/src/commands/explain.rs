//! `netreach explain`: the oracle's reasoning for one cell of one phase, in plain words.

use anyhow::{Context, bail};
use netreach_core::matrix::phase_cells_layered;
use netreach_core::oracle::{Oracle, Source, Traffic};
use netreach_core::plan::{resolved_cluster_policies, resolved_policies, synthetic_deployment};
use netreach_core::world::Protocol;

use super::offline::load_for_planning;
use crate::args::ExplainArgs;

pub fn explain(args: &ExplainArgs) -> anyhow::Result<i32> {
    let suite = load_for_planning(&args.suite, &args.profile)?;
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
    // An outside source or destination with no address is planned at its made-up stand-in, so every cell has a
    // route here.
    let no_cell = || {
        anyhow::anyhow!(
            "--from/--to: no cell {} -> {} in suite {}",
            args.from,
            args.to,
            suite.name
        )
    };
    let from: Source = match deployment.layout.sources.get(&args.from) {
        Some(pod) => pod.pod.clone().into(),
        None => deployment
            .layout
            .outside
            .get(&args.from)
            .map(|ip| Source::Address(*ip))
            .ok_or_else(no_cell)?,
    };
    // The source pod itself (`self`, or a Service in front of it) has no endpoint of its own: its cells do.
    let of_each_source = suite
        .destinations
        .iter()
        .any(|d| d.name == args.to && d.of_each_source());
    let to = deployment.layout.destinations.get(&args.to);
    if to.is_none() && !of_each_source {
        return Err(no_cell());
    }
    let policies = resolved_policies(phase, &deployment.placeholders);
    let cluster = resolved_cluster_policies(phase, &deployment.placeholders);
    let heading = format!(
        "phase {} of suite {} (addresses made up for planning)",
        phase.name, suite.name
    );
    if of_each_source || to.is_some_and(|to| to.service.is_some()) {
        // Through a Service (and, by name, DNS first), or to itself: the matrix's cell says all of it.
        let index = suite.phases.iter().position(|p| p.name == phase.name);
        let cells = phase_cells_layered(
            &suite,
            index.unwrap_or_default(),
            &deployment.layout,
            &deployment.world,
            &policies,
            &cluster,
        )?;
        let cell = cells.into_iter().find(|c| {
            c.key.from == args.from
                && c.key.to == args.to
                && args.port.is_none_or(|port| port == c.key.port)
        });
        if let Some(oracle) = cell.and_then(|c| c.oracle) {
            println!("{heading}\n{}", oracle.explanation);
            return Ok(0);
        }
    }
    let Some(to) = to else {
        bail!(
            "--port: no cell {} -> {} on port {} in suite {}",
            args.from,
            args.to,
            args.port.unwrap_or_default(),
            suite.name
        );
    };
    let oracle = Oracle::layered(&deployment.world, &policies, &cluster, suite.profile)?;
    let traffic = Traffic {
        from,
        to: to.target.clone(),
        port: args.port.unwrap_or(to.port),
        protocol: Protocol::Tcp,
    };
    print!("{heading}\n{}", oracle.explain(&traffic)?);
    Ok(0)
}
