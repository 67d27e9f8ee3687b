//! The terminal views of `netreach run` with baseline verdicts and optional colours: `compact` (one table, wrong
//! cells as `✗ observed/expected`) and `diff` (expected, observed and their difference side by side).

use std::io::{self, Write};

use netreach_core::cell::{CellResult, DenyKind, Observation};
use netreach_core::results::PhaseResult;

use netreach_core::verdict::Verdict;

use crate::assess::{Assessment, StaleEntry, Summary};
use crate::grid::{column_label, grid, ordered_unique, policies_label};
use crate::style::{Palette, visible_width};

/// Which terminal view `netreach run` prints per phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    /// One table; a wrong cell reads `✗ observed/expected`.
    #[default]
    Compact,
    /// Expected, observed and diff tables side by side, stacked when that would be wider than `max_width`.
    Diff { max_width: usize },
}

const COMPACT_LEGEND: &str = "  . allowed  X denied  ! error  - skipped  \u{2717} differs from expected, k known (baseline), ~ differs on an implementation-defined point (observed/expected)";
const DIFF_LEGEND: &str = "  expected/observed: . allowed  X denied  ! error  - skipped;  diff: . as expected  X differs  k known (baseline)  ~ implementation-defined  ! error  - skipped";

/// Writes one phase in the chosen view: heading, table(s), the cells that did not pass, and the phase's summary.
pub fn write_phase<W: Write>(
    out: &mut W,
    view: View,
    index: usize,
    phase: &PhaseResult,
    verdicts: &[Verdict],
    palette: Palette,
) -> io::Result<()> {
    let policies = policies_label(&phase.policies);
    writeln!(
        out,
        "phase {} {} (policies: {policies})",
        index + 1,
        phase.name
    )?;
    match view {
        View::Compact => {
            writeln!(
                out,
                "{}",
                table(phase, |i| palette.verdict(
                    &verdicts[i],
                    &compact_symbol(&phase.cells[i], &verdicts[i])
                ))
            )?;
            writeln!(out, "{COMPACT_LEGEND}")?;
        }
        View::Diff { max_width } => {
            let expected = table(phase, |i| expected_symbol(&phase.cells[i]).to_owned());
            let observed = table(phase, |i| {
                palette.verdict(&verdicts[i], phase.cells[i].observed.symbol())
            });
            let diff = table(phase, |i| {
                palette.verdict(&verdicts[i], diff_symbol(&verdicts[i]))
            });
            write_side_by_side(
                out,
                &[
                    ("expected", &expected),
                    ("observed", &observed),
                    ("diff", &diff),
                ],
                max_width,
            )?;
            writeln!(out, "{DIFF_LEGEND}")?;
        }
    }
    for (cell, verdict) in phase.cells.iter().zip(verdicts) {
        if *verdict == Verdict::Pass && cell.first_probe_after.is_none() {
            continue;
        }
        writeln!(
            out,
            "  {}",
            palette.verdict(verdict, &describe(cell, verdict))
        )?;
        if verdict.is_wrong() {
            for line in cell.explanation.iter().flat_map(|e| e.lines()) {
                writeln!(out, "      {line}")?;
            }
        }
    }
    writeln!(
        out,
        "  phase {}: {} in {:.1}s",
        phase.name,
        Summary::of(verdicts.iter()),
        phase.probe_duration().as_secs_f64()
    )?;
    Ok(())
}

/// The baseline entries that no longer deviate, one line each (nothing when there are none).
pub fn write_stale<W: Write + ?Sized>(
    out: &mut W,
    assessment: &Assessment,
    palette: Palette,
) -> io::Result<()> {
    if assessment.stale.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{}",
        palette.yellow(&format!(
            "stale baseline entries ({}): these cells no longer deviate as recorded; remove them from the baseline",
            assessment.stale.len()
        ))
    )?;
    for stale in &assessment.stale {
        writeln!(out, "  {}", stale_line(stale))?;
    }
    Ok(())
}

/// `STALE suite/phase/from->to:port observed allow: now observed deny, as expected (reason: ...)`.
pub fn stale_line(stale: &StaleEntry) -> String {
    format!(
        "STALE {}: {} (reason: {})",
        stale.entry.label(),
        stale.why,
        stale.entry.reason
    )
}

/// Rows are sources, columns destinations; `content(i)` renders the phase's i-th cell.
fn table(phase: &PhaseResult, content: impl Fn(usize) -> String) -> String {
    let columns = ordered_unique(
        phase
            .cells
            .iter()
            .map(|c| (c.key.to.clone(), c.key.port, c.key.protocol)),
    );
    let rows = ordered_unique(
        phase
            .cells
            .iter()
            .map(|c| (c.key.from.clone(), c.from_node.clone())),
    );
    let nodes = ordered_unique(phase.cells.iter().filter_map(|c| c.from_node.clone()));
    let row_labels: Vec<String> = rows
        .iter()
        .map(|(from, node)| match node {
            Some(node) if nodes.len() > 1 => format!("{from} ({node})"),
            _ => from.clone(),
        })
        .collect();
    let column_labels: Vec<String> = columns
        .iter()
        .map(|(to, port, protocol)| column_label(to, *port, *protocol))
        .collect();
    grid(&row_labels, &column_labels, |r, c| {
        phase
            .cells
            .iter()
            .position(|cell| {
                cell.key.from == rows[r].0
                    && (&cell.key.to, cell.key.port, cell.key.protocol)
                        == (&columns[c].0, columns[c].1, columns[c].2)
            })
            .map(&content)
            .unwrap_or_default()
    })
}

