//! A whole run with its guarantees: whatever happens (error, panic, interruption), what it created is deleted.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use kube::Client;
use netreach_core::events::{EventSink, RunEvent};
use netreach_core::results::RunReport;
use netreach_core::suite::Suite;
use tokio::sync::OnceCell;

use crate::cleanup::cleanup_run;
use crate::error::Error;
use crate::permissions::run_plan;
use crate::runner::{RunOptions, Runner};

/// How the run itself ended, before cleanup.
#[derive(Debug)]
pub enum Outcome {
    Finished(RunReport),
    Failed(Error),
    Interrupted,
    Panicked(String),
}

/// Runs the suite until it ends or `interrupt` resolves, then (unless `keep`) deletes everything of the run.
/// The second value is a cleanup failure, reported apart so it never hides the run's own outcome.
pub async fn run_session(
    client: &Client,
    suite: &Suite,
    run_id: &str,
    options: &RunOptions,
    sink: &dyn EventSink,
    keep: bool,
    interrupt: impl Future<Output = ()>,
) -> (Outcome, Option<Error>) {
    // Taken by the runner after its preflight (bad input leaves the cluster untouched), given back here.
    let leases = OnceCell::new();
    let runner = Runner {
        client: client.clone(),
        suite,
        run_id,
        options,
        sink,
        leases: Some(&leases),
    };
    let outcome = tokio::select! {
        result = AssertUnwindSafe(runner.run()).catch_unwind() => match result {
            Ok(Ok(report)) => Outcome::Finished(report),
            Ok(Err(error)) => Outcome::Failed(error),
            Err(panic) => Outcome::Panicked(
                panic.downcast_ref::<String>().cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into()),
            ),
        },
        () = interrupt => Outcome::Interrupted,
    };
    let leases = leases.into_inner();
    let release = async move {
        match leases {
            Some(leases) => leases.release().await.err(),
            None => None,
        }
    };
    if keep {
        // Kept fixtures outlive the run; its Leases do not (a kept hostNetwork server still binds its port).
        return (outcome, release.await);
    }
    sink.emit(RunEvent::CleaningUp);
    let started = std::time::Instant::now();
    // The Leases go last: a host port is free once the namespaces (and so the pods binding it) are gone.
    // A plan that cannot be made was refused before anything was created: nothing outside its namespaces then.
    let existing = run_plan(suite, run_id, options)
        .map(|plan| plan.placed_in_existing_namespaces())
        .unwrap_or_default();
    let cleanup = match cleanup_run(client, run_id, &existing, Duration::from_secs(120)).await {
        Ok(()) => release.await,
        Err(error) => Some(error),
    };
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "cleanup done (namespaces gone)"
    );
    (outcome, cleanup)
}
