//! Rendering of the conformance battery: the Markdown report a vendor can publish, the terminal summary, and the
//! text of `netreach compare`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use netreach_core::compare::{CellDiff, CellState, Classification, Comparison, Side};
use netreach_core::conformance::{CellReport, Choice, ConformanceReport};
use netreach_core::named_profile::NamedProfile;
use netreach_core::verdict::{Status, Tally};

/// `N passed, N failed`, then known deviations, implementation-defined, errors and skipped when there are any.
fn tally_text(tally: &Tally) -> String {
    let mut out = format!("{} passed, {} failed", tally.passed, tally.failed);
    for (n, what) in [
        (tally.known, "known deviations"),
        (tally.implementation_defined, "implementation-defined"),
        (tally.errors, "errors"),
        (tally.skipped, "skipped"),
    ] {
        if n > 0 {
            let _ = write!(out, ", {n} {what}");
        }
    }
    out
}

fn bool_word(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "true",
        Some(false) => "false",
        None => "mixed / not observed",
    }
}

fn choice_line(choice: &Choice) -> String {
    let agree = match choice.observed {
        Some(v) if v == choice.profile => "as the profile assumes",
        Some(_) => "differs from the profile",
        None => "undetermined",
    };
    format!(
        "{}: cluster chose {} (profile {}; {agree}; {} cells)",
        choice.switch,
        choice.chosen(),
        choice.profile,
        choice.cells.len()
    )
}

