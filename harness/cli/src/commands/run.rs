//! `netreach run`: load the suite, connect, run a session, print the closing line, map the outcome to an exit code.

use anyhow::bail;
use netreach_core::suite::load_suite;
use netreach_kube::{Mode, Outcome, check_permissions, new_run_id, now, run_session};

use crate::args::{ClusterArgs, RunArgs};
use crate::signals::interrupted;

pub async fn run(args: RunArgs, cluster: &ClusterArgs, quiet: bool) -> anyhow::Result<i32> {
    let choice = args.profile.choice()?;
    let mut suite = load_suite(&args.suite)?;
    suite.profile = choice.apply(suite.profile);
    let mode = match &args.namespace {
        Some(namespace) => Mode::UseExisting {
            namespace: namespace.clone(),
        },
        None => Mode::Create,
    };
    let mut options = args.probe.run_options(mode)?;
    let baseline = args.outputs.load_baseline()?;
    options.known = baseline.clone();
    let connected = super::cluster::connect(cluster, quiet).await?;
    let run_id = new_run_id();
    check_permissions(&connected.client, &[(&suite, &run_id, &options)]).await?;
    let probed: Vec<String> = match &options.mode {
        Mode::UseExisting { namespace } => vec![namespace.clone()],
        Mode::Create => Vec::new(),
    };
    super::cluster::check_foreign_policies(&connected, &probed, args.strict).await?;
    let client = connected.client.clone();
    let started = now();
    let reporter = args.outputs.reporter(quiet, baseline);
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
    reporter.end_display();
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
        Outcome::Finished(mut report) => {
            let settings = options.verdict_settings(Some(&suite.profile));
            report.provenance = Some(connected.provenance(started, settings).await);
            let summary = reporter.finish(&report, &mut std::io::stdout().lock())?;
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
