//! The `--markdown` summary, fit for a pull-request comment: counts, then per phase the wrong cells (with the
//! oracle's explanation and the command that repeats the probe) before the truth table; stale baseline entries last.

use std::io::{self, Write};

use netreach_core::cell::CellResult;
use netreach_core::provenance::Provenance;
use netreach_core::results::PhaseResult;

use netreach_core::verdict::Verdict;

use crate::assess::{Assessment, Summary};
use crate::grid::{column_label, ordered_unique};
use crate::terminal::{compact_symbol, describe, stale_line};

/// Where, when and how the run was made, as a collapsed table.
pub fn write_provenance<W: Write + ?Sized>(out: &mut W, provenance: &Provenance) -> io::Result<()> {
    writeln!(
        out,
        "<details><summary>netreach {} on Kubernetes {} ({}), {} to {}</summary>\n",
        provenance.netreach_version,
        provenance.kubernetes_version,
        provenance.api_server,
        provenance.started,
        provenance.finished
    )?;
    writeln!(out, "| | |\n| --- | --- |")?;
    for (name, value) in provenance.pairs() {
        writeln!(out, "| {} | `{}` |", cell_text(&name), code(&value))?;
    }
    writeln!(out, "\n</details>\n")
}

pub fn write_markdown<W: Write>(out: &mut W, assessment: &Assessment) -> io::Result<()> {
    let summary = &assessment.summary;
    let report = assessment.report;
    let headline = match summary.exit_code() {
        0 => "\u{2705} every cell as expected".to_owned(),
        1 => format!("\u{274c} {} wrong", plural(summary.tally.failed, "cell")),
        _ => format!(
            "\u{26a0}\u{fe0f} {} could not be probed",
            plural(summary.tally.errors, "cell")
        ),
    };
    writeln!(out, "## netreach `{}`: {headline}\n", code(&report.suite))?;
    writeln!(out, "**{summary}** (run `{}`)\n", code(&report.run_id))?;
    if let Some(provenance) = &report.provenance {
        write_provenance(out, provenance)?;
    }
    writeln!(
        out,
        "| phase | passed | failed | known | errors | skipped | impl.-defined |"
    )?;
    writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")?;
    for (phase, verdicts) in assessment.phases() {
        let s = Summary::of(verdicts.iter()).tally;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell_text(&phase.name),
            s.passed,
            s.failed,
            s.known,
            s.errors,
            s.skipped,
            s.implementation_defined
        )?;
    }
    for (index, (phase, verdicts)) in assessment.phases().enumerate() {
        write_phase(out, index, phase, verdicts)?;
    }
    if !assessment.stale.is_empty() {
        writeln!(out, "\n### Stale baseline entries\n")?;
        writeln!(
            out,
            "These cells no longer deviate as the baseline records; remove them from it.\n"
        )?;
        for stale in &assessment.stale {
            writeln!(out, "- {}", inline(&stale_line(stale)))?;
        }
    }
    writeln!(
        out,
        "\n<sub>`.` allowed, `X` denied, `!` error, `-` skipped; a wrong cell reads `observed/expected` after \
         \u{2717} (failed), k (known, in the baseline) or ~ (differs on an implementation-defined point).</sub>"
    )
}

fn write_phase<W: Write>(
    out: &mut W,
    index: usize,
    phase: &PhaseResult,
    verdicts: &[Verdict],
) -> io::Result<()> {
    let summary = Summary::of(verdicts.iter());
    writeln!(
        out,
        "\n### Phase {} `{}`: {summary}\n",
        index + 1,
        code(&phase.name)
    )?;
    if phase.policies.is_empty() {
        writeln!(out, "Policies: none\n")?;
    } else {
        let names: Vec<String> = phase
            .policies
            .iter()
            .map(|p| format!("`{}`", code(p)))
            .collect();
        writeln!(out, "Policies: {}\n", names.join(", "))?;
    }
    let mut listed: Vec<(&CellResult, &Verdict)> = phase
        .cells
        .iter()
        .zip(verdicts)
        .filter(|(_, v)| **v != Verdict::Pass && **v != Verdict::Skipped)
        .collect();
    listed.sort_by_key(|(_, v)| rank(v));
    let any_listed = !listed.is_empty();
    for (cell, verdict) in listed {
        let mark = match verdict {
            Verdict::Fail => "\u{274c}",
            Verdict::Error => "\u{26a0}\u{fe0f}",
            Verdict::Known { .. } => "\u{1f7e1}",
            _ => "\u{2139}\u{fe0f}",
        };
        writeln!(out, "- {mark} {}", inline(&describe(cell, verdict)))?;
        let mut sections = Vec::new();
        if let Some(explanation) = cell.explanation.as_deref().filter(|_| verdict.is_wrong()) {
            sections.push(explanation.trim_end().to_owned());
        }
        if !cell.reproduce.is_empty() {
            sections.push(format!(
                "# reproduce (while the run's pods exist):\n{}",
                cell.reproduce
            ));
        }
        if !sections.is_empty() {
            writeln!(
                out,
                "  <details><summary>why, and how to reproduce</summary>\n"
            )?;
            writeln!(out, "  ```text")?;
            for line in sections.join("\n\n").lines() {
                if line.is_empty() {
                    writeln!(out)?;
                } else {
                    writeln!(out, "  {}", line.replace("```", "'''"))?;
                }
            }
            writeln!(out, "  ```\n  </details>")?;
        }
    }
    if any_listed {
        writeln!(out)?;
    }
    write_table(out, phase, verdicts)
}

/// Failures first, then errors, known deviations, implementation-defined differences.
fn rank(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Fail => 0,
        Verdict::Error => 1,
        Verdict::Known { .. } => 2,
        _ => 3,
    }
}

fn write_table<W: Write>(out: &mut W, phase: &PhaseResult, verdicts: &[Verdict]) -> io::Result<()> {
    let columns = ordered_unique(
        phase
            .cells
            .iter()
            .map(|c| (c.key.to.clone(), c.key.port, c.key.protocol)),
    );
    let rows = ordered_unique(phase.cells.iter().map(|c| c.key.from.clone()));
    let mut header = vec!["from \\ to".to_owned()];
    header.extend(
        columns
            .iter()
            .map(|(to, port, protocol)| cell_text(&column_label(to, *port, *protocol))),
    );
    writeln!(out, "| {} |", header.join(" | "))?;
    writeln!(out, "|{}", " --- |".repeat(header.len()))?;
    for row in &rows {
        let mut record = vec![cell_text(row)];
        for (to, port, protocol) in &columns {
            let found = phase.cells.iter().zip(verdicts).find(|(c, _)| {
                &c.key.from == row
                    && (&c.key.to, c.key.port, c.key.protocol) == (to, *port, *protocol)
            });
            record.push(match found {
                Some((cell, Verdict::Fail)) => {
                    format!("**{}**", compact_symbol(cell, &Verdict::Fail))
                }
                Some((cell, verdict)) => cell_text(&compact_symbol(cell, verdict)),
                None => String::new(),
            });
        }
        writeln!(out, "| {} |", record.join(" | "))?;
    }
    Ok(())
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Text inside a code span: backticks would end it.
fn code(text: &str) -> String {
    text.replace('`', "'")
}

/// Text in a table cell: pipes would split it, and Markdown must not read its symbols.
fn cell_text(text: &str) -> String {
    escape(text)
}

/// Plain running text with Markdown's active characters escaped.
fn inline(text: &str) -> String {
    escape(text)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
