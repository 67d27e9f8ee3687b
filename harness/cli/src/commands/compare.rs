//! `netreach compare A B`: two conformance reports side by side, differing cells first.

use std::path::Path;

use anyhow::Context;
use netreach_core::compare::compare as diff;
use netreach_core::conformance::ConformanceReport;

fn read(path: &Path) -> anyhow::Result<ConformanceReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    ConformanceReport::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Exit 0 when every cell is the same in both reports, 1 when some differ (2 for unreadable input); `json`: the
/// document of schema `netreach.compare/v1` instead of the text.
pub fn compare(a: &Path, b: &Path, json: bool) -> anyhow::Result<i32> {
    let (report_a, report_b) = (read(a)?, read(b)?);
    let (name_a, name_b) = (a.display().to_string(), b.display().to_string());
    let comparison = diff((&name_a, &report_a), (&name_b, &report_b));
    if json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print!(
            "{}",
            netreach_report::conformance::comparison_text(&comparison)
        );
    }
    Ok(if comparison.is_identical() { 0 } else { 1 })
}
