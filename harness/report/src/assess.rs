//! A run judged against a baseline: each cell's verdict (known deviations apart), stale baseline entries, the
//! closing summary line and the exit code. Every renderer reads results through this.

use netreach_core::cell::{CellResult, CellStatus};
use netreach_core::results::{PhaseResult, RunReport};
use serde::Serialize;

use netreach_core::baseline::{Baseline, BaselineEntry, reach_word};

/// How a cell counts in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// A failing cell the baseline accepts, with the baseline's reason: reported, not failing.
    Known {
        reason: String,
    },
    /// Differs only on a point the specification leaves to the implementation: reported, not failing.
    ImplementationDefined,
    Error,
    Skipped,
}

impl Verdict {
    /// The cell's verdict: its own status, except that a failure the baseline lists (as observed) is known.
    pub fn of(suite: &str, phase: &str, cell: &CellResult, baseline: &Baseline) -> Self {
        match cell.status() {
            CellStatus::Pass => Verdict::Pass,
            CellStatus::Fail => {
                let entry = cell
                    .observed
                    .reach()
                    .and_then(|observed| baseline.find(suite, phase, &cell.key, observed));
                match entry {
                    Some(entry) => Verdict::Known {
                        reason: entry.reason.clone(),
                    },
                    None => Verdict::Fail,
                }
            }
            CellStatus::ImplementationDefined => Verdict::ImplementationDefined,
            CellStatus::Error => Verdict::Error,
            CellStatus::Skipped => Verdict::Skipped,
        }
    }

    /// The word used in JSON and Markdown: `pass`, `fail`, `known`, `implementation_defined`, `error`, `skipped`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Known { .. } => "known",
            Verdict::ImplementationDefined => "implementation_defined",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
        }
    }

    /// Whether the cell differs from its expectation (failing, known or implementation-defined).
    pub fn is_wrong(&self) -> bool {
        matches!(
            self,
            Verdict::Fail | Verdict::Known { .. } | Verdict::ImplementationDefined
        )
    }
}

/// The verdicts of a phase's cells, in cell order.
pub fn phase_verdicts(suite: &str, phase: &PhaseResult, baseline: &Baseline) -> Vec<Verdict> {
    phase
        .cells
        .iter()
        .map(|cell| Verdict::of(suite, &phase.name, cell, baseline))
        .collect()
}

/// A baseline entry of the run's suite that no longer deviates as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleEntry {
    #[serde(flatten)]
    pub entry: BaselineEntry,
    /// What the run saw instead.
    pub why: String,
}

/// Counts of verdicts plus stale baseline entries; its `Display` is the closing line CI systems read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub known: usize,
    pub errors: usize,
    pub skipped: usize,
    pub implementation_defined: usize,
    pub stale: usize,
}

impl Summary {
    pub fn of<'a>(verdicts: impl Iterator<Item = &'a Verdict>) -> Self {
        let mut summary = Summary::default();
        for verdict in verdicts {
            match verdict {
                Verdict::Pass => summary.passed += 1,
                Verdict::Fail => summary.failed += 1,
                Verdict::Known { .. } => summary.known += 1,
                Verdict::ImplementationDefined => summary.implementation_defined += 1,
                Verdict::Error => summary.errors += 1,
                Verdict::Skipped => summary.skipped += 1,
            }
        }
        summary
    }

    /// 0 every cell as expected (or known), 1 some cell differs, 2 some cell could not be probed.
    /// Stale baseline entries are reported but do not change it.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }

    pub fn cells(&self) -> usize {
        self.passed
            + self.failed
            + self.known
            + self.errors
            + self.skipped
            + self.implementation_defined
    }
}

impl std::fmt::Display for Summary {
    /// `N passed, N failed`, then errors, skips, implementation-defined, known and stale when there are any.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.errors > 0 {
            write!(f, ", {} errors", self.errors)?;
        }
        if self.skipped > 0 {
            write!(f, ", {} skipped", self.skipped)?;
        }
        if self.implementation_defined > 0 {
            write!(
                f,
                ", {} implementation-defined",
                self.implementation_defined
            )?;
        }
        if self.known > 0 {
            write!(f, ", {} known", self.known)?;
        }
        if self.stale > 0 {
            let noun = if self.stale == 1 { "entry" } else { "entries" };
            write!(f, ", {} stale baseline {noun}", self.stale)?;
        }
        Ok(())
    }
}

/// A whole run against a baseline.
#[derive(Debug, Clone)]
pub struct Assessment<'a> {
    pub report: &'a RunReport,
    /// Per phase, per cell (same order as the report).
    pub verdicts: Vec<Vec<Verdict>>,
    pub stale: Vec<StaleEntry>,
    pub summary: Summary,
}

impl<'a> Assessment<'a> {
    pub fn new(report: &'a RunReport, baseline: &Baseline) -> Self {
        let verdicts: Vec<Vec<Verdict>> = report
            .phases
            .iter()
            .map(|phase| phase_verdicts(&report.suite, phase, baseline))
            .collect();
        let stale = stale_entries(report, &verdicts, baseline);
        let mut summary = Summary::of(verdicts.iter().flatten());
        summary.stale = stale.len();
        Self {
            report,
            verdicts,
            stale,
            summary,
        }
    }

    /// Each phase with its verdicts.
    pub fn phases(&self) -> impl Iterator<Item = (&'a PhaseResult, &[Verdict])> {
        self.report
            .phases
            .iter()
            .zip(self.verdicts.iter().map(Vec::as_slice))
    }

    /// The stale entries recorded for `phase`.
    pub fn stale_in<'s>(&'s self, phase: &'s str) -> impl Iterator<Item = &'s StaleEntry> {
        self.stale.iter().filter(move |s| s.entry.phase == phase)
    }

    /// The stale entries that name a phase the run does not have.
    pub fn stale_elsewhere(&self) -> impl Iterator<Item = &StaleEntry> {
        self.stale
            .iter()
            .filter(|s| !self.report.phases.iter().any(|p| p.name == s.entry.phase))
    }
}

/// Entries of the run's suite that covered no cell: the cell passes now, is observed otherwise, or is gone.
/// A cell that errored or was skipped says nothing either way, so its entry is not stale.
fn stale_entries(
    report: &RunReport,
    verdicts: &[Vec<Verdict>],
    baseline: &Baseline,
) -> Vec<StaleEntry> {
    let mut stale = Vec::new();
    for entry in baseline.entries.iter().filter(|e| e.suite == report.suite) {
        let phase = report
            .phases
            .iter()
            .zip(verdicts)
            .find(|(p, _)| p.name == entry.phase);
        let why = match phase {
            None => Some(format!("the run has no phase {}", entry.phase)),
            Some((phase, verdicts)) => {
                let key = entry.key();
                match phase.cells.iter().zip(verdicts).find(|(c, _)| c.key == key) {
                    None => Some(format!("phase {} has no cell {key}", phase.name)),
                    Some((cell, verdict)) => match verdict {
                        Verdict::Pass | Verdict::ImplementationDefined => Some(format!(
                            "now observed {}, as expected",
                            cell.observed.reach().map(reach_word).unwrap_or("?")
                        )),
                        Verdict::Fail => Some(format!(
                            "now observed {}, recorded {}",
                            cell.observed.reach().map(reach_word).unwrap_or("?"),
                            reach_word(entry.observed)
                        )),
                        Verdict::Known { .. } | Verdict::Error | Verdict::Skipped => None,
                    },
                }
            }
        };
        if let Some(why) = why {
            stale.push(StaleEntry {
                entry: entry.clone(),
                why,
            });
        }
    }
    stale
}
