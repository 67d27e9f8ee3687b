//! A run judged against a baseline: each cell's verdict (core's `Verdict`), stale baseline entries, the closing
//! summary line. Every renderer reads results through this.

use netreach_core::baseline::{Baseline, BaselineEntry, reach_word};
use netreach_core::results::{PhaseResult, RunReport};
use netreach_core::verdict::{Tally, Verdict};
use serde::{Serialize, Serializer};

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

/// The tally of a run (or phase) plus its stale baseline entries; its `Display` is the closing line CI systems read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub tally: Tally,
    pub stale: usize,
}

impl Summary {
    pub fn of<'a>(verdicts: impl Iterator<Item = &'a Verdict>) -> Self {
        Summary {
            tally: Tally::of(verdicts.map(Verdict::status)),
            stale: 0,
        }
    }

    /// [`Tally::exit_code`]: stale baseline entries are reported but do not change it.
    pub fn exit_code(&self) -> i32 {
        self.tally.exit_code()
    }
}

impl Serialize for Summary {
    /// As schema `netreach.run/v1` has it: passed, failed, known, errors, skipped, implementation_defined, stale.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire {
            passed: usize,
            failed: usize,
            known: usize,
            errors: usize,
            skipped: usize,
            implementation_defined: usize,
            stale: usize,
        }
        let t = &self.tally;
        Wire {
            passed: t.passed,
            failed: t.failed,
            known: t.known,
            errors: t.errors,
            skipped: t.skipped,
            implementation_defined: t.implementation_defined,
            stale: self.stale,
        }
        .serialize(serializer)
    }
}

impl std::fmt::Display for Summary {
    /// `N passed, N failed`, then errors, skips, implementation-defined, known and stale when there are any.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.tally;
        write!(f, "{} passed, {} failed", t.passed, t.failed)?;
        if t.errors > 0 {
            write!(f, ", {} errors", t.errors)?;
        }
        if t.skipped > 0 {
            write!(f, ", {} skipped", t.skipped)?;
        }
        if t.implementation_defined > 0 {
            write!(f, ", {} implementation-defined", t.implementation_defined)?;
        }
        if t.known > 0 {
            write!(f, ", {} known", t.known)?;
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