/// The closing summary printed by `netreach conformance`: per tag counts, failures, implementation-defined choices.
pub fn summary_text(report: &ConformanceReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "conformance summary ({})", report.summary.verdict);
    let width = report
        .summary
        .by_tag
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(0);
    for (tag, tally) in &report.summary.by_tag {
        let _ = writeln!(out, "  {tag:width$}  {}", tally_text(tally));
    }
    for suite in report.suites.iter().filter(|s| s.error.is_some()) {
        let _ = writeln!(
            out,
            "  suite {} could not be run: {}",
            suite.name,
            suite.error.as_deref().unwrap_or_default()
        );
    }
    for failure in &report.failures {
        let kind = if failure.known_deviation.is_some() {
            "known deviation"
        } else if failure.observed == "!" {
            "ERROR"
        } else {
            "FAIL"
        };
        let _ = writeln!(
            out,
            "  {kind} {}/{}/{}: expected {}, observed {}",
            failure.suite,
            failure.phase,
            failure.cell,
            failure.expected.map(|r| r.symbol()).unwrap_or("?"),
            failure.observed
        );
    }
    for choice in &report.implementation_defined {
        let _ = writeln!(out, "  implementation-defined {}", choice_line(choice));
    }
    for (reason, (cells, suites)) in skip_reasons(report) {
        let _ = writeln!(
            out,
            "  skipped {cells} cells of {} ({}): {reason}",
            plural(suites.len(), "suite"),
            suites.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let _ = write!(out, "{}", tally_text(&report.summary.totals));
    out
}

/// Why cells were skipped: each reason with its number of cells and the suites they belong to.
fn skip_reasons(report: &ConformanceReport) -> BTreeMap<String, (usize, BTreeSet<&str>)> {
    let mut reasons: BTreeMap<String, (usize, BTreeSet<&str>)> = BTreeMap::new();
    for suite in &report.suites {
        for cell in suite.phases.iter().flat_map(|p| &p.cells) {
            if cell.status != Status::Skipped {
                continue;
            }
            let entry = reasons.entry(skip_reason(cell)).or_default();
            entry.0 += 1;
            entry.1.insert(&suite.name);
        }
    }
    reasons
}

/// Why a skipped cell was skipped.
fn skip_reason(cell: &CellReport) -> String {
    match &cell.result.observed {
        netreach_core::cell::Observation::Skipped { reason } => reason.clone(),
        _ => "no expectation".to_owned(),
    }
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

fn tally_row(name: &str, t: &Tally) -> String {
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} |\n",
        t.passed, t.failed, t.known, t.implementation_defined, t.errors, t.skipped
    )
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report: verdict, counts per tag, failures with reproduction, implementation-defined choices,
/// skipped cells, and every suite's cells.
pub fn markdown(report: &ConformanceReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# NetworkPolicy conformance report\n");
    let _ = writeln!(
        out,
        "- verdict: **{}**\n- netreach {}\n- cluster: {}\n- network plugin: {}\n- tags: {}\n- profile: {}\n- profile overrides: {}\n- baseline: {}\n",
        report.summary.verdict,
        report.netreach_version,
        report.cluster.as_deref().unwrap_or("(unknown)"),
        report.plugin.as_deref().unwrap_or("(not named)"),
        if report.tags.is_empty() {
            "all".to_owned()
        } else {
            report.tags.join(", ")
        },
        report
            .profile_name
            .as_deref()
            .map(|n| format!("{n} (suites/profiles/{n}.yaml)"))
            .unwrap_or_else(|| {
                "the suites' own (kube-router's choices unless a suite says otherwise)".into()
            }),
        report.profile_overrides.as_deref().unwrap_or("none"),
        report.baseline.as_deref().unwrap_or("none"),
    );
    if let Some(provenance) = &report.provenance {
        let _ = crate::markdown::write_provenance(&mut VecWriter(&mut out), provenance);
    }
    let _ = writeln!(out, "## Results per tag\n");
    let _ = writeln!(
        out,
        "| tag | passed | failed | known deviations | implementation-defined | errors | skipped |\n|---|---|---|---|---|---|---|"
    );
    for (tag, tally) in &report.summary.by_tag {
        out.push_str(&tally_row(tag, tally));
    }
    out.push_str(&tally_row("**all**", &report.summary.totals));

    let _ = writeln!(out, "\n## Failures\n");
    if report.failures.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for failure in &report.failures {
        let _ = writeln!(
            out,
            "### {}/{}/{}{}\n",
            failure.suite,
            failure.phase,
            failure.cell,
            if failure.known_deviation.is_some() {
                " (known deviation)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "- expected `{}`, observed `{}`",
            failure.expected.map(|r| r.symbol()).unwrap_or("?"),
            failure.observed
        );
        if let Some(reason) = &failure.known_deviation {
            let _ = writeln!(out, "- baseline: {}", escape(reason));
        }
        if let Some(explanation) = &failure.explanation {
            let _ = writeln!(out, "- why: {}", escape(explanation));
        }
        let _ = writeln!(
            out,
            "- reproduce:\n\n```sh\n{}\n```\n",
            failure.reproduce.join("\n")
        );
    }

    let _ = writeln!(out, "\n## Implementation-defined points\n");
    if report.implementation_defined.is_empty() {
        let _ = writeln!(out, "No cell depended on one.");
    } else {
        let _ = writeln!(
            out,
            "| point | profile assumes | this cluster chose | cells | meaning |\n|---|---|---|---|---|"
        );
        for choice in &report.implementation_defined {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                choice.switch,
                choice.profile,
                choice.chosen(),
                choice.cells.len(),
                escape(&choice.note)
            );
        }
        for choice in &report.implementation_defined {
            let _ = writeln!(
                out,
                "\n<details><summary>{} cells</summary>\n\n| suite/phase/cell | profile expects | observed | shows |\n|---|---|---|---|",
                choice.switch
            );
            for cell in &choice.cells {
                let _ = writeln!(
                    out,
                    "| {}/{}/{} | {} | {} | {} |",
                    cell.suite,
                    cell.phase,
                    cell.cell,
                    cell.profile_expected.map(|r| r.symbol()).unwrap_or("?"),
                    cell.observed,
                    bool_word(cell.chose)
                );
            }
            let _ = writeln!(out, "\n</details>");
        }
    }

    if let Some(named) = report
        .profile_name
        .as_deref()
        .and_then(|name| NamedProfile::builtin(name).ok())
        .filter(|named| !named.not_covered.is_empty())
    {
        let _ = writeln!(
            out,
            "\nPoints no switch covers yet, as the profile `{}` records them (not probed by the battery):\n",
            named.name
        );
        for point in &named.not_covered {
            let _ = writeln!(
                out,
                "- {}: **{}** ({})",
                point.point,
                escape(&point.choice),
                escape(&point.observed)
            );
        }
    }

    let skipped: Vec<String> = report
        .suites
        .iter()
        .flat_map(|s| {
            s.phases.iter().flat_map(move |p| {
                p.cells
                    .iter()
                    .filter(|c| c.status == Status::Skipped)
                    .map(move |c| {
                        format!(
                            "- {}/{}/{}: {}",
                            s.name,
                            p.name,
                            c.cell,
                            escape(&skip_reason(c))
                        )
                    })
            })
        })
        .collect();
    let _ = writeln!(out, "\n## Skipped cells\n");
    if skipped.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(out, "{}", skipped.join("\n"));
    }

    let _ = writeln!(out, "\n## Suites\n");
    for suite in &report.suites {
        let _ = writeln!(
            out,
            "### {} (`{}`; tags: {})\n",
            suite.name,
            suite.file,
            suite.tags.join(", ")
        );
        if let Some(error) = &suite.error {
            let _ = writeln!(out, "Could not be run: {}\n", escape(error));
        }
        for phase in &suite.phases {
            let _ = writeln!(
                out,
                "- **{}** ({}): {}",
                phase.name,
                if phase.policies.is_empty() {
                    "no policies".to_owned()
                } else {
                    phase.policies.join(", ")
                },
                phase
                    .cells
                    .iter()
                    .map(|c| format!(
                        "`{}` {}{}",
                        c.cell,
                        c.result.observed.symbol(),
                        match c.status {
                            Status::Pass => String::new(),
                            other => format!(" ({})", other.name()),
                        }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(out);
    }
    out
}

fn tally_short(t: Option<&Tally>) -> String {
    t.map(tally_text).unwrap_or_else(|| "-".into())
}

/// `chose true`, `chose false`, or `undetermined`.
fn chose_word(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "chose true",
        Some(false) => "chose false",
        None => "undetermined",
    }
}

/// The heading of a group of differing cells of one class: what explains them.
fn group_heading(classification: &Classification) -> String {
    match classification {
        Classification::ImplementationDefined {
            switches,
            a_chose,
            b_chose,
        } => format!(
            "{}: A {}, B {}",
            switches.join(" + "),
            chose_word(*a_chose),
            chose_word(*b_chose)
        ),
        Classification::PluginDeviation { deviations } => deviations
            .iter()
            .map(|d| {
                let side = if d.side == "a" { "A" } else { "B" };
                format!("{} ({side}), baseline: {}", d.plugin, d.evidence)
            })
            .collect::<Vec<_>>()
            .join("; "),
        Classification::NotComparable { reason } | Classification::Unexplained { reason } => {
            reason.clone()
        }
    }
}

/// `netreach compare`: the differing cells grouped by what explains them (implementation-defined points with each
/// side's choice, plugin deviations with the baseline's evidence, cells not comparable, unexplained ones: netreach
/// bug candidates), then the implementation-defined choices and per-tag counts side by side.
pub fn comparison_text(cmp: &Comparison) -> String {
    let mut out = String::new();
    let side_text = |side: &Side| {
        let mut parts = Vec::new();
        if let Some(plugin) = &side.plugin {
            parts.push(plugin.clone());
        }
        parts.push(format!(
            "profile {}",
            side.profile_name.as_deref().unwrap_or("the suites' own")
        ));
        if let Some(overrides) = &side.profile_overrides {
            parts.push(format!("overrides {overrides}"));
        }
        format!("{} ({})", side.report, parts.join(", "))
    };
    if cmp.differences.is_empty() {
        let _ = writeln!(out, "no differences ({} cells identical)", cmp.identical);
    } else {
        let _ = writeln!(
            out,
            "{} cells differ ({} identical); A = {}, B = {}",
            cmp.differences.len(),
            cmp.identical,
            side_text(&cmp.a),
            side_text(&cmp.b)
        );
        let counts: Vec<String> = cmp
            .classes
            .iter()
            .map(|(class, n)| format!("{n} {class}"))
            .collect();
        let _ = writeln!(out, "  by class: {}", counts.join(", "));
    }
    let order = [
        "implementation-defined",
        "plugin deviation",
        "not comparable",
        "unexplained (netreach bug candidate)",
    ];
    for class in order {
        let in_class: Vec<&CellDiff> = cmp
            .differences
            .iter()
            .filter(|d| d.classification.name() == class)
            .collect();
        if in_class.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{class} ({}):", plural(in_class.len(), "cell"));
        let mut groups: Vec<(String, Vec<&CellDiff>)> = Vec::new();
        for diff in in_class {
            let heading = group_heading(&diff.classification);
            match groups.iter_mut().find(|(h, _)| *h == heading) {
                Some((_, members)) => members.push(diff),
                None => groups.push((heading, vec![diff])),
            }
        }
        for (heading, members) in groups {
            let _ = writeln!(out, "  {heading} ({}):", plural(members.len(), "cell"));
            for diff in members {
                let side = |s: &Option<CellState>| {
                    s.as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "absent".into())
                };
                let _ = writeln!(
                    out,
                    "    {}/{}/{}: A {} | B {}",
                    diff.suite,
                    diff.phase,
                    diff.cell,
                    side(&diff.a),
                    side(&diff.b)
                );
            }
        }
    }
    if !cmp.differences.is_empty() && !cmp.classes.contains_key(order[3]) {
        let _ = writeln!(out, "\nunexplained (netreach bug candidates): none");
    }
    let _ = writeln!(out, "\nimplementation-defined points (A | B):");
    for (switch, (a, b)) in &cmp.chosen {
        let marker = if a == b { " " } else { "*" };
        let _ = writeln!(out, " {marker}{switch}: {a} | {b}");
    }
    let _ = writeln!(out, "\nper tag (A | B):");
    for (tag, (a, b)) in &cmp.by_tag {
        let marker = if a == b { " " } else { "*" };
        let _ = writeln!(
            out,
            " {marker}{tag}: {} | {}",
            tally_short(a.as_ref()),
            tally_short(b.as_ref())
        );
    }
    out
}

/// `io::Write` into the `String` the Markdown is built in.
struct VecWriter<'a>(&'a mut String);

impl std::io::Write for VecWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
