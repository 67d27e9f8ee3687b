//! Results of a run: cells grouped by phase, the tally, and the exit code a CI gates on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cell::{CellResult, CellStatus};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseResult {
    pub name: String,
    /// `namespace/name` of each policy in force.
    pub policies: Vec<String>,
    pub cells: Vec<CellResult>,
    /// Wall time of probing the phase, retries included.
    pub probe_millis: u64,
}

impl PhaseResult {
    pub fn tally(&self) -> Tally {
        Tally::of(self.cells.iter())
    }

    pub fn probe_duration(&self) -> Duration {
        Duration::from_millis(self.probe_millis)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub suite: String,
    pub run_id: String,
    pub phases: Vec<PhaseResult>,
}

impl RunReport {
    pub fn tally(&self) -> Tally {
        Tally::of(self.phases.iter().flat_map(|p| p.cells.iter()))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
    /// Cells that differ only on an implementation-defined point: reported, never failing the run.
    pub implementation_defined: usize,
}

impl Tally {
    pub fn of<'a>(cells: impl Iterator<Item = &'a CellResult>) -> Self {
        let mut tally = Tally::default();
        for cell in cells {
            match cell.status() {
                CellStatus::Pass => tally.passed += 1,
                CellStatus::Fail => tally.failed += 1,
                CellStatus::ImplementationDefined => tally.implementation_defined += 1,
                CellStatus::Error => tally.errors += 1,
                CellStatus::Skipped => tally.skipped += 1,
            }
        }
        tally
    }

    /// 0 every cell as expected, 1 some cell differs, 2 some cell could not be probed.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }
}

impl std::fmt::Display for Tally {
    /// The closing line CI systems read: `N passed, N failed`, then errors and skips when there are any.
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
        Ok(())
    }
}
