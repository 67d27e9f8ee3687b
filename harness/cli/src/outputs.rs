//! The report flags of `netreach run` (--junit, --json, --markdown, --view, --baseline, --write-baseline): which
//! outputs the reporter (netreach-report's) gets, and the colours of stdout.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use netreach_core::baseline::Baseline;
use netreach_report::reporter::{Format, Reporter};
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
    /// are reported as known and do not fail the run; entries that no longer deviate are reported as stale. A cell
    /// observed as its entry says is confirmed once more instead of retried until the settle timeout.
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

    /// The run's reporter with the chosen view, baseline and files.
    pub fn reporter(&self, quiet: bool, baseline: Baseline) -> Reporter {
        let files = [
            (Format::Junit, &self.junit),
            (Format::Json, &self.json),
            (Format::Markdown, &self.markdown),
            (Format::Baseline, &self.write_baseline),
        ];
        files.into_iter().fold(
            Reporter::new(quiet, stdout_palette()).with_view(self.view(), baseline),
            |reporter, (format, path)| match path {
                Some(path) => reporter.with_file(format, path.clone()),
                None => reporter,
            },
        )
    }
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
