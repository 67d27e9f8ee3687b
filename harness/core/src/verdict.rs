//! How a cell counts, in one place for `run`, `conformance`, `compare` and the cargo-test harness: its verdict (its
//! status, with a failure the baseline accepts set apart as known), the tally of verdicts, and the one exit-code
//! rule (0 every cell as expected or accepted, 1 some cell differs, 2 some cell or suite could not be run).

use serde::{Deserialize, Serialize};

use crate::baseline::Baseline;
use crate::cell::{CellResult, CellStatus};

/// How a cell counts.
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

    /// The verdict without the baseline's reason.
    pub fn status(&self) -> Status {
        match self {
            Verdict::Pass => Status::Pass,
            Verdict::Fail => Status::Fail,
            Verdict::Known { .. } => Status::KnownDeviation,
            Verdict::ImplementationDefined => Status::ImplementationDefined,
            Verdict::Error => Status::Error,
            Verdict::Skipped => Status::Skipped,
        }
    }

    /// The baseline's reason of a known cell.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::Known { reason } => Some(reason),
            _ => None,
        }
    }

    /// The word of the run's JSON and Markdown: `pass`, `fail`, `known`, `implementation_defined`, `error`,
    /// `skipped`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Known { .. } => "known",
            other => other.status().word(),
        }
    }

    /// Whether the cell differs from its expectation (failing, known or implementation-defined).
    pub fn is_wrong(&self) -> bool {
        matches!(
            self,
            Verdict::Fail | Verdict::Known { .. } | Verdict::ImplementationDefined
        )
    }

    /// The exit code this cell alone would give (see [`Tally::exit_code`]).
    pub fn exit_code(&self) -> i32 {
        self.status().exit_code()
    }
}

/// A verdict without the baseline's reason, as the conformance report (`netreach.conformance/v1`) records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    KnownDeviation,
    ImplementationDefined,
    Error,
    Skipped,
}

impl Status {
    /// As the conformance texts print it: `pass`, `FAIL`, `known deviation`, `implementation-defined`, `ERROR`,
    /// `skipped`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "FAIL",
            Self::KnownDeviation => "known deviation",
            Self::ImplementationDefined => "implementation-defined",
            Self::Error => "ERROR",
            Self::Skipped => "skipped",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::KnownDeviation => "known_deviation",
            Self::ImplementationDefined => "implementation_defined",
            Self::Error => "error",
            Self::Skipped => "skipped",
        }
    }

    /// 2 for an error, 1 for a failure, 0 otherwise.
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Error => 2,
            Self::Fail => 1,
            _ => 0,
        }
    }
}

/// Counts of verdicts. A cell that could not be probed never counts as passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    /// Failed, but listed in the baseline.
    #[serde(rename = "known_deviations")]
    pub known: usize,
    /// Differs from the profile only on an implementation-defined point: reported, never failed.
    pub implementation_defined: usize,
    pub errors: usize,
    pub skipped: usize,
}

impl Tally {
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> Self {
        let mut tally = Tally::default();
        for status in statuses {
            tally.add(status);
        }
        tally
    }

    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::KnownDeviation => self.known += 1,
            Status::ImplementationDefined => self.implementation_defined += 1,
            Status::Error => self.errors += 1,
            Status::Skipped => self.skipped += 1,
        }
    }

    /// The one exit-code rule: 2 when some cell could not be probed, else 1 when some cell differs from its
    /// expectation (known deviations and implementation-defined points aside), else 0.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_outrank_failures_and_accepted_cells_do_not_fail() {
        let tally = |statuses: &[Status]| Tally::of(statuses.iter().copied()).exit_code();
        assert_eq!(tally(&[Status::Pass, Status::Skipped]), 0);
        assert_eq!(
            tally(&[Status::KnownDeviation, Status::ImplementationDefined]),
            0
        );
        assert_eq!(tally(&[Status::Pass, Status::Fail]), 1);
        assert_eq!(tally(&[Status::Fail, Status::Error]), 2);
        for status in [Status::Pass, Status::Fail, Status::Error] {
            assert_eq!(status.exit_code(), tally(&[status]));
        }
    }

    #[test]
    fn the_conformance_report_spells_statuses_and_tallies_as_before() {
        assert_eq!(
            serde_json::to_string(&Status::KnownDeviation).unwrap(),
            "\"known_deviation\""
        );
        let json = serde_json::to_string(&Tally::of([Status::KnownDeviation])).unwrap();
        assert_eq!(
            json,
            r#"{"passed":0,"failed":0,"known_deviations":1,"implementation_defined":0,"errors":0,"skipped":0}"#
        );
    }
}
