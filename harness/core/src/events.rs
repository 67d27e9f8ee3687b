//! Events a run emits: the only thing the runner and the reporters share (as in cargo-nextest).

use std::time::Duration;

use crate::results::PhaseResult;

#[derive(Debug, Clone)]
pub enum RunEvent {
    Started {
        suite: String,
        run_id: String,
    },
    /// Hand-written cells the oracle disagrees with (reported before anything is deployed; not an error).
    Contradictions(Vec<String>),
    /// The run waits for another one (a host port it needs is in use): what for, and how long at most.
    Waiting(String),
    Deploying {
        pods: usize,
        servers: usize,
    },
    FixturesReady {
        elapsed: Duration,
    },
    PhaseStarted {
        index: usize,
        name: String,
        policies: Vec<String>,
    },
    /// A probe round of a phase finished: `settled` cells match, `pending` will be probed again.
    ProbeRound {
        phase: String,
        round: u32,
        settled: usize,
        pending: usize,
    },
    PhaseFinished(PhaseResult),
    CleaningUp,
}

/// Receives events; closures work as sinks.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: RunEvent);
}

impl<F: Fn(RunEvent) + Send + Sync> EventSink for F {
    fn emit(&self, event: RunEvent) {
        self(event)
    }
}
