//! The baseline file: known, accepted deviations of a plugin (`run --baseline`, `conformance --baseline`), as YAML.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cell::{CellKey, CellStatus, Reach};
use crate::results::RunReport;
use crate::world::Protocol;
use serde::{Deserialize, Serialize};

/// One accepted deviation: this cell of this phase of this suite is observed `observed`, and that is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub suite: String,
    pub phase: String,
    pub from: String,
    pub to: String,
    pub port: u16,
    /// TCP when absent (the baselines written before protocols).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// What the cell is observed to do (`allow` or `deny`); a cell observed otherwise is not covered.
    pub observed: Reach,
    /// Why the deviation is accepted (an issue link, the plugin's documented behaviour, ...).
    pub reason: String,
}

impl BaselineEntry {
    pub fn key(&self) -> CellKey {
        CellKey {
            from: self.from.clone(),
            to: self.to.clone(),
            port: self.port,
            protocol: self.protocol.unwrap_or(Protocol::Tcp),
        }
    }

    /// `suite/phase/from->to:port observed allow`.
    pub fn label(&self) -> String {
        format!(
            "{}/{}/{} observed {}",
            self.suite,
            self.phase,
            self.key(),
            reach_word(self.observed)
        )
    }
}

/// A list of accepted deviations; entries of other suites than the run's are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub entries: Vec<BaselineEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error(
        "not a baseline (a YAML list of {{suite, phase, from, to, port, observed, reason}}): {0}"
    )]
    Yaml(String),
}

impl Baseline {
    /// Parses the YAML list; an empty document (or only comments) is an empty baseline.
    pub fn parse(text: &str) -> Result<Self, BaselineError> {
        let has_content = text.lines().any(|line| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with('#') && line != "---"
        });
        if !has_content {
            return Ok(Self::default());
        }
        let entries: Vec<BaselineEntry> =
            serde_saphyr::from_str(text).map_err(|e| BaselineError::Yaml(e.to_string()))?;
        Ok(Self { entries })
    }

    /// Reads and parses a baseline file; errors name the file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Every failing cell of the run (a wrong allow or deny; never an error), with the same `reason`.
    pub fn from_failures(report: &RunReport, reason: &str) -> Self {
        let mut entries = Vec::new();
        for phase in &report.phases {
            for cell in &phase.cells {
                let Some(observed) = cell.observed.reach() else {
                    continue;
                };
                if cell.status() == CellStatus::Fail {
                    entries.push(BaselineEntry {
                        suite: report.suite.clone(),
                        phase: phase.name.clone(),
                        from: cell.key.from.clone(),
                        to: cell.key.to.clone(),
                        port: cell.key.port,
                        protocol: (cell.key.protocol != Protocol::Tcp).then_some(cell.key.protocol),
                        observed,
                        reason: reason.to_owned(),
                    });
                }
            }
        }
        Self { entries }
    }

    /// The baseline `--write-baseline` writes: every failing cell of the run; an entry already in `previous` keeps
    /// its reason.
    pub fn recorded(report: &RunReport, previous: &Baseline) -> Self {
        let reason = format!(
            "observed in run {}; say why this deviation is accepted",
            report.run_id
        );
        let mut written = Self::from_failures(report, &reason);
        for entry in &mut written.entries {
            if let Some(old) =
                previous.find(&entry.suite, &entry.phase, &entry.key(), entry.observed)
            {
                entry.reason = old.reason.clone();
            }
        }
        written
    }

    /// The entry that covers this cell as observed, if any.
    pub fn find(
        &self,
        suite: &str,
        phase: &str,
        key: &CellKey,
        observed: Reach,
    ) -> Option<&BaselineEntry> {
        self.entries.iter().find(|e| {
            e.suite == suite
                && e.phase == phase
                && e.from == key.from
                && e.to == key.to
                && e.key() == *key
                && e.observed == observed
        })
    }

    /// The deviations this baseline accepts in one phase of one suite, by cell (what the settle machine is given).
    pub fn phase_deviations(&self, suite: &str, phase: &str) -> BTreeMap<CellKey, Reach> {
        self.entries
            .iter()
            .filter(|e| e.suite == suite && e.phase == phase)
            .map(|e| (e.key(), e.observed))
            .collect()
    }

    /// The YAML text `--write-baseline` writes: a header comment, then one flow mapping per entry.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from(
            "# netreach baseline: known, accepted deviations (netreach run --baseline FILE).\n\
             # A listed cell observed as recorded is reported as known and does not fail the run;\n\
             # an entry whose cell no longer deviates is reported as stale. Edit the reasons.\n",
        );
        if self.entries.is_empty() {
            out.push_str("[]\n");
        }
        for e in &self.entries {
            out.push_str(&format!(
                "- {{suite: {}, phase: {}, from: {}, to: {}, port: {}{}, observed: {}, reason: {}}}\n",
                quoted(&e.suite),
                quoted(&e.phase),
                quoted(&e.from),
                quoted(&e.to),
                e.port,
                e.protocol
                    .map(|p| format!(", protocol: {p}"))
                    .unwrap_or_default(),
                reach_word(e.observed),
                quoted(&e.reason)
            ));
        }
        out
    }
}

