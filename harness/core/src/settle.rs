//! When the cells of a phase are decided (pure): each probe result goes in with its time, out comes whether and
//! when to probe the cell again, which cells the confirmation round re-probes, and the cells' results with their
//! settle times. The cells of a pod created in the phase are decided by their first probe unless it matches.
//!
//! A cell's settle time is the time of the first probe that matched its expectation and that every later probe
//! (the confirmation round) upheld: the policies were in force for that cell by then, so it bounds the time to
//! enforce from above, to within one retry interval plus one probe's duration.
//!
//! Times are durations since probing of the phase started: right after its policies were applied (and after the
//! pods it creates are Ready).
//!
//! A known deviation (a baseline entry: this cell is observed allow, or deny, on this enforcer) decides its cell
//! when it is observed, instead of probing it again until the settle timeout; the confirmation round always
//! re-probes such a cell, so the deviation stands only if it is still observed after every other cell of the phase
//! settled (and no sooner than the confirmation time). What is not checked then: whether the enforcer would have
//! become right later within the settle timeout. The other outcome of an implementation-defined cell (the
//! enforcer's other choice, see `CellResult::is_profile_choice`) is decided and confirmed the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::cell::{CellKey, CellResult, Observation, Reach};

/// The timing rules of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long a cell may take to match its expectation.
    pub settle_timeout: Duration,
    /// Pause between probes of a cell that does not match yet.
    pub retry_interval: Duration,
    /// Cells that matched sooner than this are probed once more, no sooner than this (the confirmation round):
    /// a match seen before the policies took effect does not count.
    pub confirm_after: Duration,
}

/// A pod created in the phase (`createdIn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewPod {
    /// How long before probing started the pod was created.
    pub created_before: Duration,
    /// How long it took from creation to Ready.
    pub ready_after: Duration,
}

/// What to do with a cell after one of its probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Decided for now: not probed again (until the confirmation round, if it takes part).
    Decided,
    /// Not as expected yet: probe again after this pause.
    Retry(Duration),
    /// Not as expected, and the settle deadline leaves no room for another probe.
    GiveUp,
}

/// The cells of one phase while they are probed.
#[derive(Debug, Clone)]
pub struct Settle {
    timing: Timing,
    cells: Vec<CellResult>,
    index: BTreeMap<CellKey, usize>,
    new_pods: BTreeMap<String, NewPod>,
    /// The known deviation of a cell: what it is accepted to be observed instead of its expectation.
    known: BTreeMap<CellKey, Reach>,
    /// The cells (by index) last decided by their known deviation or their implementation-defined other choice.
    decided_known: BTreeSet<usize>,
}

