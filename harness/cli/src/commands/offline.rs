//! What the commands that contact no cluster share: loading a suite for planning, saying which outside addresses are
//! made up.

use std::path::Path;

use netreach_core::suite::{Suite, load_suite_for_planning};

/// Loads a suite with made-up addresses for outside destinations not resolvable here, and says so on stderr.
pub fn load_for_planning(path: &Path) -> anyhow::Result<Suite> {
    let suite = load_suite_for_planning(path, &|name| std::env::var(name).ok())?;
    for note in suite.stand_in_notes() {
        eprintln!("note: {note}");
    }
    Ok(suite)
}
