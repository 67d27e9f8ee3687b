//! The `--junit` report: a testsuite per phase (`suite/phase`), a testcase per cell (`from->to:port`).
//!
//! A wrong cell is a failure carrying expected, observed, curl's exit code, the oracle's explanation and the
//! `kubectl exec` command that repeats the probe; a probe error is an error; a skipped cell is skipped; a known
//! deviation (baseline) is skipped with its reason; an implementation-defined difference passes with a
//! system-out note. Stale baseline entries are listed in their phase's system-err.

use std::io::Write;

use netreach_core::baseline::Baseline;
use netreach_core::cell::CellResult;
use netreach_core::conformance::SuiteRun;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use netreach_core::verdict::Verdict;

use crate::assess::Assessment;
use crate::terminal::{observed_phrase, stale_line};

#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    #[error("writing JUnit XML: {0}")]
    Serialize(#[from] quick_junit::SerializeError),
}

/// The battery's JUnit: each suite's phases as `run --junit` writes them, judged against `baseline`; a suite that
/// could not run is a testsuite with one errored testcase carrying the reason.
pub fn conformance_junit(runs: &[SuiteRun<'_>], baseline: &Baseline) -> Report {
    let mut report = Report::new("netreach conformance");
    for run in runs {
        match &run.outcome {
            Ok(finished) => {
                let suites = junit_report(&Assessment::new(finished, baseline)).test_suites;
                report.add_test_suites(suites);
            }
            Err(reason) => {
                let mut testsuite = TestSuite::new(run.suite.name.clone());
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(reason.clone());
                testsuite.add_test_case(TestCase::new("run", status));
                report.add_test_suite(testsuite);
            }
        }
    }
    report
}

/// Builds the report (no timestamps or ids: the same results give the same XML).
pub fn junit_report(assessment: &Assessment) -> Report {
    let suite = &assessment.report.suite;
    let mut report = Report::new(format!("netreach {suite}"));
    for (phase, verdicts) in assessment.phases() {
        let name = format!("{suite}/{}", phase.name);
        let mut testsuite = TestSuite::new(name.clone());
        testsuite.set_time(phase.probe_duration());
        testsuite.add_property(("policies", phase.policies.join(", ").as_str()));
        for (name, value) in assessment.report.provenance.iter().flat_map(|p| p.pairs()) {
            testsuite.add_property((name.as_str(), value.as_str()));
        }
        for (cell, verdict) in phase.cells.iter().zip(verdicts) {
            let mut case = TestCase::new(cell.key.to_string(), status(cell, verdict));
            case.set_classname(name.clone());
            let mut notes = Vec::new();
            if *verdict == Verdict::ImplementationDefined {
                notes.push(format!(
                    "implementation-defined: differs from the expectation only on {} (observed {}, expected {})\n{}",
                    cell.implementation_defined.join(", "),
                    cell.observed.symbol(),
                    cell.expected.map(|e| e.symbol()).unwrap_or("?"),
                    details(cell)
                ));
            }
            for stale in assessment
                .stale_in(&phase.name)
                .filter(|s| s.entry.key() == cell.key)
            {
                notes.push(stale_line(stale));
            }
            if !notes.is_empty() {
                case.set_system_out(notes.join("\n"));
            }
            testsuite.add_test_case(case);
        }
        let stale: Vec<String> = assessment.stale_in(&phase.name).map(stale_line).collect();
        if !stale.is_empty() {
            testsuite.set_system_err(stale.join("\n"));
        }
        report.add_test_suite(testsuite);
    }
    let elsewhere: Vec<String> = assessment.stale_elsewhere().map(stale_line).collect();
    if !elsewhere.is_empty() {
        let mut testsuite = TestSuite::new(format!("{suite}/(baseline)"));
        testsuite.set_system_err(elsewhere.join("\n"));
        report.add_test_suite(testsuite);
    }
    report
}

pub fn write_junit<W: Write>(out: W, assessment: &Assessment) -> Result<(), JunitError> {
    Ok(junit_report(assessment).serialize(out)?)
}

fn status(cell: &CellResult, verdict: &Verdict) -> TestCaseStatus {
    let expected = cell
        .expected
        .map(|e| format!("{e:?}").to_lowercase())
        .unwrap_or_else(|| "-".into());
    match verdict {
        Verdict::Pass | Verdict::ImplementationDefined => TestCaseStatus::success(),
        Verdict::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(format!(
                    "expected {expected}, {}",
                    observed_phrase(&cell.observed)
                ))
                .set_type("wrong reachability")
                .set_description(details(cell));
            status
        }
        Verdict::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(observed_phrase(&cell.observed))
                .set_type("probe error")
                .set_description(details(cell));
            status
        }
        Verdict::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(observed_phrase(&cell.observed));
            status
        }
        Verdict::Known { reason } => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message(format!(
                    "known deviation (baseline): expected {expected}, {}; {reason}",
                    observed_phrase(&cell.observed)
                ))
                .set_type("known")
                .set_description(details(cell));
            status
        }
    }
}

/// The body of a failure: every fact someone needs to judge and repeat the probe.
fn details(cell: &CellResult) -> String {
    let word = |r: Option<netreach_core::cell::Reach>| {
        r.map(|e| format!("{e:?}").to_lowercase())
            .unwrap_or_else(|| "-".into())
    };
    let curl_exit = match &cell.observed {
        netreach_core::cell::Observation::Allowed { .. } => "0".to_owned(),
        netreach_core::cell::Observation::Denied { curl_exit, .. } => curl_exit.to_string(),
        _ => "-".to_owned(),
    };
    let mut text = format!(
        "cell: {}\nexpected: {}\nobserved: {}\ncurl exit: {curl_exit}\nattempts: {}\nurl: {}\nnodes: {} -> {}\n",
        cell.key,
        word(cell.expected),
        observed_phrase(&cell.observed),
        cell.attempts,
        cell.url,
        cell.from_node.as_deref().unwrap_or("-"),
        cell.to_node.as_deref().unwrap_or("outside"),
    );
    if !cell.reproduce.is_empty() {
        text.push_str(&format!(
            "reproduce (while the run's pods exist, e.g. with --keep):\n  {}\n",
            cell.reproduce
        ));
    }
    if let Some(explanation) = &cell.explanation {
        text.push_str("oracle:\n");
        for line in explanation.lines() {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text
}
