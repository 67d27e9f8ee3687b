//! Where, when and how a run was made, as every report states it: netreach's version, the cluster, the times, and
//! the settings that can change a verdict.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::oracle::{Profile, ProfileSwitch};
use crate::settings::ProbeSettings;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub netreach_version: String,
    /// The kubeconfig context, or `in-cluster ServiceAccount`.
    pub context: String,
    pub api_server: String,
    /// The API server's `gitVersion`, e.g. `v1.34.4`.
    pub kubernetes_version: String,
    pub nodes: usize,
    /// RFC 3339, UTC.
    pub started: String,
    pub finished: String,
    /// What can change a verdict: the timeouts, the fixture images, the oracle's profile (`name` -> value).
    pub settings: BTreeMap<String, String>,
}

impl Provenance {
    /// Every field as `(name, value)`, in the order reports list them (JUnit properties, Markdown).
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("netreach-version".to_owned(), self.netreach_version.clone()),
            ("context".to_owned(), self.context.clone()),
            ("api-server".to_owned(), self.api_server.clone()),
            (
                "kubernetes-version".to_owned(),
                self.kubernetes_version.clone(),
            ),
            ("nodes".to_owned(), self.nodes.to_string()),
            ("started".to_owned(), self.started.clone()),
            ("finished".to_owned(), self.finished.clone()),
        ];
        pairs.extend(self.settings.iter().map(|(k, v)| (k.clone(), v.clone())));
        pairs
    }
}

/// The settings of a run that can change its verdicts, by the name of their flag.
pub fn verdict_settings(
    probe: &ProbeSettings,
    ready_timeout: Duration,
    images: &[(&str, &str)],
    profile: Option<&Profile>,
) -> BTreeMap<String, String> {
    let seconds = |d: Duration| format!("{}s", d.as_secs_f64());
    let mut settings = BTreeMap::from([
        ("ready-timeout".to_owned(), seconds(ready_timeout)),
        ("connect-timeout".to_owned(), seconds(probe.connect_timeout)),
        (
            "settle-timeout".to_owned(),
            seconds(probe.timing.settle_timeout),
        ),
        (
            "retry-interval".to_owned(),
            seconds(probe.timing.retry_interval),
        ),
        (
            "confirm-after".to_owned(),
            seconds(probe.timing.confirm_after),
        ),
    ]);
    for (flag, image) in images {
        settings.insert((*flag).to_owned(), (*image).to_owned());
    }
    if let Some(profile) = profile {
        let switches = ProfileSwitch::ALL
            .iter()
            .map(|s| format!("{}={}", s.name(), profile.get(*s)))
            .collect::<Vec<_>>();
        settings.insert("profile".to_owned(), switches.join(","));
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_timeouts_images_and_every_profile_switch() {
        let settings = verdict_settings(
            &ProbeSettings::default(),
            Duration::from_secs(120),
            &[("probe-image", "p:1"), ("server-image", "s:1")],
            Some(&Profile::default()),
        );
        assert_eq!(settings["settle-timeout"], "30s");
        assert_eq!(settings["ready-timeout"], "120s");
        assert_eq!(settings["probe-image"], "p:1");
        assert_eq!(
            settings["profile"].split(',').count(),
            ProfileSwitch::ALL.len()
        );
        assert!(settings["profile"].contains("ipblock-matches-pod-ips=true"));
        let pairs = Provenance {
            settings,
            ..Default::default()
        }
        .pairs();
        assert_eq!(pairs[0].0, "netreach-version");
        assert!(pairs.iter().any(|(k, _)| k == "profile"));
    }
}
