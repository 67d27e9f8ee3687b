//! Rendering of `netreach plan` (expected tables with no cluster) and `netreach explain`.

use std::io::{self, Write};

use netreach_core::cell::SourceKind;
use netreach_core::oracle::Profile;
use netreach_core::plan::PhasePlan;
use serde::Serialize;

use crate::grid::{column_label, grid, ordered_unique, policies_label};

/// Expected tables, `*` marking implementation-defined cells, then the contradictions with hand-written tables
/// (`netreach_core::plan::contradictions`).
pub fn write_plan<W: Write>(
    out: &mut W,
    suite: &str,
    plans: &[PhasePlan],
    contradicted: &[String],
) -> io::Result<()> {
    writeln!(
        out,
        "plan for suite {suite} (computed by the oracle; no cluster contacted)"
    )?;
    for (index, phase) in plans.iter().enumerate() {
        let policies = policies_label(&phase.policies);
        writeln!(
            out,
            "\nphase {} {} (policies: {policies}; expectation: {})",
            index + 1,
            phase.name,
            phase.expectation
        )?;
        let rows = ordered_unique(phase.cells.iter().map(|c| c.from.clone()));
        let columns = ordered_unique(
            phase
                .cells
                .iter()
                .map(|c| (c.to.clone(), c.port, c.protocol)),
        );
        let labels: Vec<String> = columns
            .iter()
            .map(|(to, port, protocol)| column_label(to, *port, *protocol))
            .collect();
        let table = grid(&rows, &labels, |r, c| {
            let cell = phase.cells.iter().find(|cell| {
                cell.from == rows[r]
                    && (&cell.to, cell.port, cell.protocol)
                        == (&columns[c].0, columns[c].1, columns[c].2)
            });
            match cell {
                Some(cell) if cell.skipped.is_some() => "-".to_owned(),
                Some(cell) => {
                    let symbol = cell.expected.map(|e| e.symbol()).unwrap_or("?");
                    if cell.implementation_defined {
                        format!("{symbol}*")
                    } else {
                        symbol.to_owned()
                    }
                }
                None => String::new(),
            }
        });
        writeln!(out, "{table}")?;
    }
    writeln!(
        out,
        "  . allowed  X denied  - skipped  * implementation-defined (depends on the profile)"
    )?;
    let outside = plans
        .iter()
        .flat_map(|p| &p.cells)
        .filter(|c| c.source_kind == SourceKind::Outside)
        .map(|c| match c.source_address {
            Some(address) => format!("{} is an outside source at {address} (no pod)", c.from),
            None => format!("{} is an outside source (no pod)", c.from),
        });
    for line in ordered_unique(outside) {
        writeln!(out, "  {line}")?;
    }
    if !contradicted.is_empty() {
        writeln!(out, "\nthe hand-written tables contradict the oracle:")?;
        for line in contradicted {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

/// The stable JSON document of `netreach plan --json` (schema in the README).
#[derive(Debug, Serialize)]
pub struct PlanDocument<'a> {
    pub schema: &'static str,
    pub suite: &'a str,
    pub profile: Profile,
    pub phases: &'a [PhasePlan],
    pub contradictions: Vec<String>,
}

impl<'a> PlanDocument<'a> {
    pub const SCHEMA: &'static str = "netreach.plan/v1";

    pub fn new(
        suite: &'a str,
        profile: Profile,
        phases: &'a [PhasePlan],
        contradictions: Vec<String>,
    ) -> Self {
        Self {
            schema: Self::SCHEMA,
            suite,
            profile,
            phases,
            contradictions,
        }
    }
}

/// The warning's lines (heading first), printed by `validate` and `run`, when hand-written cells contradict the
/// oracle; none when nothing does.
pub fn contradiction_warning(contradicted: &[String]) -> Vec<String> {
    if contradicted.is_empty() {
        return Vec::new();
    }
    std::iter::once(
        "warning: the suite's hand-written tables contradict the oracle (see `netreach plan`):"
            .to_owned(),
    )
    .chain(contradicted.iter().map(|line| format!("  {line}")))
    .collect()
}
