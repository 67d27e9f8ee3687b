//! The terminal truth table of a phase: rows are sources, columns destinations, wrong cells marked and listed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use netreach_core::cell::{CellResult, CellStatus, Observation};
use netreach_core::results::PhaseResult;
use tabled::builder::Builder;
use tabled::settings::Style;

/// Writes the phase heading, its table, the details of every cell that is not a pass, and the phase tally.
pub fn write_phase<W: Write>(out: &mut W, index: usize, phase: &PhaseResult) -> io::Result<()> {
    let policies = if phase.policies.is_empty() {
        "none".to_owned()
    } else {
        phase.policies.join(", ")
    };
    writeln!(
        out,
        "phase {} {} (policies: {policies})",
        index + 1,
        phase.name
    )?;
    writeln!(out, "{}", table(phase))?;
    writeln!(
        out,
        "  . allowed  X denied  ! error  - skipped  \u{2717} differs from expected (shown as observed/expected)"
    )?;
    for cell in phase
        .cells
        .iter()
        .filter(|c| c.status() != CellStatus::Pass)
    {
        writeln!(out, "  {}", describe(cell))?;
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
    let mut columns: Vec<(String, u16)> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    let mut by_key: BTreeMap<(&str, &str), &CellResult> = BTreeMap::new();
    for cell in &phase.cells {
        if !columns.iter().any(|(to, _)| *to == cell.key.to) {
            columns.push((cell.key.to.clone(), cell.key.port));
        }
        if !rows.contains(&cell.key.from) {
            rows.push(cell.key.from.clone());
        }
        by_key.insert((cell.key.from.as_str(), cell.key.to.as_str()), cell);
    }
    let multi_node = phase
        .cells
        .iter()
        .filter_map(|c| c.from_node.as_ref())
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        > 1;
    let mut builder = Builder::default();
    let mut header = vec!["from \\ to".to_owned()];
    header.extend(columns.iter().map(|(to, port)| {
        if *port == 0 {
            to.clone()
        } else {
            format!("{to}:{port}")
        }
    }));
    builder.push_record(header);
    for from in &rows {
        let mut record = vec![from.clone()];
        if let Some(node) = by_key
            .values()
            .find(|c| &c.key.from == from)
            .and_then(|c| c.from_node.clone())
            .filter(|_| multi_node)
        {
            record[0] = format!("{from} ({node})");
        }
        for (to, _) in &columns {
            record.push(
                by_key
                    .get(&(from.as_str(), to.as_str()))
                    .map(|c| symbol(c))
                    .unwrap_or_default(),
            );
        }
        builder.push_record(record);
    }
    builder.build().with(Style::sharp()).to_string()
}

/// `.`/`X`/`!`/`-`, or `✗ observed/expected` for a wrong cell.
pub fn symbol(cell: &CellResult) -> String {
    match (cell.status(), cell.expected) {
        (CellStatus::Fail, Some(expected)) => {
            format!("\u{2717} {}/{}", cell.observed.symbol(), expected.symbol())
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
    match &cell.observed {
        Observation::Allowed { http_status } => format!(
            "FAIL {}{nodes}: expected {expected}, connected (HTTP {http_status}) to {} after {} attempts",
            cell.key, cell.url, cell.attempts
        ),
        Observation::Denied { kind, curl_exit } => format!(
            "FAIL {}{nodes}: expected {expected}, denied ({kind:?}, curl exit {curl_exit}) to {} after {} attempts",
            cell.key, cell.url, cell.attempts
        )
        .replace("Timeout", "timeout")
        .replace("Refused", "refused"),
        Observation::Error { message } => format!("ERROR {}{nodes}: {message}", cell.key),
        Observation::Skipped { reason } => format!("SKIP {}: {reason}", cell.key),
    }
}
