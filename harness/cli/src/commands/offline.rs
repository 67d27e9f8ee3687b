//! What the commands that contact no cluster share: loading a suite for planning under the chosen profile, saying
//! which outside addresses are made up.

use std::path::Path;

use netreach_core::suite::{Suite, load_suite_for_planning};

use crate::args::ProfileArgs;

/// Loads a suite with made-up addresses for outside destinations not resolvable here (said on stderr), its profile
/// replaced by the one `--profile-name`/`--profile` choose.
pub fn load_for_planning(path: &Path, profile: &ProfileArgs) -> anyhow::Result<Suite> {
    let choice = profile.choice()?;
    let mut suite = load_suite_for_planning(path, &|name| std::env::var(name).ok())?;
    suite.profile = choice.apply(suite.profile);
    for note in suite.stand_in_notes() {
        eprintln!("note: {note}");
    }
    Ok(suite)
}
