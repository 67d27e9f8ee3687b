//! `netreach run`: load the suite, connect, run a session, print the closing line, map the outcome to an exit code.

use std::time::Duration;

use anyhow::{Context, bail};
use netreach_core::suite::load_suite;
use netreach_kube::{
    CurlTimeouts, FixtureImages, Mode, Outcome, ProbeOptions, RunOptions, connect, new_run_id,
    run_session,
};

use crate::args::RunArgs;
use crate::reporter::TerminalReporter;
use crate::signals::interrupted;

pub async fn run(args: RunArgs, quiet: bool) -> anyhow::Result<i32> {
    let suite = load_suite(&args.suite)?;
    let options = run_options(&args)?;
    let client = connect(
        args.cluster.kubeconfig.as_deref(),
        args.cluster.context.as_deref(),
    )
    .await?;
    let run_id = new_run_id();
    let reporter = TerminalReporter::new(quiet);
    let (outcome, cleanup_error) = run_session(
        &client,
        &suite,
        &run_id,
        &options,
        &reporter,
        args.keep,
        interrupted(),
    )
    .await;
    if let Some(error) = &cleanup_error {
        eprintln!(
            "error: cleanup of run {run_id} failed: {error}; run `netreach cleanup` to retry"
        );
    }
    if args.keep {
        eprintln!(
            "--keep: left run {run_id} in place (namespaces labelled netreach.io/run-id={run_id})"
        );
    }
    match outcome {
        Outcome::Finished(report) => {
            let tally = report.tally();
            println!("{tally}");
            Ok(if cleanup_error.is_some() {
                2
            } else {
                tally.exit_code()
            })
        }
        Outcome::Failed(error) => bail!(error),
        Outcome::Interrupted => {
            eprintln!("error: interrupted; the run's namespaces and policies were removed");
            Ok(130)
        }
        Outcome::Panicked(message) => bail!("internal error (panic): {message}"),
    }
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{flag}: must be a positive number of seconds"))
}

fn run_options(args: &RunArgs) -> anyhow::Result<RunOptions> {
    let connect = seconds(args.connect_timeout, "--connect-timeout")?;
    let mut images = FixtureImages::from_env();
    if let Some(image) = &args.probe_image {
        images.probe = image.clone();
    }
    if let Some(image) = &args.server_image {
        images.server = image.clone();
    }
    if args.exec_concurrency == 0 {
        bail!("--exec-concurrency: must be at least 1");
    }
    Ok(RunOptions {
        images,
        mode: match &args.namespace {
            Some(namespace) => Mode::UseExisting {
                namespace: namespace.clone(),
            },
            None => Mode::Create,
        },
        ready_timeout: seconds(args.ready_timeout, "--ready-timeout")?,
        settle_timeout: seconds(args.settle_timeout, "--settle-timeout")?,
        retry_interval: Duration::from_millis(500),
        probe: ProbeOptions {
            curl: CurlTimeouts {
                connect,
                total: connect + Duration::from_secs(2),
            },
            exec_concurrency: args.exec_concurrency,
            probes_per_exec: 64,
        },
    })
}
