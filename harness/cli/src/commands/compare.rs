//! `netreach compare A B`: two conformance reports side by side, differing cells first.

use std::path::Path;

use anyhow::Context;
use netreach_core::conformance::{ConformanceReport, compare as diff};

fn read(path: &Path) -> anyhow::Result<ConformanceReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    ConformanceReport::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Exit 0 when every cell is the same in both reports, 1 when some differ (2 for unreadable input).
pub fn compare(a: &Path, b: &Path) -> anyhow::Result<i32> {
    let (report_a, report_b) = (read(a)?, read(b)?);
    let comparison = diff(&report_a, &report_b);
    print!(
        "{}",
        netreach_report::conformance::comparison_text(
            &a.display().to_string(),
            &b.display().to_string(),
            &comparison
        )
    );
    Ok(if comparison.is_identical() { 0 } else { 1 })
}
