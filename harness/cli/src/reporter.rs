//! The terminal reporter: turns run events into progress lines (stderr) and truth tables (stdout).

use std::io::Write;
use std::sync::Mutex;

use netreach_core::events::{EventSink, RunEvent};

pub struct TerminalReporter {
    quiet: bool,
    phase_index: Mutex<usize>,
}

impl TerminalReporter {
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            phase_index: Mutex::new(0),
        }
    }

    fn progress(&self, line: String) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

impl EventSink for TerminalReporter {
    fn emit(&self, event: RunEvent) {
        match event {
            RunEvent::Started { suite, run_id } => {
                self.progress(format!("netreach: suite {suite}, run {run_id}"))
            }
            RunEvent::Contradictions(lines) => {
                eprintln!(
                    "warning: the suite's hand-written tables contradict the oracle (see `netreach plan`):"
                );
                for line in lines {
                    eprintln!("  {line}");
                }
            }
            RunEvent::Deploying { pods, servers } => self.progress(format!(
                "deploying {pods} source pods and {servers} servers"
            )),
            RunEvent::FixturesReady { elapsed } => {
                self.progress(format!("fixtures Ready in {:.1}s", elapsed.as_secs_f64()))
            }
            RunEvent::PhaseStarted { index, name, .. } => {
                if let Ok(mut current) = self.phase_index.lock() {
                    *current = index;
                }
                self.progress(format!(
                    "phase {} {name}: applying policies, probing",
                    index + 1
                ));
            }
            RunEvent::ProbeRound {
                round,
                settled,
                pending,
                ..
            } if pending > 0 => self.progress(format!(
                "  round {round}: {settled} settled, {pending} not yet as expected; probing again"
            )),
            RunEvent::ProbeRound { .. } => {}
            RunEvent::PhaseFinished(phase) => {
                let index = self.phase_index.lock().map(|i| *i).unwrap_or_default();
                let mut out = std::io::stdout().lock();
                let _ = netreach_report::truth_table::write_phase(&mut out, index, &phase);
                let _ = writeln!(out);
            }
            RunEvent::CleaningUp => self.progress("cleaning up".into()),
        }
    }
}
