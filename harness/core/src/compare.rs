//! The comparison of two conformance reports (pure): the cells whose status or observation differ, each classified
//! (an implementation-defined point and what each side chose, a plugin's known deviation with the baseline's
//! evidence, not comparable, or unexplained: a netreach bug candidate), and the choices and tallies side by side.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::conformance::{CellReport, Choice, ConformanceReport, observed_choice};
use crate::oracle::{Profile, ProfileSwitch};
use crate::verdict::{Status, Tally};

pub const SCHEMA: &str = "netreach.compare/v1";

/// One cell as the comparison sees it: two reports agree on a cell when these are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellState {
    pub status: Status,
    pub observed: String,
}

impl std::fmt::Display for CellState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (observed {})", self.status.name(), self.observed)
    }
}

/// Why a cell differs between the two reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Classification {
    /// Both sides are as their profiles expect (or differ only on a profile switch): the plugins chose differently
    /// where the specification lets them. `a_chose`/`b_chose`: the switch's value each side showed (`None` when
    /// several switches decide the cell or it was not probed).
    ImplementationDefined {
        switches: Vec<String>,
        a_chose: Option<bool>,
        b_chose: Option<bool>,
    },
    /// One side (or both) deviates from the specification, and its baseline says why.
    PluginDeviation { deviations: Vec<Deviation> },
    /// A side has no verdict to compare: absent, skipped, or a probe error.
    NotComparable { reason: String },
    /// A side fails with no baseline entry, or both pass on different observations with no switch deciding the
    /// cell: an unrecorded plugin deviation or a netreach bug, to look at.
    Unexplained { reason: String },
}

impl Classification {
    /// The class's name in the text output and the JSON (`class`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::ImplementationDefined { .. } => "implementation-defined",
            Self::PluginDeviation { .. } => "plugin deviation",
            Self::NotComparable { .. } => "not comparable",
            Self::Unexplained { .. } => "unexplained (netreach bug candidate)",
        }
    }
}

/// A known deviation of one side's plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deviation {
    /// `a` or `b`.
    pub side: &'static str,
    /// The plugin, as that report names it (`--plugin`), else the report's file.
    pub plugin: String,
    /// The baseline entry's reason.
    pub evidence: String,
}

/// A cell that differs between two reports (`None`: absent from that report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellDiff {
    pub suite: String,
    pub phase: String,
    pub cell: String,
    pub a: Option<CellState>,
    pub b: Option<CellState>,
    #[serde(flatten)]
    pub classification: Classification,
}

/// One side of a comparison, as the text and JSON name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The report's file, as given.
    pub report: String,
    pub plugin: Option<String>,
    pub profile_name: Option<String>,
    pub profile_overrides: Option<String>,
}

impl Side {
    pub fn of(report_file: &str, report: &ConformanceReport) -> Self {
        Self {
            report: report_file.to_owned(),
            plugin: report.plugin.clone(),
            profile_name: report.profile_name.clone(),
            profile_overrides: report.profile_overrides.clone(),
        }
    }

    /// The plugin's name, else the report's file.
    pub fn label(&self) -> &str {
        self.plugin.as_deref().unwrap_or(&self.report)
    }
}

/// The whole comparison (the document of `netreach compare --json`, schema `netreach.compare/v1`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub schema: &'static str,
    pub a: Side,
    pub b: Side,
    pub identical: usize,
    pub differences: Vec<CellDiff>,
    /// Per class name: how many differing cells.
    pub classes: BTreeMap<String, usize>,
    /// Per switch: (what A's cluster chose, what B's did).
    pub choices: BTreeMap<String, (Option<bool>, Option<bool>)>,
    /// The same in words ([`Choice::chosen`]: `both: …` where a side's cells went both ways), for the text.
    #[serde(skip)]
    pub chosen: BTreeMap<String, (String, String)>,
    /// Per tag: (A's tally, B's).
    pub by_tag: BTreeMap<String, (Option<Tally>, Option<Tally>)>,
}

impl Comparison {
    pub fn is_identical(&self) -> bool {
        self.differences.is_empty()
    }
}

type CellId = (String, String, String);

/// A cell of one report, with the profile its suite assumed.
struct Seen<'a> {
    cell: &'a CellReport,
    profile: Profile,
}

impl Seen<'_> {
    fn state(&self) -> CellState {
        CellState {
            status: self.cell.status,
            observed: self.cell.result.observed.symbol().to_owned(),
        }
    }

    /// The value the one switch deciding the cell shows.
    fn chose(&self) -> Option<bool> {
        let switch = self.cell.result.implementation_defined.first()?;
        let assumed = self.profile.get(ProfileSwitch::from_name(switch)?);
        observed_choice(&self.cell.result, assumed)
    }
}