impl Settle {
    /// Starts from the phase's unobserved cells (see [`crate::matrix::Cell::unobserved`]) in report order.
    pub fn new(cells: Vec<CellResult>, timing: Timing, new_pods: BTreeMap<String, NewPod>) -> Self {
        let mut cells = cells;
        for cell in &mut cells {
            if !matches!(cell.observed, Observation::Skipped { .. })
                && let Some(pod) = new_pods.get(&cell.key.from)
            {
                cell.ready_after = Some(pod.ready_after);
            }
        }
        let index = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| (cell.key.clone(), i))
            .collect();
        Self {
            timing,
            cells,
            index,
            new_pods,
            known: BTreeMap::new(),
            decided_known: BTreeSet::new(),
        }
    }

    /// The phase's known deviations (from a baseline): a cell observed as its entry says is decided, then
    /// confirmed once more in the confirmation round.
    pub fn with_known_deviations(mut self, known: BTreeMap<CellKey, Reach>) -> Self {
        self.known = known;
        self
    }

    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Every cell of the phase, skipped ones included.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The cell, as observed so far.
    pub fn cell(&self, key: &CellKey) -> Option<&CellResult> {
        self.index.get(key).map(|&i| &self.cells[i])
    }

    /// The cells to probe (every one that is not skipped), in order.
    pub fn to_probe(&self) -> Vec<&CellResult> {
        self.cells
            .iter()
            .filter(|c| !matches!(c.observed, Observation::Skipped { .. }))
            .collect()
    }

    /// Records one probe of `key`, sent at `at` (since probing of the phase started; when the probe saw the cluster,
    /// not when its batch came back).
    pub fn observe(&mut self, key: &CellKey, observation: Observation, at: Duration) -> Next {
        let Some(&i) = self.index.get(key) else {
            return Next::Decided;
        };
        let cell = &mut self.cells[i];
        let observation = observation.given_dns(cell.dns);
        let new_pod = self.new_pods.get(&key.from);
        let first_of_new_pod = cell.attempts == 0 && new_pod.is_some();
        cell.attempts += 1;
        if matches!(observation, Observation::Skipped { .. }) {
            // The prober found the cell cannot be probed here (SCTP on a kernel without it): final.
            cell.observed = observation;
            return Next::Decided;
        }
        let matches = observation.reach().is_some() && observation.reach() == cell.expected;
        let known = !matches
            && observation.reach().is_some_and(|reach| {
                self.known.get(key) == Some(&reach) || cell.is_profile_choice()
            });
        self.decided_known.remove(&i);
        if let Some(pod) = new_pod.filter(|_| first_of_new_pod) {
            cell.first_probe_after = Some(pod.created_before + at);
            if !matches {
                // Not protected from its first probe: that result stands, later ones do not change it.
                cell.observed = observation;
                return Next::Decided;
            }
        }
        cell.observed = observation;
        if matches {
            // The first match of the run of matches that ends the cell: a confirmation that upholds it keeps it.
            cell.settled_after.get_or_insert(at);
            Next::Decided
        } else if known {
            // Not a settle time (the cell never matched its expectation); the confirmation round re-probes it.
            cell.settled_after = None;
            self.decided_known.insert(i);
            Next::Decided
        } else {
            cell.settled_after = None;
            self.retry(at)
        }
    }

    /// After a mismatch at `at`: probe again after the interval, unless that would pass the settle deadline.
    fn retry(&self, at: Duration) -> Next {
        if at + self.timing.retry_interval <= self.timing.settle_timeout {
            Next::Retry(self.timing.retry_interval)
        } else {
            Next::GiveUp
        }
    }

    /// The confirmation round: at `confirm_after` at the earliest, the cells that matched sooner than that, and
    /// every cell decided by its known deviation.
    pub fn confirmation(&self) -> (Duration, Vec<&CellResult>) {
        let after = self.timing.confirm_after;
        let cells = self
            .cells
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                !matches!(c.observed, Observation::Skipped { .. })
                    && (c.settled_after.is_some_and(|t| t < after)
                        || self.decided_known.contains(i))
            })
            .map(|(_, c)| c)
            .collect();
        (after, cells)
    }

    /// The cells, in the order they were given.
    pub fn into_cells(self) -> Vec<CellResult> {
        self.cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::{DenyKind, Reach};
    use crate::world::Protocol;

    const fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    const TIMING: Timing = Timing {
        settle_timeout: Duration::from_secs(30),
        retry_interval: Duration::from_millis(500),
        confirm_after: Duration::from_secs(1),
    };

    fn key(from: &str, to: &str) -> CellKey {
        CellKey {
            from: from.into(),
            to: to.into(),
            port: 80,
            protocol: Protocol::Tcp,
        }
    }

    fn cell(from: &str, to: &str, expected: Reach) -> CellResult {
        CellResult {
            key: key(from, to),
            from_node: None,
            to_node: None,
            url: format!("http://{to}/"),
            expected: Some(expected),
            observed: Observation::Error {
                message: "not probed".into(),
            },
            attempts: 0,
            settled_after: None,
            implementation_defined: Vec::new(),
            oracle: None,
            explanation: None,
            dns: None,
            reproduce: String::new(),
            ready_after: None,
            first_probe_after: None,
        }
    }

    fn allowed() -> Observation {
        Observation::Allowed { http_status: 200 }
    }

    fn denied() -> Observation {
        Observation::Denied {
            kind: DenyKind::Timeout,
            curl_exit: 28,
            evidence: None,
        }
    }

    fn settle(cells: Vec<CellResult>) -> Settle {
        Settle::new(cells, TIMING, BTreeMap::new())
    }

    /// The keys of the cells the confirmation round re-probes, in order.
    fn confirmed_keys(s: &Settle) -> Vec<CellKey> {
        s.confirmation()
            .1
            .into_iter()
            .map(|c| c.key.clone())
            .collect()
    }

    #[test]
    fn a_match_is_decided_and_records_its_time() {
        let mut s = settle(vec![cell("a", "x", Reach::Deny)]);
        assert_eq!(s.observe(&key("a", "x"), denied(), ms(300)), Next::Decided);
        let c = s.cell(&key("a", "x")).unwrap();
        assert_eq!((c.attempts, c.settled_after), (1, Some(ms(300))));
    }

    #[test]
    fn a_mismatch_is_retried_after_the_interval_while_the_deadline_allows() {
        let mut s = settle(vec![cell("a", "x", Reach::Deny)]);
        let k = key("a", "x");
        assert_eq!(s.observe(&k, allowed(), ms(300)), Next::Retry(ms(500)));
        // The last probe that still fits: its retry would come back exactly at the deadline.
        assert_eq!(s.observe(&k, allowed(), ms(29_500)), Next::Retry(ms(500)));
        assert_eq!(s.observe(&k, allowed(), ms(29_501)), Next::GiveUp);
        let c = s.cell(&k).unwrap();
        assert_eq!((c.attempts, c.settled_after), (3, None));
        assert_eq!(c.observed, allowed());
    }

    #[test]
    fn an_error_never_matches() {
        let mut s = settle(vec![cell("a", "x", Reach::Allow)]);
        let error = Observation::Error {
            message: "exec failed".into(),
        };
        assert_eq!(
            s.observe(&key("a", "x"), error, ms(100)),
            Next::Retry(ms(500))
        );
    }

    #[test]
    fn skipped_cells_are_not_probed() {
        let mut skipped = cell("a", "y", Reach::Allow);
        skipped.observed = Observation::Skipped {
            reason: "no address".into(),
        };
        let s = settle(vec![cell("a", "x", Reach::Allow), skipped]);
        let keys: Vec<_> = s.to_probe().into_iter().map(|c| c.key.clone()).collect();
        assert_eq!(keys, vec![key("a", "x")]);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn the_confirmation_round_takes_the_cells_that_matched_before_confirm_after() {
        let mut s = settle(vec![
            cell("a", "early", Reach::Allow),
            cell("a", "edge", Reach::Allow),
            cell("a", "late", Reach::Allow),
            cell("a", "never", Reach::Allow),
        ]);
        s.observe(&key("a", "early"), allowed(), ms(999));
        s.observe(&key("a", "edge"), allowed(), ms(1000));
        s.observe(&key("a", "late"), denied(), ms(400));
        s.observe(&key("a", "late"), allowed(), ms(1400));
        s.observe(&key("a", "never"), denied(), ms(400));
        assert_eq!(s.confirmation().0, ms(1000));
        assert_eq!(confirmed_keys(&s), vec![key("a", "early")]);
    }

    #[test]
    fn a_confirmation_that_fails_is_retried() {
        let mut s = settle(vec![cell("a", "x", Reach::Deny)]);
        let k = key("a", "x");
        s.observe(&k, denied(), ms(200));
        assert_eq!(s.observe(&k, allowed(), ms(1100)), Next::Retry(ms(500)));
        assert_eq!(s.observe(&k, denied(), ms(1700)), Next::Decided);
        assert_eq!(s.cell(&k).unwrap().settled_after, Some(ms(1700)));
    }

    #[test]
    fn the_settle_time_is_the_first_match_the_confirmation_upheld() {
        // One cell never matches, so the confirmation round comes only at the deadline (issue 16, defect 1).
        let mut s = settle(vec![
            cell("a", "x", Reach::Deny),
            cell("a", "never", Reach::Deny),
        ]);
        s.observe(&key("a", "x"), denied(), ms(300));
        s.observe(&key("a", "never"), allowed(), ms(29_700));
        assert_eq!(
            s.observe(&key("a", "x"), denied(), ms(29_900)),
            Next::Decided
        );
        let c = s.cell(&key("a", "x")).unwrap();
        assert_eq!((c.attempts, c.settled_after), (2, Some(ms(300))));
    }

    #[test]
    fn a_match_the_confirmation_overturned_is_no_settle_time() {
        let mut s = settle(vec![cell("a", "x", Reach::Deny)]);
        let k = key("a", "x");
        s.observe(&k, denied(), ms(200));
        s.observe(&k, allowed(), ms(1100));
        assert_eq!(s.cell(&k).unwrap().settled_after, None);
    }

    fn new_pod() -> BTreeMap<String, NewPod> {
        BTreeMap::from([(
            "new".to_owned(),
            NewPod {
                created_before: ms(2000),
                ready_after: ms(1800),
            },
        )])
    }

    #[test]
    fn a_new_pods_first_probe_decides_its_cell_when_it_does_not_match() {
        let mut s = Settle::new(vec![cell("new", "x", Reach::Deny)], TIMING, new_pod());
        let k = key("new", "x");
        assert_eq!(s.observe(&k, allowed(), ms(300)), Next::Decided);
        let c = s.cell(&k).unwrap();
        assert_eq!(c.first_probe_after, Some(ms(2300)));
        assert_eq!(c.ready_after, Some(ms(1800)));
        assert_eq!((c.observed.clone(), c.settled_after), (allowed(), None));
        assert!(s.confirmation().1.is_empty());
    }

    #[test]
    fn a_new_pods_first_match_is_confirmed_like_any_other() {
        let mut s = Settle::new(vec![cell("new", "x", Reach::Deny)], TIMING, new_pod());
        let k = key("new", "x");
        assert_eq!(s.observe(&k, denied(), ms(300)), Next::Decided);
        assert_eq!(s.confirmation().1.len(), 1);
        // A later mismatch is retried: only the first probe decides on its own.
        assert_eq!(s.observe(&k, allowed(), ms(1200)), Next::Retry(ms(500)));
        assert_eq!(s.cell(&k).unwrap().first_probe_after, Some(ms(2300)));
    }

    fn known_allow(from: &str, to: &str) -> BTreeMap<CellKey, Reach> {
        BTreeMap::from([(key(from, to), Reach::Allow)])
    }

    #[test]
    fn a_known_deviation_decides_its_cell_without_a_settle_time() {
        let mut s =
            settle(vec![cell("a", "x", Reach::Deny)]).with_known_deviations(known_allow("a", "x"));
        let k = key("a", "x");
        assert_eq!(s.observe(&k, allowed(), ms(300)), Next::Decided);
        let c = s.cell(&k).unwrap();
        assert_eq!((c.observed.clone(), c.settled_after), (allowed(), None));
    }

    #[test]
    fn a_known_deviation_is_confirmed_even_when_first_seen_after_confirm_after() {
        let mut s = settle(vec![
            cell("a", "x", Reach::Deny),
            cell("a", "late", Reach::Deny),
        ])
        .with_known_deviations(known_allow("a", "x"));
        s.observe(&key("a", "x"), allowed(), ms(1500));
        s.observe(&key("a", "late"), denied(), ms(1500));
        assert_eq!(confirmed_keys(&s), vec![key("a", "x")]);
        // Upheld: still the known deviation, decided, and no settle time.
        assert_eq!(
            s.observe(&key("a", "x"), allowed(), ms(2000)),
            Next::Decided
        );
        assert_eq!(s.cell(&key("a", "x")).unwrap().settled_after, None);
    }

    #[test]
    fn a_known_deviation_the_confirmation_finds_as_expected_passes_with_its_time() {
        let mut s =
            settle(vec![cell("a", "x", Reach::Deny)]).with_known_deviations(known_allow("a", "x"));
        let k = key("a", "x");
        s.observe(&k, allowed(), ms(200));
        assert_eq!(s.observe(&k, denied(), ms(1100)), Next::Decided);
        let c = s.cell(&k).unwrap();
        assert_eq!(
            (c.observed.clone(), c.settled_after),
            (denied(), Some(ms(1100)))
        );
    }

    #[test]
    fn another_deviation_than_the_known_one_is_retried() {
        let mut s = settle(vec![
            cell("a", "x", Reach::Allow),
            cell("a", "other", Reach::Deny),
        ])
        .with_known_deviations(BTreeMap::from([(key("a", "x"), Reach::Deny)]));
        let error = Observation::Error {
            message: "exec failed".into(),
        };
        assert_eq!(
            s.observe(&key("a", "x"), error, ms(100)),
            Next::Retry(ms(500))
        );
        // The entry covers its own cell only.
        assert_eq!(
            s.observe(&key("a", "other"), allowed(), ms(100)),
            Next::Retry(ms(500))
        );
    }

    fn profile_choice(from: &str, to: &str, expected: Reach) -> CellResult {
        CellResult {
            oracle: Some(expected),
            implementation_defined: vec!["ipblock-matches-pod-ips".into()],
            ..cell(from, to, expected)
        }
    }

    #[test]
    fn the_other_choice_of_an_implementation_defined_cell_is_decided_and_confirmed() {
        let mut s = settle(vec![
            profile_choice("a", "x", Reach::Deny),
            cell("a", "late", Reach::Deny),
        ]);
        let k = key("a", "x");
        // Under another enforcer's profile: observed as the other choice, decided, no settle time...
        assert_eq!(s.observe(&k, allowed(), ms(300)), Next::Decided);
        assert_eq!(s.cell(&k).unwrap().settled_after, None);
        s.observe(&key("a", "late"), denied(), ms(1500));
        // ...and re-probed by the confirmation round like a known deviation.
        assert_eq!(confirmed_keys(&s), vec![k.clone()]);
        assert_eq!(s.observe(&k, allowed(), ms(2000)), Next::Decided);
        assert_eq!(
            s.into_cells()[0].status(),
            crate::cell::CellStatus::ImplementationDefined
        );
    }

    #[test]
    fn a_table_cell_the_oracle_disagrees_with_is_retried_even_if_implementation_defined() {
        // The expectation is the suite's table, not the oracle's choice: a mismatch is a failure to wait out.
        let mut s = settle(vec![CellResult {
            oracle: Some(Reach::Allow),
            ..profile_choice("a", "x", Reach::Deny)
        }]);
        assert_eq!(
            s.observe(&key("a", "x"), allowed(), ms(300)),
            Next::Retry(ms(500))
        );
    }

    #[test]
    fn a_known_deviation_that_comes_back_after_a_match_is_decided_again() {
        let mut s =
            settle(vec![cell("a", "x", Reach::Deny)]).with_known_deviations(known_allow("a", "x"));
        let k = key("a", "x");
        assert_eq!(s.observe(&k, denied(), ms(200)), Next::Decided);
        // The confirmation round overturns the early match with the known deviation: that stands.
        assert_eq!(s.observe(&k, allowed(), ms(1100)), Next::Decided);
        assert_eq!(s.cell(&k).unwrap().settled_after, None);
    }
}
