//! The report flags of `netreach run` (--junit, --json, --markdown, --view, --baseline, --write-baseline) and the
//! file I/O behind them; rendering itself is netreach-report's.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use netreach_core::baseline::Baseline;
use netreach_core::results::RunReport;
use netreach_report::assess::{Assessment, Summary};
use netreach_report::style::Palette;
use netreach_report::terminal::View;

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write a JUnit XML report: a testsuite per phase, a testcase per cell.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the whole run as JSON (schema `netreach.run/v1`, reports/schema/run.schema.json).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a Markdown summary fit for a pull-request comment.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Terminal view of each phase: one table, or expected/observed/diff tables.
    #[arg(long, value_enum, default_value_t = ViewArg::Compact)]
    pub view: ViewArg,
    /// Known, accepted deviations (YAML list of {suite, phase, from, to, port, observed, reason}): such cells
    /// are reported as known and do not fail the run; entries that no longer deviate are reported as stale.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write a baseline listing every failing cell of this run (keeping the reasons of --baseline's entries).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewArg {
    Compact,
    Diff,
}

/// Terminal width assumed when stdout is not a terminal (for `--view diff`'s side-by-side tables).
const DEFAULT_WIDTH: usize = 180;

impl OutputArgs {
    pub fn view(&self) -> View {
        match self.view {
            ViewArg::Compact => View::Compact,
            ViewArg::Diff => View::Diff {
                max_width: terminal_width(),
            },
        }
    }

    /// Reads `--baseline` (before anything touches the cluster, so a bad file costs nothing).
    pub fn load_baseline(&self) -> anyhow::Result<Baseline> {
        let Some(path) = &self.baseline else {
            return Ok(Baseline::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--baseline {}: cannot read", path.display()))?;
        Baseline::parse(&text).with_context(|| format!("--baseline {}", path.display()))
    }

    /// Writes every requested file and prints the stale baseline entries; returns the summary to print last.
    pub fn finish(
        &self,
        report: &RunReport,
        baseline: &Baseline,
        palette: Palette,
    ) -> anyhow::Result<Summary> {
        let assessment = Assessment::new(report, baseline);
        if let Some(path) = &self.junit {
            write_file(path, "--junit", |out| {
                netreach_report::junit::write_junit(out, &assessment).map_err(Into::into)
            })?;
        }
        if let Some(path) = &self.json {
            write_file(path, "--json", |out| {
                netreach_report::json::write_json(out, &assessment).map_err(Into::into)
            })?;
        }
        if let Some(path) = &self.markdown {
            write_file(path, "--markdown", |out| {
                netreach_report::markdown::write_markdown(out, &assessment).map_err(Into::into)
            })?;
        }
        if let Some(path) = &self.write_baseline {
            let written = recorded_baseline(report, baseline);
            write_file(path, "--write-baseline", |out| {
                out.write_all(written.to_yaml().as_bytes())
                    .map_err(Into::into)
            })?;
            eprintln!(
                "wrote {} baseline entries to {}",
                written.entries.len(),
                path.display()
            );
        }
        let mut stdout = std::io::stdout().lock();
        netreach_report::terminal::write_stale(&mut stdout, &assessment, palette)?;
        Ok(assessment.summary)
    }
}

/// Every failing cell of the run; an entry already in `previous` keeps its reason.
fn recorded_baseline(report: &RunReport, previous: &Baseline) -> Baseline {
    let reason = format!(
        "observed in run {}; say why this deviation is accepted",
        report.run_id
    );
    let mut written = Baseline::from_failures(report, &reason);
    for entry in &mut written.entries {
        if let Some(old) = previous.find(&entry.suite, &entry.phase, &entry.key(), entry.observed) {
            entry.reason = old.reason.clone();
        }
    }
    written
}

fn write_file(
    path: &Path,
    flag: &str,
    render: impl FnOnce(&mut Vec<u8>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    render(&mut bytes).with_context(|| format!("{flag} {}", path.display()))?;
    std::fs::write(path, bytes).with_context(|| format!("{flag} {}: cannot write", path.display()))
}

/// Colours on stdout only when it is a terminal and NO_COLOR is unset or empty (https://no-color.org).
pub fn stdout_palette() -> Palette {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Palette {
        colour: std::io::stdout().is_terminal() && !no_color,
    }
}

fn terminal_width() -> usize {
    console::Term::stdout()
        .size_checked()
        .map(|(_, columns)| usize::from(columns))
        .unwrap_or(DEFAULT_WIDTH)
}