fn cells(report: &ConformanceReport) -> (Vec<CellId>, BTreeMap<CellId, Seen<'_>>) {
    let mut order = Vec::new();
    let mut seen = BTreeMap::new();
    for suite in &report.suites {
        for phase in &suite.phases {
            for cell in &phase.cells {
                let id = (suite.name.clone(), phase.name.clone(), cell.cell.clone());
                order.push(id.clone());
                seen.insert(
                    id,
                    Seen {
                        cell,
                        profile: suite.profile,
                    },
                );
            }
        }
    }
    (order, seen)
}

/// Why the cell differs: a side with no verdict first, then known deviations, then unexplained failures, then
/// implementation-defined points.
fn classify(a: Option<&Seen<'_>>, b: Option<&Seen<'_>>, sides: (&Side, &Side)) -> Classification {
    let (Some(a), Some(b)) = (a, b) else {
        let only = if a.is_some() { "A" } else { "B" };
        return Classification::NotComparable {
            reason: format!("only in {only}"),
        };
    };
    let pair = [("a", a, sides.0), ("b", b, sides.1)];
    let unprobed: Vec<String> = pair
        .iter()
        .filter(|(_, s, _)| matches!(s.cell.status, Status::Error | Status::Skipped))
        .map(|(side, s, _)| format!("{}: {}", side.to_uppercase(), s.cell.status.name()))
        .collect();
    if !unprobed.is_empty() {
        return Classification::NotComparable {
            reason: unprobed.join(", "),
        };
    }
    let deviations: Vec<Deviation> = pair
        .iter()
        .filter_map(|(side, s, named)| {
            s.cell.known_deviation.as_ref().map(|reason| Deviation {
                side,
                plugin: named.label().to_owned(),
                evidence: reason.clone(),
            })
        })
        .collect();
    if !deviations.is_empty() {
        return Classification::PluginDeviation { deviations };
    }
    let failing: Vec<&str> = pair
        .iter()
        .filter(|(_, s, _)| s.cell.status == Status::Fail)
        .map(|(side, _, _)| *side)
        .collect();
    if !failing.is_empty() {
        return Classification::Unexplained {
            reason: format!(
                "{} fails with no baseline entry",
                failing.join(" and ").to_uppercase()
            ),
        };
    }
    let switches: BTreeSet<&String> = a
        .cell
        .result
        .implementation_defined
        .iter()
        .chain(&b.cell.result.implementation_defined)
        .collect();
    if switches.is_empty() {
        return Classification::Unexplained {
            reason: "both as expected, yet observed differently with no switch deciding the cell (the reports' \
                     suites differ?)"
                .to_owned(),
        };
    }
    Classification::ImplementationDefined {
        switches: switches.into_iter().cloned().collect(),
        a_chose: a.chose(),
        b_chose: b.chose(),
    }
}

/// Compares two reports cell by cell (status and observation), in A's order, then B's extra cells.
pub fn compare(a: (&str, &ConformanceReport), b: (&str, &ConformanceReport)) -> Comparison {
    let sides = (Side::of(a.0, a.1), Side::of(b.0, b.1));
    let (a, b) = (a.1, b.1);
    let (order_a, seen_a) = cells(a);
    let (order_b, seen_b) = cells(b);
    let mut differences = Vec::new();
    let mut identical = 0;
    let extra_b = order_b.iter().filter(|id| !seen_a.contains_key(*id));
    for id in order_a.iter().chain(extra_b) {
        let (x, y) = (seen_a.get(id), seen_b.get(id));
        if x.map(Seen::state) == y.map(Seen::state) {
            identical += 1;
        } else {
            differences.push(CellDiff {
                suite: id.0.clone(),
                phase: id.1.clone(),
                cell: id.2.clone(),
                a: x.map(Seen::state),
                b: y.map(Seen::state),
                classification: classify(x, y, (&sides.0, &sides.1)),
            });
        }
    }
    let mut classes = BTreeMap::new();
    for diff in &differences {
        *classes
            .entry(diff.classification.name().to_owned())
            .or_default() += 1;
    }
    let mut choices = BTreeMap::new();
    for choice in &a.implementation_defined {
        choices.insert(choice.switch.clone(), (choice.observed, None));
    }
    for choice in &b.implementation_defined {
        choices
            .entry(choice.switch.clone())
            .or_insert((None, None))
            .1 = choice.observed;
    }
    let words = |report: &ConformanceReport, switch: &str| {
        let choice = report
            .implementation_defined
            .iter()
            .find(|c| c.switch == switch);
        choice.map_or_else(|| "not observed".to_owned(), Choice::chosen)
    };
    let chosen = choices
        .keys()
        .map(|switch| (switch.clone(), (words(a, switch), words(b, switch))))
        .collect();
    let mut by_tag = BTreeMap::new();
    for (tag, tally) in &a.summary.by_tag {
        by_tag.insert(tag.clone(), (Some(*tally), None));
    }
    for (tag, tally) in &b.summary.by_tag {
        by_tag.entry(tag.clone()).or_insert((None, None)).1 = Some(*tally);
    }
    Comparison {
        schema: SCHEMA,
        a: sides.0,
        b: sides.1,
        identical,
        differences,
        classes,
        choices,
        chosen,
        by_tag,
    }
}
