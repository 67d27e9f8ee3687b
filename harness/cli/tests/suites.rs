//! `cargo test` over the suites in `suites/`: one trial per cell, named `suite/phase/from->to:port`.
//!
//! Trial names come from `plan` alone (no cluster, no environment), so `--list` contacts nothing. Each suite with a
//! trial passing the filter is then run once against the cluster of `KUBECONFIG`, and the trials compare its cells.
//! Without a cluster every selected trial fails with the reason. A skipped cell is an ignored trial, never a pass.

use std::collections::BTreeMap;
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
            Ok(names) if args.list => trials.extend(
                names
                    .into_iter()
                    .map(|(name, _, _)| Trial::test(name, || Ok(()))),
            ),
            Ok(names) => {
                if names.iter().any(|(name, _, _)| selected(&args, name)) {
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
            Ok(suite) => runtime.block_on(run_suite(&suite)),
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
        for (name, phase, key) in names {
            let cell = cells.get(&(phase, key)).cloned();
            let run_error = report.as_ref().err().cloned();
            let ignored = cell
                .as_ref()
                .is_some_and(|c| c.status() == CellStatus::Skipped);
            let trial = Trial::test(name, move || check(cell, run_error));
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

/// `(trial name, phase, cell key)` of every cell, from the suite alone laid out as `netreach plan` does: no cluster,
/// and outside addresses the environment lacks are made up, so the names never depend on where they are listed.
fn planned_cells(path: &Path) -> Result<Vec<(String, String, CellKey)>, String> {
    let suite: Suite = load_suite_for_planning(path, &|name| std::env::var(name).ok())
        .map_err(|e| e.to_string())?;
    let keys = cell_keys(&suite);
    Ok(suite
        .phases
        .iter()
        .flat_map(|phase| {
            keys.iter().map(|key| {
                let name = format!("{}/{}/{key}", suite.name, phase.name);
                (name, phase.name.clone(), key.clone())
            })
        })
        .collect())
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