fn write_side_by_side<W: Write>(
    out: &mut W,
    tables: &[(&str, &String)],
    max_width: usize,
) -> io::Result<()> {
    let widths: Vec<usize> = tables
        .iter()
        .map(|(_, t)| t.lines().map(visible_width).max().unwrap_or(0))
        .collect();
    let total: usize = widths.iter().sum::<usize>() + 3 * (tables.len().saturating_sub(1));
    if total > max_width {
        for (title, table) in tables {
            writeln!(out, "{title}:\n{table}")?;
        }
        return Ok(());
    }
    let titles: Vec<String> = tables
        .iter()
        .map(|(title, _)| format!("{title}:"))
        .collect();
    write_row(out, &titles, &widths)?;
    let lines: Vec<Vec<&str>> = tables.iter().map(|(_, t)| t.lines().collect()).collect();
    let height = lines.iter().map(Vec::len).max().unwrap_or(0);
    for row in 0..height {
        let parts: Vec<String> = lines
            .iter()
            .map(|l| l.get(row).copied().unwrap_or_default().to_owned())
            .collect();
        write_row(out, &parts, &widths)?;
    }
    Ok(())
}

fn write_row<W: Write>(out: &mut W, parts: &[String], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, (part, width)) in parts.iter().zip(widths).enumerate() {
        line.push_str(part);
        if i + 1 < parts.len() {
            line.push_str(&" ".repeat(width.saturating_sub(visible_width(part)) + 3));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// What the expectation table shows: `.`/`X`, `-` for a skipped cell, `?` when nothing was expected.
pub fn expected_symbol(cell: &CellResult) -> &'static str {
    match (&cell.observed, cell.expected) {
        (Observation::Skipped { .. }, _) => "-",
        (_, Some(expected)) => expected.symbol(),
        (_, None) => "?",
    }
}

/// The diff table's symbol: upstream's `.` same / `X` different, plus `k` known, `~`, `!` and `-`.
pub fn diff_symbol(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => ".",
        Verdict::Fail => "X",
        Verdict::Known { .. } => "k",
        Verdict::ImplementationDefined => "~",
        Verdict::Error => "!",
        Verdict::Skipped => "-",
    }
}

/// The compact table's symbol: `.`/`X`/`!`/`-`, or `✗`/`k`/`~` then `observed/expected` for a wrong cell.
pub fn compact_symbol(cell: &CellResult, verdict: &Verdict) -> String {
    let mark = match verdict {
        Verdict::Fail => "\u{2717}",
        Verdict::Known { .. } => "k",
        Verdict::ImplementationDefined => "~",
        _ => return cell.observed.symbol().to_owned(),
    };
    match cell.expected {
        Some(expected) => format!("{mark} {}/{}", cell.observed.symbol(), expected.symbol()),
        None => cell.observed.symbol().to_owned(),
    }
}

/// How a cell was observed, in words: `connected (HTTP 200)`, `denied (timeout, curl exit 28)`, the error, the skip.
pub fn observed_phrase(observed: &Observation) -> String {
    match observed {
        Observation::Allowed { http_status: 0 } => "connected (answered)".to_owned(),
        Observation::Allowed { http_status } => format!("connected (HTTP {http_status})"),
        Observation::Denied {
            kind,
            curl_exit,
            evidence,
        } => {
            let kind = match kind {
                DenyKind::Timeout => "timeout",
                DenyKind::Refused => "refused",
                DenyKind::Unresolved => "name not resolved: DNS denied",
            };
            match evidence {
                Some(evidence) => format!("denied ({kind}, agnhost connect: {evidence})"),
                None => format!("denied ({kind}, curl exit {curl_exit})"),
            }
        }
        Observation::Error { message } => format!("error: {message}"),
        Observation::Skipped { reason } => format!("skipped: {reason}"),
    }
}

/// One line about a cell that did not pass: `FAIL`, `KNOWN`, `IMPLEMENTATION-DEFINED`, `ERROR` or `SKIP`.
pub fn describe(cell: &CellResult, verdict: &Verdict) -> String {
    let expected = cell
        .expected
        .map(|e| format!("{e:?}").to_lowercase())
        .unwrap_or_else(|| "-".into());
    let nodes = match (&cell.from_node, &cell.to_node) {
        (Some(a), Some(b)) => format!(" [{a} -> {b}]"),
        (Some(a), None) => format!(" [{a} -> outside]"),
        _ => String::new(),
    };
    let key = &cell.key;
    let label = match verdict {
        Verdict::Error => {
            if let Observation::Error { message } = &cell.observed {
                return format!("ERROR {key}{nodes}: {message}");
            }
            "ERROR".to_owned()
        }
        Verdict::Skipped => {
            if let Observation::Skipped { reason } = &cell.observed {
                return format!("SKIP {key}: {reason}");
            }
            return format!("SKIP {key}: nothing expected");
        }
        Verdict::Known { .. } => "KNOWN".to_owned(),
        Verdict::ImplementationDefined => format!(
            "IMPLEMENTATION-DEFINED ({})",
            cell.implementation_defined.join(", ")
        ),
        Verdict::Pass => "PASS".to_owned(),
        Verdict::Fail => "FAIL".to_owned(),
    };
    let mut line = format!(
        "{label} {key}{nodes}: expected {expected}, {} to {} after {} attempts",
        observed_phrase(&cell.observed),
        cell.url,
        cell.attempts
    );
    if let Verdict::Known { reason } = verdict {
        line.push_str(&format!(" (baseline: {reason})"));
    }
    if let Some(first) = cell.first_probe_after {
        line.push_str(&format!(
            "; new pod: Ready {:.1}s after creation, first probe result {:.1}s after creation{}",
            cell.ready_after.unwrap_or_default().as_secs_f64(),
            first.as_secs_f64(),
            if verdict.is_wrong() {
                ", not protected from the first probe"
            } else {
                ""
            }
        ));
    }
    line
}
