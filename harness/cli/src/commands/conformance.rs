//! `netreach conformance`: run every suite of the battery (chosen by tags), `--jobs` at once, and write the report
//! (JSON, schema `netreach.conformance/v1`, and Markdown) in the battery's order, whatever order they finish in.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use futures::StreamExt;
use netreach_core::baseline::Baseline;
use netreach_core::conformance::{
    ReportContext, SuiteRun, build_report, filter_by_tags, unknown_tags,
};
use netreach_core::events::{EventSink, RunEvent};
use netreach_core::suite::{Suite, load_suite};
use netreach_kube::{Mode, Outcome, check_permissions, new_run_id, now, run_session};
use netreach_report::reporter::Reporter;

use crate::args::{ClusterArgs, ConformanceArgs};
use crate::signals::interrupted;

/// The events of one suite among several running at once, as lines on stderr naming the suite.
struct SuiteLines<'a> {
    suite: &'a str,
    quiet: bool,
}

impl EventSink for SuiteLines<'_> {
    fn emit(&self, event: RunEvent) {
        let line = match event {
            RunEvent::Started { run_id, .. } => format!("run {run_id} started"),
            RunEvent::Waiting(text) => text,
            RunEvent::PhaseFinished(phase) => format!(
                "phase {}: {} cells probed in {:.1}s",
                phase.name,
                phase.cells.len(),
                phase.probe_duration().as_secs_f64()
            ),
            _ => return,
        };
        if !self.quiet {
            eprintln!("[{}] {line}", self.suite);
        }
    }
}

/// The battery's suite files: `*.yaml` directly in `dir`, sorted by name.
pub fn suite_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file() && path.extension().is_some_and(|e| e == "yaml" || e == "yml")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no suites (*.yaml) in {}", dir.display());
    }
    Ok(files)
}

