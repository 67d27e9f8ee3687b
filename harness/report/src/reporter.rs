//! The one reporting path of a run, after cargo-nextest's reporter: the runner's events go to a [`Reporter`], which
//! shows them on the terminal as they come (progress, each phase's table), and the finished run goes to the same
//! reporter, which judges it once against the baseline and hands that to every chosen output: the files (`--junit`,
//! `--json`, `--markdown`, `--write-baseline`), the stale baseline entries and the closing line. The CLI only
//! chooses the outputs and where they go.

use std::io::Write;
use std::path::PathBuf;

use netreach_core::baseline::Baseline;
use netreach_core::events::{EventSink, RunEvent};
use netreach_core::results::RunReport;

use crate::assess::{Assessment, Summary};
use crate::display::TerminalDisplay;
use crate::style::Palette;
use crate::terminal::View;

/// A file format a run can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Junit,
    Json,
    Markdown,
    /// A baseline listing every failing cell (keeping the reasons of the baseline the run was judged against).
    Baseline,
}

impl Format {
    /// The flag that asks for it.
    pub fn flag(self) -> &'static str {
        match self {
            Format::Junit => "--junit",
            Format::Json => "--json",
            Format::Markdown => "--markdown",
            Format::Baseline => "--write-baseline",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{flag} {path}: {message}")]
    Render {
        flag: &'static str,
        path: String,
        message: String,
    },
    #[error("{flag} {path}: cannot write: {source}")]
    Write {
        flag: &'static str,
        path: String,
        source: std::io::Error,
    },
}

/// The outputs of a run: the terminal display, the files, the baseline it is judged against.
pub struct Reporter {
    display: TerminalDisplay,
    baseline: Baseline,
    palette: Palette,
    files: Vec<(Format, PathBuf)>,
}

impl Reporter {
    /// Compact tables, no files, no baseline.
    pub fn new(quiet: bool, palette: Palette) -> Self {
        Self {
            display: TerminalDisplay::new(quiet, palette),
            baseline: Baseline::default(),
            palette,
            files: Vec::new(),
        }
    }

    /// The view of each phase's table, and the baseline that marks known cells.
    pub fn with_view(mut self, view: View, baseline: Baseline) -> Self {
        self.display = self.display.with_view(view, baseline.clone());
        self.baseline = baseline;
        self
    }

    /// Also write the run in `format` to `path` once it has finished.
    pub fn with_file(mut self, format: Format, path: PathBuf) -> Self {
        self.files.push((format, path));
        self
    }

    /// Ends the live display (before the closing lines go to stdout).
    pub fn end_display(&self) {
        self.display.finish();
    }

    /// Writes every file, then the stale baseline entries on `out` (notes on stderr); returns the summary, whose
    /// `Display` is the closing line.
    pub fn finish(&self, report: &RunReport, out: &mut dyn Write) -> Result<Summary, OutputError> {
        let assessment = Assessment::new(report, &self.baseline);
        for (format, path) in &self.files {
            let mut bytes = Vec::new();
            let mut note = None;
            let rendered = match format {
                Format::Junit => {
                    crate::junit::write_junit(&mut bytes, &assessment).map_err(|e| e.to_string())
                }
                Format::Json => {
                    crate::json::write_json(&mut bytes, &assessment).map_err(|e| e.to_string())
                }
                Format::Markdown => crate::markdown::write_markdown(&mut bytes, &assessment)
                    .map_err(|e| e.to_string()),
                Format::Baseline => {
                    let written = Baseline::recorded(report, &self.baseline);
                    bytes.extend_from_slice(written.to_yaml().as_bytes());
                    note = Some(format!(
                        "wrote {} baseline entries to {}",
                        written.entries.len(),
                        path.display()
                    ));
                    Ok(())
                }
            };
            let (flag, shown) = (format.flag(), path.display().to_string());
            rendered.map_err(|message| OutputError::Render {
                flag,
                path: shown.clone(),
                message,
            })?;
            std::fs::write(path, bytes).map_err(|source| OutputError::Write {
                flag,
                path: shown,
                source,
            })?;
            if let Some(note) = note {
                eprintln!("{note}");
            }
        }
        crate::terminal::write_stale(out, &assessment, self.palette).map_err(|source| {
            OutputError::Write {
                flag: "stdout",
                path: String::new(),
                source,
            }
        })?;
        Ok(assessment.summary)
    }
}

impl EventSink for Reporter {
    fn emit(&self, event: RunEvent) {
        self.display.emit(event);
    }
}
