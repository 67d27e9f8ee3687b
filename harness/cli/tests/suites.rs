//! `cargo test` over the suites in `suites/`: one trial per cell, named `suite/phase/from->to:port`.
//!
//! Trial names come from `plan` alone (no cluster, no environment), so `--list` contacts nothing. Each suite with a
//! trial passing the filter is then run once against the cluster of `KUBECONFIG`, and the trials compare its cells.
//! Without a cluster every selected trial fails with the reason. A skipped cell is an ignored trial, never a pass.
//!
//! Under cargo-nextest (one process per trial, many at once) a suite is still run once per invocation: the first
//! process that needs it runs it and stores the report under the target directory, keyed by `NEXTEST_RUN_ID`; the
//! others wait on that file's lock and read it. Runs never collide (each works in namespaces of its own). A cell
//! the plan already knows is skipped is listed as ignored; one found skipped only at run time fails under nextest,
//! which would otherwise count it as passed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use netreach_core::baseline::Baseline;
use netreach_core::cell::{CellKey, CellResult, CellStatus};
use netreach_core::matrix::cell_keys;
use netreach_core::results::RunReport;
use netreach_core::suite::{Suite, load_suite, load_suite_for_planning};
use netreach_core::verdict::Verdict;
use netreach_kube::{FixtureImages, Mode, Outcome, RunOptions, connect, new_run_id, run_session};
use netreach_report::assess::phase_verdicts;
use netreach_report::style::Palette;
use netreach_report::terminal::{View, describe, write_phase};

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    let mut to_run = Vec::new();
    for path in suite_files() {
        match planned_cells(&path) {
            Ok(names) if args.list => trials.extend(names.into_iter().map(|cell| {
                Trial::test(cell.name, || Ok(())).with_ignored_flag(cell.planned_skip)
            })),
            Ok(names) => {
                if names.iter().any(|cell| selected(&args, &cell.name)) {
                    to_run.push((path, names));
                }
            }
            Err(message) => {
                trials.push(Trial::test(format!("load/{}", path.display()), move || {
                    Err(message.into())
                }));
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    for (path, names) in to_run {
        let report: Result<RunReport, String> = match load_suite(&path) {
            Ok(suite) => match std::env::var("NEXTEST_RUN_ID") {
                Ok(invocation) if !invocation.is_empty() => {
                    run_once_per_invocation(&invocation, &suite, || {
                        runtime.block_on(run_suite(&suite))
                    })
                }
                _ => runtime.block_on(run_suite(&suite)),
            },
            Err(error) => Err(error.to_string()),
        };
        if let Ok(report) = &report {
            for (index, phase) in report.phases.iter().enumerate() {
                let verdicts = phase_verdicts(&report.suite, phase, &Baseline::default());
                let mut out = Vec::new();
                let _ = write_phase(
                    &mut out,
                    View::Compact,
                    index,
                    phase,
                    &verdicts,
                    Palette::PLAIN,
                );
                eprintln!("{}", String::from_utf8_lossy(&out));
            }
        }
        let cells: BTreeMap<(String, CellKey), CellResult> = match &report {
            Ok(report) => report
                .phases
                .iter()
                .flat_map(|p| {
                    p.cells
                        .iter()
                        .map(move |c| ((p.name.clone(), c.key.clone()), c.clone()))
                })
                .collect(),
            Err(_) => BTreeMap::new(),
        };
        let planned_skips: BTreeSet<String> = names
            .iter()
            .filter(|cell| cell.planned_skip)
            .map(|cell| cell.name.clone())
            .collect();
        for PlannedTrial {
            name, phase, key, ..
        } in names
        {
            let cell = cells.get(&(phase, key)).cloned();
            let run_error = report.as_ref().err().cloned();
            let skipped = cell
                .as_ref()
                .is_some_and(|c| c.status() == CellStatus::Skipped);
            let trial = Trial::test(name.clone(), move || check(cell, run_error));
            // nextest runs only trials listed as not ignored, and counts an ignored one it runs as passed.
            let ignored = skipped && (!under_nextest() || planned_skips.contains(&name));
            trials.push(trial.with_ignored_flag(ignored));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn check(cell: Option<CellResult>, run_error: Option<String>) -> Result<(), Failed> {
    if let Some(error) = run_error {
        return Err(format!("the suite could not be run: {error}").into());
    }
    let cell = cell.ok_or("the run produced no result for this cell")?;
    // The exit-code rule of `netreach run` (a difference on an implementation-defined point is reported, not
    // failed); a skipped cell, run anyway with --include-ignored, is never a pass.
    let verdict = Verdict::of("", "", &cell, &Baseline::default());
    match verdict {
        Verdict::Skipped => Err(describe(&cell, &verdict).into()),
        _ if verdict.exit_code() == 0 => Ok(()),
        _ => Err(describe(&cell, &verdict).into()),
    }
}

/// A trial as the plan names it.
struct PlannedTrial {
    name: String,
    phase: String,
    key: CellKey,
    /// Known to be skipped before any run: its source is created in a later phase, or its outside destination has
    /// no address here.
    planned_skip: bool,
}

/// Every cell's trial, from the suite alone laid out as `netreach plan` does: no cluster, and outside addresses the
/// environment lacks are made up, so the names never depend on where they are listed.
fn planned_cells(path: &Path) -> Result<Vec<PlannedTrial>, String> {
    let suite: Suite = load_suite_for_planning(path, &|name| std::env::var(name).ok())
        .map_err(|e| e.to_string())?;
    let keys = cell_keys(&suite);
    let no_address = |to: &str| {
        let destination = suite.destinations.iter().find(|d| d.name == to);
        destination.is_some_and(|d| d.skip_reason().is_some())
    };
    Ok(suite
        .phases
        .iter()
        .enumerate()
        .flat_map(|(index, phase)| {
            let suite = &suite;
            keys.iter().map(move |key| PlannedTrial {
                name: format!("{}/{}/{key}", suite.name, phase.name),
                phase: phase.name.clone(),
                key: key.clone(),
                planned_skip: suite.not_created_yet(&key.from, index).is_some()
                    || no_address(&key.to),
            })
        })
        .collect())
}

fn under_nextest() -> bool {
    std::env::var_os("NEXTEST_RUN_ID").is_some_and(|v| !v.is_empty())
}

/// The suite's result for this nextest invocation: computed by `run` in the first process that asks (holding the
/// suite's lock file meanwhile), read from the stored report by every other.
fn run_once_per_invocation(
    invocation: &str,
    suite: &Suite,
    run: impl FnOnce() -> Result<RunReport, String>,
) -> Result<RunReport, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("nextest-suites")
        .join(invocation);
    let io = |what: &str, e: std::io::Error| format!("{what} in {}: {e}", dir.display());
    std::fs::create_dir_all(&dir).map_err(|e| io("creating the shared results directory", e))?;
    let lock = std::fs::File::create(dir.join(format!("{}.lock", suite.name)))
        .map_err(|e| io("creating the suite's lock file", e))?;
    lock.lock()
        .map_err(|e| io("locking the suite's lock file", e))?;
    let stored = dir.join(format!("{}.json", suite.name));
    if let Ok(text) = std::fs::read_to_string(&stored) {
        eprintln!(
            "suite {} was run by another test process of this invocation",
            suite.name
        );
        let stored: Result<RunReport, String> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", stored.display()))?;
        return stored;
    }
    let result = run();
    let text = serde_json::to_string(&result).map_err(|e| e.to_string())?;
    let partial = stored.with_extension("json.partial");
    std::fs::write(&partial, text).map_err(|e| io("storing the suite's result", e))?;
    std::fs::rename(&partial, &stored).map_err(|e| io("storing the suite's result", e))?;
    result
}

/// The same selection libtest-mimic applies, so suites with no selected trial are not run at all.
fn selected(args: &Arguments, name: &str) -> bool {
    let matches = |pattern: &str| {
        if args.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    args.filter.as_deref().is_none_or(matches) && !args.skip.iter().any(|s| matches(s))
}

async fn run_suite(suite: &Suite) -> Result<RunReport, String> {
    let client = connect(None, None).await.map(|c| c.client).map_err(|e| {
        format!("no cluster ({e}); set KUBECONFIG, e.g. eval \"$(scripts/cluster env)\"")
    })?;
    let options = RunOptions::new(FixtureImages::from_env(), Mode::Create);
    let run_id = new_run_id();
    let sink = |_event| {};
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let (outcome, cleanup) =
        run_session(&client, suite, &run_id, &options, &sink, false, interrupt).await;
    if let Some(error) = cleanup {
        return Err(format!("cleanup failed: {error}"));
    }
    match outcome {
        Outcome::Finished(report) => Ok(report),
        Outcome::Failed(error) => Err(error.to_string()),
        Outcome::Interrupted => Err("interrupted".into()),
        Outcome::Panicked(message) => Err(format!("panic: {message}")),
    }
}

fn suite_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files.sort();
    files
}