pub async fn conformance(
    args: ConformanceArgs,
    cluster: &ClusterArgs,
    quiet: bool,
) -> anyhow::Result<i32> {
    let choice = args.profile.choice()?;
    let baseline = match &args.baseline {
        Some(path) => Some((
            path.display().to_string(),
            Baseline::load(path).map_err(|e| anyhow::anyhow!("--baseline: {e}"))?,
        )),
        None => None,
    };
    let mut options = args.probe.run_options(Mode::Create)?;
    if let Some((_, known)) = &baseline {
        options.known = known.clone();
    }
    // Every suite is loaded (and so checked) before anything is deployed.
    let mut loaded: Vec<Suite> = Vec::new();
    for path in suite_files(&args.dir)? {
        loaded.push(load_suite(&path)?);
    }
    let unknown = unknown_tags(&loaded, &args.tags);
    if !unknown.is_empty() {
        bail!(
            "--tags: no phase of the suites in {} carries {}",
            args.dir.display(),
            unknown.join(", ")
        );
    }
    let mut suites: Vec<Suite> = Vec::new();
    for suite in &loaded {
        if let Some(mut chosen) = filter_by_tags(suite, &args.tags) {
            chosen.profile = choice.apply(chosen.profile);
            suites.push(chosen);
        }
    }
    if suites.is_empty() {
        bail!(
            "no phase of the suites in {} carries any of the tags {:?}",
            args.dir.display(),
            args.tags
        );
    }
    let connected = super::cluster::connect(cluster, quiet).await?;
    let run_ids: Vec<String> = suites.iter().map(|_| new_run_id()).collect();
    let runs: Vec<_> = suites
        .iter()
        .zip(&run_ids)
        .map(|(s, id)| (s, id.as_str(), &options))
        .collect();
    check_permissions(&connected.client, &runs).await?;
    super::cluster::check_foreign_policies(&connected, &[], args.strict).await?;
    let client = connected.client.clone();
    let cluster = Some(format!("Kubernetes {}", connected.version));
    // A ClusterNetworkPolicy is cluster-wide: its subject would cover another run's namespaces (the preflight
    // refuses that), so a battery with any runs one suite at a time.
    let cluster_wide = suites
        .iter()
        .any(|s| s.phases.iter().any(|p| !p.cluster_policies.is_empty()));
    let jobs = if cluster_wide && args.jobs > 1 {
        eprintln!(
            "note: suites with ClusterNetworkPolicies run one at a time (--jobs {} ignored)",
            args.jobs
        );
        1
    } else {
        usize::from(args.jobs).min(suites.len())
    };
    // One after the other, each phase's table shows as it finishes; at once, one line per suite event (the report
    // has the tables).
    let battery_started = now();
    let reporter = Reporter::new(quiet, crate::outputs::stdout_palette());
    let sessions = suites.iter().zip(run_ids).map(|(suite, run_id)| {
        let (client, options, reporter, connected) = (&client, &options, &reporter, &connected);
        async move {
            let started = now();
            let lines = SuiteLines {
                suite: &suite.name,
                quiet,
            };
            let sink: &dyn EventSink = if jobs == 1 { reporter } else { &lines };
            let (mut outcome, cleanup_error) =
                run_session(client, suite, &run_id, options, sink, false, interrupted()).await;
            if let Outcome::Finished(report) = &mut outcome {
                let settings = options.verdict_settings(Some(&suite.profile));
                report.provenance = Some(connected.provenance(started, settings).await);
            }
            (suite, run_id, outcome, cleanup_error)
        }
    });
    let finished: Vec<_> = futures::stream::iter(sessions)
        .buffered(jobs)
        .collect()
        .await;
    let mut outcomes = Vec::new();
    let mut was_interrupted = false;
    for (suite, run_id, outcome, cleanup_error) in finished {
        let outcome = match outcome {
            Outcome::Finished(report) => match cleanup_error {
                None => Ok(report),
                Some(e) => {
                    eprintln!("error: cleanup of run {run_id} failed: {e}; run `netreach cleanup`");
                    Ok(report)
                }
            },
            Outcome::Failed(error) => Err(error.to_string()),
            Outcome::Panicked(message) => Err(format!("internal error (panic): {message}")),
            Outcome::Interrupted => {
                was_interrupted = true;
                continue;
            }
        };
        if let Err(error) = &outcome {
            eprintln!("error: suite {}: {error}", suite.name);
        }
        outcomes.push(SuiteRun {
            suite,
            profile: suite.profile,
            outcome,
        });
    }
    if was_interrupted {
        eprintln!("error: interrupted; the runs' namespaces and policies were removed");
        return Ok(130);
    }
    let mut settings = options.verdict_settings(None);
    if let Some(name) = &args.profile.profile_name {
        settings.insert("profile-name".into(), name.clone());
    }
    if let Some(overrides) = &args.profile.profile {
        settings.insert("profile-overrides".into(), overrides.clone());
    }
    let report = build_report(
        &outcomes,
        &ReportContext {
            cluster,
            provenance: Some(connected.provenance(battery_started, settings).await),
            plugin: args.plugin.clone(),
            tags: args.tags.clone(),
            profile_name: args.profile.profile_name.clone(),
            profile_overrides: args.profile.profile.clone(),
            baseline: baseline.clone(),
            probe: options.probe,
        },
    );
    let markdown_path = args
        .markdown
        .clone()
        .or_else(|| args.report.as_ref().map(|p| p.with_extension("md")));
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
        eprintln!("report: {}", path.display());
    }
    if let Some(path) = &args.junit {
        let no_baseline = Baseline::default();
        let baseline = baseline.as_ref().map_or(&no_baseline, |(_, b)| b);
        let mut xml = Vec::new();
        netreach_report::junit::conformance_junit(&outcomes, baseline)
            .serialize(&mut xml)
            .map_err(|e| anyhow::anyhow!("--junit {}: {e}", path.display()))?;
        std::fs::write(path, xml).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("junit report: {}", path.display());
    }
    if let Some(path) = &markdown_path {
        std::fs::write(path, netreach_report::conformance::markdown(&report))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("markdown report: {}", path.display());
    }
    println!("{}", netreach_report::conformance::summary_text(&report));
    Ok(report.exit_code())
}
