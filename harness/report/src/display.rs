//! The terminal display of a run's events: progress (a bar when stderr is a terminal, lines otherwise) and each
//! phase's truth table on stdout as soon as the phase finishes, in the chosen view, with baseline verdicts.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netreach_core::baseline::Baseline;
use netreach_core::events::{EventSink, RunEvent};

use crate::assess::phase_verdicts;
use crate::style::Palette;
use crate::terminal::{View, write_phase};

pub struct TerminalDisplay {
    quiet: bool,
    /// Index and name of the phase being probed; the suite's name.
    phase: Mutex<(usize, String)>,
    suite: Mutex<String>,
    view: View,
    palette: Palette,
    baseline: Baseline,
    /// Only when stderr is a terminal and not --quiet.
    bar: Option<ProgressBar>,
}

impl TerminalDisplay {
    /// Compact tables, no baseline, colours as `palette` says (the CLI decides).
    pub fn new(quiet: bool, palette: Palette) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(spinner_style());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            quiet,
            phase: Mutex::new((0, String::new())),
            suite: Mutex::new(String::new()),
            view: View::Compact,
            palette,
            baseline: Baseline::default(),
            bar,
        }
    }

    /// The view of each phase, and the baseline that marks known cells in it.
    pub fn with_view(mut self, view: View, baseline: Baseline) -> Self {
        self.view = view;
        self.baseline = baseline;
        self
    }

    /// Removes the progress bar (before the closing lines go to stdout).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// A line that stays: above the bar on a terminal, on stderr otherwise.
    fn progress(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }

    /// What is happening now: the bar's message on a terminal, a line on stderr otherwise.
    fn status(&self, line: String) {
        match &self.bar {
            Some(bar) => {
                bar.set_style(spinner_style());
                bar.set_message(line);
            }
            None => self.progress(line),
        }
    }
}

impl Drop for TerminalDisplay {
    fn drop(&mut self) {
        self.finish();
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} {msg} [{bar:30}] {pos}/{len} cells as expected [{elapsed}]",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl EventSink for TerminalDisplay {
    fn emit(&self, event: RunEvent) {
        match event {
            RunEvent::Started { suite, run_id } => {
                self.progress(format!("netreach: suite {suite}, run {run_id}"));
                if let Ok(mut current) = self.suite.lock() {
                    *current = suite;
                }
            }
            RunEvent::Contradictions(lines) => {
                let warn = |text: String| match &self.bar {
                    Some(bar) => bar.println(text),
                    None => eprintln!("{text}"),
                };
                for line in crate::plan::contradiction_warning(&lines) {
                    warn(line);
                }
            }
            RunEvent::Waiting(text) => self.progress(text),
            RunEvent::Deploying { pods, servers } => self.status(format!(
                "deploying {pods} source pods and {servers} servers"
            )),
            RunEvent::FixturesReady { elapsed } => {
                self.progress(format!("fixtures Ready in {:.1}s", elapsed.as_secs_f64()))
            }
            RunEvent::PhaseStarted { index, name, .. } => {
                self.status(format!(
                    "phase {} {name}: applying policies, probing",
                    index + 1
                ));
                if let Ok(mut current) = self.phase.lock() {
                    *current = (index, name);
                }
            }
            RunEvent::ProbeRound {
                round,
                settled,
                pending,
                ..
            } => match &self.bar {
                Some(bar) => {
                    let (index, name) = self.phase.lock().map(|p| p.clone()).unwrap_or_default();
                    bar.set_style(bar_style());
                    bar.set_length((settled + pending) as u64);
                    bar.set_position(settled as u64);
                    bar.set_message(format!("phase {} {name}, round {round}", index + 1));
                }
                None if pending > 0 => self.progress(format!(
                    "  round {round}: {settled} settled, {pending} not yet as expected; probing again"
                )),
                None => {}
            },
            RunEvent::PhaseFinished(phase) => {
                let index = self.phase.lock().map(|p| p.0).unwrap_or_default();
                let suite = self.suite.lock().map(|s| s.clone()).unwrap_or_default();
                let verdicts = phase_verdicts(&suite, &phase, &self.baseline);
                let print = || {
                    let mut out = std::io::stdout().lock();
                    let _ = write_phase(&mut out, self.view, index, &phase, &verdicts, self.palette);
                    let _ = writeln!(out);
                };
                match &self.bar {
                    Some(bar) => bar.suspend(print),
                    None => print(),
                }
            }
            RunEvent::CleaningUp => self.status("cleaning up".into()),
        }
    }
}
