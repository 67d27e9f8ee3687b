//! The conformance battery (pure): choosing cases by tag, the report of schema `netreach.conformance/v1` (tallies
//! per tag, failures with their reproduction, what the cluster chose on each implementation-defined point), the
//! baseline of known deviations (the comparison of two reports is [`crate::compare`]).

use crate::provenance::Provenance;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::baseline::Baseline;
use crate::cell::{CellResult, Reach};
use crate::oracle::{Profile, ProfileSwitch};
use crate::results::RunReport;
use crate::settings::ProbeSettings;
use crate::suite::Suite;
use crate::verdict::{Status, Tally, Verdict};

pub const SCHEMA: &str = "netreach.conformance/v1";

/// Tag every cell that depends on a profile switch carries, whatever its phase says.
pub const IMPLEMENTATION_DEFINED_TAG: &str = "implementation-defined";

/// The suite with only the phases carrying one of `tags` (all of them when `tags` is empty); `None` when no phase
/// is left. Phases keep their order and each lists every policy in force, so a subset still runs as written.
pub fn filter_by_tags(suite: &Suite, tags: &[String]) -> Option<Suite> {
    if tags.is_empty() {
        return Some(suite.clone());
    }
    let mut out = suite.clone();
    out.phases
        .retain(|phase| phase.tags.iter().any(|t| tags.contains(t)));
    // A pod created in a phase left out is created in the next phase kept; with none kept from there on, it has no
    // cells to probe and is left out too.
    out.pods.retain_mut(|pod| {
        let Some(index) = suite.created_in_index(pod) else {
            return true;
        };
        let next = suite.phases[index..]
            .iter()
            .find(|p| out.phases.iter().any(|kept| kept.name == p.name));
        pod.created_in = next.map(|p| p.name.clone());
        next.is_some()
    });
    (!out.phases.is_empty() && !out.pods.is_empty()).then_some(out)
}

/// The tags of `tags` that no phase of `suites` carries (in the order given): a misspelt or unknown tag would
/// otherwise choose nothing, silently, beside the tags that do choose phases.
pub fn unknown_tags<'a>(suites: &[Suite], tags: &'a [String]) -> Vec<&'a str> {
    tags.iter()
        .filter(|tag| {
            !suites
                .iter()
                .flat_map(|s| &s.phases)
                .any(|phase| phase.tags.contains(tag))
        })
        .map(String::as_str)
        .collect()
}

/// The whole battery's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConformanceReport {
    pub schema: String,
    pub netreach_version: String,
    /// The cluster's API server, as the kubeconfig names it.
    #[serde(default)]
    pub cluster: Option<String>,
    /// Where, when and how the battery ran.
    #[serde(default)]
    pub provenance: Option<Provenance>,
    /// The network plugin, as the person running the battery named it (`--plugin`).
    #[serde(default)]
    pub plugin: Option<String>,
    /// `--tags` (empty: every case).
    pub tags: Vec<String>,
    /// `--profile-name`: the named profile (suites/profiles/NAME.yaml) every suite assumed.
    #[serde(default)]
    pub profile_name: Option<String>,
    /// `--profile` overrides, as given.
    #[serde(default)]
    pub profile_overrides: Option<String>,
    /// The baseline file, when one was given.
    #[serde(default)]
    pub baseline: Option<String>,
    pub summary: Summary,
    pub suites: Vec<SuiteReport>,
    /// Cells that differ from the specification (known deviations included, marked).
    pub failures: Vec<Failure>,
    /// Per profile switch: what the profile assumed and what this cluster did.
    pub implementation_defined: Vec<Choice>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub totals: Tally,
    pub by_tag: BTreeMap<String, Tally>,
    /// `conformant` (every cell as specified, known deviations aside), `failures`, or `incomplete` (a suite or a
    /// cell could not be run).
    pub verdict: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteReport {
    pub name: String,
    pub file: String,
    pub tags: Vec<String>,
    /// The profile the oracle assumed for this suite (the suite's, with `--profile` applied).
    pub profile: Profile,
    /// Why the suite could not be run to the end (its cells are then missing).
    #[serde(default)]
    pub error: Option<String>,
    pub phases: Vec<PhaseReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    pub name: String,
    pub tags: Vec<String>,
    pub policies: Vec<String>,
    pub cells: Vec<CellReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellReport {
    /// `from->to:port`.
    pub cell: String,
    pub status: Status,
    /// The cell's tags: its phase's, plus `implementation-defined` when a profile switch decides it.
    pub tags: Vec<String>,
    /// The baseline's reason, for a known deviation.
    #[serde(default)]
    pub known_deviation: Option<String>,
    pub result: CellResult,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub suite: String,
    pub phase: String,
    pub cell: String,
    pub expected: Option<Reach>,
    /// `.`, `X`, `!` (error).
    pub observed: String,
    pub explanation: Option<String>,
    /// Commands that reproduce it: the suite, the oracle's reasoning, the probe itself.
    pub reproduce: Vec<String>,
    #[serde(default)]
    pub known_deviation: Option<String>,
}

/// One implementation-defined point and what this cluster chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub switch: String,
    /// The value the profile assumed (the suites' default unless `--profile-name`/`--profile` changed it).
    pub profile: bool,
    /// What the cluster did: `Some(v)` when every observed cell agrees on `v`, `None` when they disagree or none
    /// could be probed.
    pub observed: Option<bool>,
    pub note: String,
    pub cells: Vec<ChoiceCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceCell {
    pub suite: String,
    pub phase: String,
    pub cell: String,
    /// The oracle's verdict under the profile.
    pub profile_expected: Option<Reach>,
    pub observed: String,
    /// The switch's value this cell shows (`None`: not probed, or several switches decide it).
    pub chose: Option<bool>,
}

impl Choice {
    /// What the cluster chose, in words, from the cells that show it: `true`, `false`, `both: false on N cells, true
    /// on M cells` (a plugin that goes one way on some paths and the other on others, e.g. a pod to itself by its IP
    /// and through a Service), or `not observed` (no cell shows it: not probed, or decided by several switches).
    pub fn chosen(&self) -> String {
        let count = |value: bool| self.cells.iter().filter(|c| c.chose == Some(value)).count();
        let cells = |n: usize| format!("{n} cell{}", if n == 1 { "" } else { "s" });
        match (count(false), count(true)) {
            (0, 0) => "not observed".to_owned(),
            (_, 0) => "false".to_owned(),
            (0, _) => "true".to_owned(),
            (no, yes) => format!("both: false on {}, true on {}", cells(no), cells(yes)),
        }
    }
}

/// One suite's outcome, as the battery hands it to [`build_report`].
pub struct SuiteRun<'a> {
    pub suite: &'a Suite,
    /// The profile the run used.
    pub profile: Profile,
    pub outcome: Result<RunReport, String>,
}

