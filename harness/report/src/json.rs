//! The `--json` document of a run (schema `netreach.run/v1`, reports/schema/run.schema.json): every cell with
//! the fields of `netreach plan --json` plus what was observed, its verdict and how to reproduce it.

use std::io::Write;

use netreach_core::cell::{CellResult, DenyKind, Observation, Reach};
use netreach_core::provenance::Provenance;
use netreach_core::world::Protocol;
use serde::Serialize;

use netreach_core::verdict::Verdict;

use crate::assess::{Assessment, StaleEntry, Summary};

#[derive(Debug, Serialize)]
pub struct RunDocument<'a> {
    pub schema: &'static str,
    pub suite: &'a str,
    pub run_id: &'a str,
    /// The suite's namespaces -> those the run worked in (a run works in namespaces of its own, named after the
    /// suite's plus the run id; `--use-existing` maps the suite's namespace to the one given). Everything else in
    /// the document uses the suite's names, except `reproduce`, which names the run's.
    pub namespaces: &'a std::collections::BTreeMap<String, String>,
    /// Where, when and how the run was made.
    pub provenance: Option<&'a Provenance>,
    /// The exit code `netreach run` returns for these results.
    pub exit_code: i32,
    pub summary: Summary,
    pub phases: Vec<PhaseDocument<'a>>,
    /// Baseline entries of this suite that no longer deviate as recorded.
    pub stale_baseline: &'a [StaleEntry],
}

#[derive(Debug, Serialize)]
pub struct PhaseDocument<'a> {
    pub name: &'a str,
    pub policies: &'a [String],
    pub probe_millis: u64,
    pub summary: Summary,
    pub cells: Vec<CellDocument<'a>>,
}

#[derive(Debug, Serialize)]
pub struct CellDocument<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub port: u16,
    pub protocol: Protocol,
    /// `allow`/`deny`; null when nothing was expected.
    pub expected: Option<Reach>,
    /// The oracle's verdict under the suite's profile, when it could judge the cell.
    pub oracle: Option<Reach>,
    pub implementation_defined: bool,
    pub switches: &'a [String],
    pub explanation: Option<&'a str>,
    /// `allow`, `deny`, `error` or `skipped`.
    pub observed: &'static str,
    /// HTTP status of a connection.
    pub http_status: Option<u16>,
    /// `timeout` or `refused` for a denial.
    pub deny_kind: Option<DenyKind>,
    /// curl's exit code: 0 connected, 7 refused, 28 timed out; null for an error or a skip.
    pub curl_exit: Option<i32>,
    /// The error or the reason for a skip.
    pub message: Option<&'a str>,
    pub attempts: u32,
    /// Milliseconds from the start of probing the phase until the first probe that matched the cell's expectation
    /// and that the confirmation round upheld (see `CellResult::settled_after`).
    pub settle_millis: Option<u64>,
    pub from_node: Option<&'a str>,
    pub to_node: Option<&'a str>,
    pub url: &'a str,
    pub reproduce: &'a str,
    /// `pass`, `fail`, `known`, `implementation_defined`, `error` or `skipped`.
    pub status: &'static str,
    /// For a `known` cell: the baseline's reason.
    pub baseline_reason: Option<&'a str>,
}

impl<'a> RunDocument<'a> {
    pub const SCHEMA: &'static str = "netreach.run/v1";

    pub fn new(assessment: &'a Assessment<'a>) -> Self {
        let phases = assessment
            .phases()
            .map(|(phase, verdicts)| PhaseDocument {
                name: &phase.name,
                policies: &phase.policies,
                probe_millis: phase.probe_millis,
                summary: {
                    let mut summary = Summary::of(verdicts.iter());
                    summary.stale = assessment.stale_in(&phase.name).count();
                    summary
                },
                cells: phase
                    .cells
                    .iter()
                    .zip(verdicts)
                    .map(|(cell, verdict)| cell_document(cell, verdict))
                    .collect(),
            })
            .collect();
        Self {
            schema: Self::SCHEMA,
            suite: &assessment.report.suite,
            run_id: &assessment.report.run_id,
            namespaces: &assessment.report.namespaces,
            provenance: assessment.report.provenance.as_ref(),
            exit_code: assessment.summary.exit_code(),
            summary: assessment.summary,
            phases,
            stale_baseline: &assessment.stale,
        }
    }
}

fn cell_document<'a>(cell: &'a CellResult, verdict: &'a Verdict) -> CellDocument<'a> {
    let (observed, http_status, deny_kind, curl_exit, message) = match &cell.observed {
        Observation::Allowed { http_status } => ("allow", Some(*http_status), None, Some(0), None),
        Observation::Denied {
            kind,
            curl_exit,
            evidence,
        } => (
            "deny",
            None,
            Some(*kind),
            Some(*curl_exit),
            evidence.as_deref(),
        ),
        Observation::Error { message } => ("error", None, None, None, Some(message.as_str())),
        Observation::Skipped { reason } => ("skipped", None, None, None, Some(reason.as_str())),
    };
    CellDocument {
        from: &cell.key.from,
        to: &cell.key.to,
        port: cell.key.port,
        protocol: cell.key.protocol,
        expected: cell.expected,
        oracle: cell.oracle,
        implementation_defined: !cell.implementation_defined.is_empty(),
        switches: &cell.implementation_defined,
        explanation: cell.explanation.as_deref(),
        observed,
        http_status,
        deny_kind,
        curl_exit,
        message,
        attempts: cell.attempts,
        settle_millis: cell.settled_after.map(|d| d.as_millis() as u64),
        from_node: cell.from_node.as_deref(),
        to_node: cell.to_node.as_deref(),
        url: &cell.url,
        reproduce: &cell.reproduce,
        status: verdict.word(),
        baseline_reason: match verdict {
            Verdict::Known { reason } => Some(reason),
            _ => None,
        },
    }
}

/// Writes the document, pretty-printed, with a final newline.
pub fn write_json<W: Write>(out: &mut W, assessment: &Assessment) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &RunDocument::new(assessment))?;
    writeln!(out).map_err(serde_json::Error::io)
}
