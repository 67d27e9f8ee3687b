//! The terminal truth table of a phase: rows are sources, columns destinations, wrong cells marked and listed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use netreach_core::cell::{CellResult, CellStatus, DenyKind, Observation};
use netreach_core::results::PhaseResult;

use crate::grid::{column_label, grid, ordered_unique, policies_label};

/// Writes the phase heading, its table, the details of every cell that is not a pass, and the phase tally.
pub fn write_phase<W: Write>(out: &mut W, index: usize, phase: &PhaseResult) -> io::Result<()> {
    let policies = policies_label(&phase.policies);
    writeln!(
        out,
        "phase {} {} (policies: {policies})",
        index + 1,
        phase.name
    )?;
    writeln!(out, "{}", table(phase))?;
    writeln!(
        out,
        "  . allowed  X denied  ! error  - skipped  \u{2717} differs from expected, ~ differs on an implementation-defined point (observed/expected)"
    )?;
    for cell in phase
        .cells
        .iter()
        .filter(|c| c.status() != CellStatus::Pass)
    {
        writeln!(out, "  {}", describe(cell))?;
        if matches!(
            cell.status(),
            CellStatus::Fail | CellStatus::ImplementationDefined
        ) {
            for line in cell.explanation.iter().flat_map(|e| e.lines()) {
                writeln!(out, "      {line}")?;
            }
        }
    }
    let tally = phase.tally();
    writeln!(
        out,
        "  phase {}: {tally} in {:.1}s",
        phase.name,
        phase.probe_duration().as_secs_f64()
    )?;
    Ok(())
}

fn table(phase: &PhaseResult) -> String {
    let columns = ordered_unique(phase.cells.iter().map(|c| (c.key.to.clone(), c.key.port)));
    let rows = ordered_unique(
        phase
            .cells
            .iter()
            .map(|c| (c.key.from.clone(), c.from_node.clone())),
    );
    let nodes = ordered_unique(phase.cells.iter().filter_map(|c| c.from_node.clone()));
    let by_key: BTreeMap<(&str, &str), &CellResult> = phase
        .cells
        .iter()
        .map(|c| ((c.key.from.as_str(), c.key.to.as_str()), c))
        .collect();
    let row_labels: Vec<String> = rows
        .iter()
        .map(|(from, node)| match node {
            Some(node) if nodes.len() > 1 => format!("{from} ({node})"),
            _ => from.clone(),
        })
        .collect();
    let column_labels: Vec<String> = columns
        .iter()
        .map(|(to, port)| column_label(to, *port))
        .collect();
    grid(&row_labels, &column_labels, |r, c| {
        by_key
            .get(&(rows[r].0.as_str(), columns[c].0.as_str()))
            .map(|cell| symbol(cell))
            .unwrap_or_default()
    })
}

/// `.`/`X`/`!`/`-`, or `✗ observed/expected` for a wrong cell (`~` for an implementation-defined difference).
pub fn symbol(cell: &CellResult) -> String {
    match (cell.status(), cell.expected) {
        (CellStatus::Fail, Some(expected)) => {
            format!("\u{2717} {}/{}", cell.observed.symbol(), expected.symbol())
        }
        (CellStatus::ImplementationDefined, Some(expected)) => {
            format!("~ {}/{}", cell.observed.symbol(), expected.symbol())
        }
        _ => cell.observed.symbol().to_owned(),
    }
}

/// One line about a cell that did not pass.
pub fn describe(cell: &CellResult) -> String {
    let expected = cell
        .expected
        .map(|e| format!("{e:?}").to_lowercase())
        .unwrap_or_else(|| "-".into());
    let nodes = match (&cell.from_node, &cell.to_node) {
        (Some(a), Some(b)) => format!(" [{a} -> {b}]"),
        (Some(a), None) => format!(" [{a} -> outside]"),
        _ => String::new(),
    };
    let verdict = match cell.status() {
        CellStatus::ImplementationDefined => {
            format!(
                "IMPLEMENTATION-DEFINED ({})",
                cell.implementation_defined.join(", ")
            )
        }
        _ => "FAIL".to_owned(),
    };
    let (key, url, attempts) = (&cell.key, &cell.url, cell.attempts);
    match &cell.observed {
        Observation::Allowed { http_status } => format!(
            "{verdict} {key}{nodes}: expected {expected}, connected (HTTP {http_status}) to {url} after {attempts} attempts"
        ),
        Observation::Denied { kind, curl_exit } => {
            let kind = match kind {
                DenyKind::Timeout => "timeout",
                DenyKind::Refused => "refused",
            };
            format!(
                "{verdict} {key}{nodes}: expected {expected}, denied ({kind}, curl exit {curl_exit}) to {url} after {attempts} attempts"
            )
        }
        Observation::Error { message } => format!("ERROR {key}{nodes}: {message}"),
        Observation::Skipped { reason } => format!("SKIP {key}: {reason}"),
    }
}