/// Metadata of the battery run.
#[derive(Debug, Clone, Default)]
pub struct ReportContext {
    pub cluster: Option<String>,
    pub provenance: Option<Provenance>,
    pub plugin: Option<String>,
    pub tags: Vec<String>,
    pub profile_name: Option<String>,
    pub profile_overrides: Option<String>,
    pub baseline: Option<(String, Baseline)>,
    /// The probe settings the runs used (for the reproduce lines).
    pub probe: ProbeSettings,
}

fn note_of(switch: &str) -> String {
    match switch {
        "host-network-pods-selected" => "a hostNetwork pod shares the node's network namespace: it is not covered by NetworkPolicy (neither isolated nor selectable by pod selectors)".into(),
        "ipblock-matches-pod-ips" => "whether an ipBlock matches the IP of a pod (Calico, kube-router: yes; Cilium: no)".into(),
        "ipblock-matches-node-ips" => "whether an ipBlock matches a node's address, hostNetwork pods included (Cilium only with policy-cidr-match-mode=nodes)".into(),
        "policy-applies-to-self-traffic" => "whether policies restrict a pod's traffic to itself".into(),
        "equal-priority-first-by-name" => "which of two matching ClusterNetworkPolicies of the same tier and priority applies (the API leaves it open)".into(),
        "networks-match-node-ips" => "whether a ClusterNetworkPolicy networks peer matches a node's address (Cilium only with policy-cidr-match-mode=nodes)".into(),
        other => other.to_owned(),
    }
}

