//! Results of a run: cells grouped by phase (how a cell counts is `verdict`'s).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cell::CellResult;
use crate::provenance::Provenance;

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
    pub fn probe_duration(&self) -> Duration {
        Duration::from_millis(self.probe_millis)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub suite: String,
    pub run_id: String,
    /// The suite's namespaces -> the namespaces the run worked in (its own, or the `--use-existing` one).
    #[serde(default)]
    pub namespaces: std::collections::BTreeMap<String, String>,
    pub phases: Vec<PhaseResult>,
    /// Where, when and how the run was made (set by the entry point that knows the cluster and the flags).
    #[serde(default)]
    pub provenance: Option<Provenance>,
}
