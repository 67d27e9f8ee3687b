//! `netreach run`: load the suite, connect, run a session, print the closing line, map the outcome to an exit code.

use std::time::Duration;

use anyhow::{Context, bail};
use netreach_core::suite::load_suite;
use netreach_kube::{
    CurlTimeouts, FixtureImages, Mode, Outcome, RunOptions, connect, new_run_id, run_session,
};

use crate::args::RunArgs;
use crate::reporter::TerminalReporter;
use crate::signals::interrupted;

pub async fn run(args: RunArgs, quiet: bool) -> anyhow::Result<i32> {
    let suite = load_suite(&args.suite)?;
    let options = run_options(&args)?;
    let baseline = args.outputs.load_baseline()?;
    let client = connect(
        args.cluster.kubeconfig.as_deref(),
        args.cluster.context.as_deref(),
    )
    .await?;
    let run_id = new_run_id();
    let reporter = TerminalReporter::new(quiet).with_view(args.outputs.view(), baseline.clone());
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
    reporter.finish();
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
            let summary =
                args.outputs
                    .finish(&report, &baseline, crate::outputs::stdout_palette())?;
            println!("{summary}");
            Ok(if cleanup_error.is_some() {
                2
            } else {
                summary.exit_code()
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

/// The library's defaults, overridden by the flags that were given.
fn run_options(args: &RunArgs) -> anyhow::Result<RunOptions> {
    let mut images = FixtureImages::from_env();
    if let Some(image) = &args.probe_image {
        images.probe = image.clone();
    }
    if let Some(image) = &args.server_image {
        images.server = image.clone();
    }
    let mode = match &args.namespace {
        Some(namespace) => Mode::UseExisting {
            namespace: namespace.clone(),
        },
        None => Mode::Create,
    };
    let mut options = RunOptions::new(images, mode);
    if let Some(value) = args.connect_timeout {
        let connect = seconds(value, "--connect-timeout")?;
        options.probe.curl = CurlTimeouts {
            connect,
            total: connect + Duration::from_secs(2),
        };
    }
    if let Some(value) = args.settle_timeout {
        options.timing.settle_timeout = seconds(value, "--settle-timeout")?;
    }
    if let Some(value) = args.ready_timeout {
        options.ready_timeout = seconds(value, "--ready-timeout")?;
    }
    if let Some(count) = args.exec_concurrency {
        if count == 0 {
            bail!("--exec-concurrency: must be at least 1");
        }
        options.probe.exec_concurrency = count;
    }
    Ok(options)
}