/// Builds the report of a battery run.
pub fn build_report(runs: &[SuiteRun<'_>], context: &ReportContext) -> ConformanceReport {
    let no_baseline = Baseline::default();
    let baseline = context.baseline.as_ref().map(|(_, b)| b);
    let mut summary = Summary::default();
    let mut suites = Vec::new();
    let mut failures = Vec::new();
    let mut choices: BTreeMap<String, Choice> = BTreeMap::new();
    let mut suite_not_run = false;
    for run in runs {
        let suite = run.suite;
        let file = suite.path.display().to_string();
        let mut report = SuiteReport {
            name: suite.name.clone(),
            file: file.clone(),
            tags: suite.tags.clone(),
            profile: run.profile,
            error: None,
            phases: Vec::new(),
        };
        let run_report = match &run.outcome {
            Ok(r) => r,
            Err(e) => {
                suite_not_run = true;
                report.error = Some(e.clone());
                suites.push(report);
                continue;
            }
        };
        for phase in &run_report.phases {
            let phase_tags = suite
                .phases
                .iter()
                .find(|p| p.name == phase.name)
                .map(|p| p.tags.clone())
                .unwrap_or_else(|| suite.tags.clone());
            let mut cells = Vec::new();
            for cell in &phase.cells {
                let deviation = baseline
                    .zip(cell.observed.reach())
                    .and_then(|(b, observed)| {
                        b.find(&suite.name, &phase.name, &cell.key, observed)
                    });
                let status = Verdict::of(
                    &suite.name,
                    &phase.name,
                    cell,
                    baseline.unwrap_or(&no_baseline),
                )
                .status();
                let mut tags: BTreeSet<String> = phase_tags.iter().cloned().collect();
                if !cell.implementation_defined.is_empty() {
                    tags.insert(IMPLEMENTATION_DEFINED_TAG.to_owned());
                }
                summary.totals.add(status);
                for tag in &tags {
                    summary.by_tag.entry(tag.clone()).or_default().add(status);
                }
                let name = cell.key.to_string();
                if matches!(
                    status,
                    Status::Fail | Status::KnownDeviation | Status::Error
                ) {
                    failures.push(Failure {
                        suite: suite.name.clone(),
                        phase: phase.name.clone(),
                        cell: name.clone(),
                        expected: cell.expected,
                        observed: cell.observed.symbol().to_owned(),
                        explanation: cell.explanation.clone(),
                        reproduce: reproduce(suite, &file, &phase.name, cell, &context.probe),
                        known_deviation: deviation.map(|d| d.reason.clone()),
                    });
                }
                for switch in &cell.implementation_defined {
                    let value = ProfileSwitch::from_name(switch)
                        .map(|s| run.profile.get(s))
                        .unwrap_or_default();
                    let chose = observed_choice(cell, value);
                    let choice = choices.entry(switch.clone()).or_insert_with(|| Choice {
                        switch: switch.clone(),
                        profile: value,
                        observed: None,
                        note: note_of(switch),
                        cells: Vec::new(),
                    });
                    choice.cells.push(ChoiceCell {
                        suite: suite.name.clone(),
                        phase: phase.name.clone(),
                        cell: name.clone(),
                        profile_expected: cell.oracle,
                        observed: cell.observed.symbol().to_owned(),
                        chose,
                    });
                }
                cells.push(CellReport {
                    cell: name,
                    status,
                    tags: tags.into_iter().collect(),
                    known_deviation: deviation.map(|d| d.reason.clone()),
                    result: cell.clone(),
                });
            }
            report.phases.push(PhaseReport {
                name: phase.name.clone(),
                tags: phase_tags,
                policies: phase.policies.clone(),
                cells,
            });
        }
        suites.push(report);
    }
    let implementation_defined: Vec<Choice> = choices
        .into_values()
        .map(|mut choice| {
            let seen: BTreeSet<bool> = choice.cells.iter().filter_map(|c| c.chose).collect();
            choice.observed = (seen.len() == 1).then(|| *seen.iter().next().unwrap_or(&false));
            choice
        })
        .collect();
    let exit_code = if suite_not_run {
        2
    } else {
        summary.totals.exit_code()
    };
    summary.verdict = match exit_code {
        0 => "conformant",
        1 => "failures",
        _ => "incomplete",
    }
    .to_owned();
    ConformanceReport {
        schema: SCHEMA.to_owned(),
        netreach_version: env!("CARGO_PKG_VERSION").to_owned(),
        cluster: context.cluster.clone(),
        provenance: context.provenance.clone(),
        plugin: context.plugin.clone(),
        tags: context.tags.clone(),
        profile_name: context.profile_name.clone(),
        profile_overrides: context.profile_overrides.clone(),
        baseline: context.baseline.as_ref().map(|(path, _)| path.clone()),
        summary,
        suites,
        failures,
        implementation_defined,
    }
}

/// The value of the one switch deciding `cell` that its observation shows, given the value the profile assumed:
/// the assumed one when the cluster did what the oracle expected, the other one when not; `None` when the cell was
/// not probed or several switches decide it.
pub fn observed_choice(cell: &CellResult, assumed: bool) -> Option<bool> {
    match (cell.observed.reach(), cell.oracle) {
        (Some(seen), Some(oracle)) if cell.implementation_defined.len() == 1 => {
            Some(if seen == oracle { assumed } else { !assumed })
        }
        _ => None,
    }
}

impl ConformanceReport {
    /// 0 conformant (known deviations aside), 1 some cell fails, 2 something could not be run (the rule of
    /// [`Tally::exit_code`], with a suite that could not be run counted as an error).
    pub fn exit_code(&self) -> i32 {
        match self.summary.verdict.as_str() {
            "conformant" => 0,
            "failures" => 1,
            _ => 2,
        }
    }

    /// Reads a report written by `netreach conformance --report`, checking its schema.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA) => {}
            Some(other) => return Err(format!("schema {other:?}, expected {SCHEMA:?}")),
            None => return Err(format!("no `schema` field (expected {SCHEMA:?})")),
        }
        serde_json::from_value(value).map_err(|e| format!("not a {SCHEMA} report: {e}"))
    }
}

fn reproduce(
    suite: &Suite,
    file: &str,
    phase: &str,
    cell: &CellResult,
    probe: &ProbeSettings,
) -> Vec<String> {
    let mut out = vec![
        format!("netreach run {file}"),
        format!(
            "netreach explain {file} --phase {phase} --from {} --to {}",
            cell.key.from, cell.key.to
        ),
    ];
    if !cell.reproduce.is_empty() {
        out.push(format!(
            "{}   # while the run's pods exist (netreach run --keep)",
            cell.reproduce
        ));
    } else if let Some(pod) = suite.pods.iter().find(|p| p.name == cell.key.from)
        && !cell.url.is_empty()
    {
        out.push(format!(
            "{}   # while the run's pods exist (netreach run --keep)",
            probe.reproduce_command(&pod.namespace, &pod.name, &cell.url)
        ));
    }
    out
}