/// A double-quoted YAML scalar (JSON string syntax is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

pub fn reach_word(reach: Reach) -> &'static str {
    match reach {
        Reach::Allow => "allow",
        Reach::Deny => "deny",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> BaselineEntry {
        BaselineEntry {
            suite: "metadata-access".into(),
            phase: "metadata-deny".into(),
            from: "pod1".into(),
            to: "metadata".into(),
            port: 32000,
            protocol: None,
            observed: Reach::Allow,
            reason: "kube-router: \"node IP\" hole, see #12".into(),
        }
    }

    #[test]
    fn phase_deviations_are_the_entries_of_that_suite_and_phase() {
        let mut other_phase = entry();
        other_phase.phase = "other".into();
        let mut other_suite = entry();
        other_suite.suite = "other".into();
        let baseline = Baseline {
            entries: vec![entry(), other_phase, other_suite],
        };
        let known = baseline.phase_deviations("metadata-access", "metadata-deny");
        assert_eq!(known, BTreeMap::from([(entry().key(), Reach::Allow)]));
    }

    #[test]
    fn written_yaml_reads_back() {
        let baseline = Baseline {
            entries: vec![entry()],
        };
        let text = baseline.to_yaml();
        assert_eq!(Baseline::parse(&text).unwrap(), baseline);
        assert_eq!(
            Baseline::parse(&Baseline::default().to_yaml()).unwrap(),
            Baseline::default()
        );
    }

    #[test]
    fn empty_and_comment_only_files_are_empty_baselines() {
        assert!(Baseline::parse("").unwrap().entries.is_empty());
        assert!(Baseline::parse("# nothing\n\n").unwrap().entries.is_empty());
    }

    #[test]
    fn unknown_fields_and_bad_values_are_errors() {
        let text = "- {suite: s, phase: p, from: a, to: b, port: 1, observed: allow, reason: r, colour: x}\n";
        assert!(Baseline::parse(text).is_err());
        let text = "- {suite: s, phase: p, from: a, to: b, port: 1, observed: maybe, reason: r}\n";
        assert!(Baseline::parse(text).is_err());
    }

    #[test]
    fn find_matches_suite_phase_cell_and_observation() {
        let baseline = Baseline {
            entries: vec![entry()],
        };
        let key = entry().key();
        assert!(
            baseline
                .find("metadata-access", "metadata-deny", &key, Reach::Allow)
                .is_some()
        );
        assert!(
            baseline
                .find("metadata-access", "metadata-deny", &key, Reach::Deny)
                .is_none()
        );
        assert!(
            baseline
                .find("other", "metadata-deny", &key, Reach::Allow)
                .is_none()
        );
    }
}
