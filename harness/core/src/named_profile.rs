//! Named profiles and profile selection: what each network plugin the project knows chose on every
//! implementation-defined point (data in `suites/profiles/NAME.yaml`, built into the binary, each value with its
//! source and what the battery observed), and the one rule that turns a suite's profile, a profile name and
//! `--profile SWITCH=BOOL` overrides into the profile the oracle assumes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::oracle::{Profile, ProfileSwitch};

/// The profiles shipped with netreach: (name, file in the repository, its text).
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "kube-router",
        "suites/profiles/kube-router.yaml",
        include_str!("../../../suites/profiles/kube-router.yaml"),
    ),
    (
        "cilium",
        "suites/profiles/cilium.yaml",
        include_str!("../../../suites/profiles/cilium.yaml"),
    ),
];

/// A plugin's choices on every implementation-defined point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NamedProfile {
    pub name: String,
    /// The plugin, its version and the settings the choices were seen under.
    pub plugin: String,
    /// Every switch of [`ProfileSwitch::ALL`], with its value and why.
    pub switches: BTreeMap<ProfileSwitch, SwitchChoice>,
    /// Implementation-defined points the oracle has no switch for yet, and what the plugin does there.
    #[serde(default)]
    pub not_covered: Vec<UncoveredPoint>,
}

/// One switch's value in a named profile, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SwitchChoice {
    pub value: bool,
    /// The plugin's documentation or code that says so.
    pub source: String,
    /// What the battery observed (date, plugin version, cells), or why nothing could be.
    pub observed: String,
}

/// A point the specification leaves open that no switch describes yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UncoveredPoint {
    pub point: String,
    /// What the plugin does there.
    pub choice: String,
    pub source: String,
    pub observed: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NamedProfileError {
    #[error("unknown profile {name:?} (known: {known})")]
    Unknown { name: String, known: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl NamedProfile {
    /// The names of the shipped profiles, in the order they are listed.
    pub fn names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(name, _, _)| *name).collect()
    }

    /// The shipped profile called `name`.
    pub fn builtin(name: &str) -> Result<Self, NamedProfileError> {
        let Some((_, file, text)) = BUILTIN.iter().find(|(n, _, _)| *n == name) else {
            return Err(NamedProfileError::Unknown {
                name: name.to_owned(),
                known: Self::names().join(", "),
            });
        };
        let profile = Self::parse(text).map_err(|message| NamedProfileError::Invalid {
            file: (*file).to_owned(),
            message,
        })?;
        if profile.name != name {
            return Err(NamedProfileError::Invalid {
                file: (*file).to_owned(),
                message: format!("name: {:?}, but the file is {name:?}'s", profile.name),
            });
        }
        Ok(profile)
    }

    /// Parses a profile file; every switch must be stated (a new switch makes every profile say what its plugin
    /// chose).
    pub fn parse(text: &str) -> Result<Self, String> {
        let profile: Self = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        if let Some(missing) = ProfileSwitch::ALL
            .iter()
            .find(|s| !profile.switches.contains_key(s))
        {
            return Err(format!(
                "switches.{missing}: missing (a profile states every switch, with its source)"
            ));
        }
        Ok(profile)
    }

    /// The switches' values as the oracle's profile.
    pub fn profile(&self) -> Profile {
        self.switches
            .iter()
            .fold(Profile::default(), |p, (switch, choice)| {
                p.with(*switch, choice.value)
            })
    }
}

/// The switches where `profile` differs from `reference`, with `profile`'s values.
pub fn differences(profile: Profile, reference: Profile) -> Vec<(ProfileSwitch, bool)> {
    ProfileSwitch::ALL
        .into_iter()
        .filter(|s| profile.get(*s) != reference.get(*s))
        .map(|s| (s, profile.get(s)))
        .collect()
}

/// Parses `--profile`: `switch=true|false` pairs, comma-separated (`ipblock-matches-pod-ips=false`).
pub fn parse_profile_overrides(text: &str) -> Result<Vec<(ProfileSwitch, bool)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?}: expected SWITCH=true|false"))?;
            let switch = ProfileSwitch::from_name(name.trim()).ok_or_else(|| {
                let known: Vec<&str> = ProfileSwitch::ALL.iter().map(|s| s.name()).collect();
                format!("unknown switch {name:?} (known: {})", known.join(", "))
            })?;
            let value = value
                .trim()
                .parse::<bool>()
                .map_err(|_| format!("{pair:?}: the value must be true or false"))?;
            Ok((switch, value))
        })
        .collect()
}

pub fn apply_overrides(profile: Profile, overrides: &[(ProfileSwitch, bool)]) -> Profile {
    overrides
        .iter()
        .fold(profile, |p, (switch, value)| p.with(*switch, *value))
}

/// What the command line chose: a named profile, then overrides on top.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChoice {
    pub named: Option<NamedProfile>,
    pub overrides: Vec<(ProfileSwitch, bool)>,
}

impl ProfileChoice {
    /// Reads `--profile-name` and `--profile`; errors say which flag was wrong.
    pub fn from_flags(name: Option<&str>, overrides: Option<&str>) -> Result<Self, String> {
        let named = name
            .map(NamedProfile::builtin)
            .transpose()
            .map_err(|e| format!("--profile-name: {e}"))?;
        let overrides = overrides
            .map(parse_profile_overrides)
            .transpose()
            .map_err(|e| format!("--profile: {e}"))?
            .unwrap_or_default();
        Ok(Self { named, overrides })
    }

    /// The profile the oracle assumes for a suite: the named profile's switches when one was chosen (they replace
    /// the suite's own, which describe the plugin its hand tables were written for), else the suite's; then the
    /// overrides.
    pub fn apply(&self, suite_profile: Profile) -> Profile {
        let base = self
            .named
            .as_ref()
            .map_or(suite_profile, NamedProfile::profile);
        apply_overrides(base, &self.overrides)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_loads_and_states_every_switch() {
        for name in NamedProfile::names() {
            let profile = NamedProfile::builtin(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(profile.switches.len(), ProfileSwitch::ALL.len(), "{name}");
            for (switch, choice) in &profile.switches {
                assert!(
                    !choice.source.trim().is_empty() && !choice.observed.trim().is_empty(),
                    "{name}: {switch} needs a source and an observation"
                );
            }
        }
    }

    #[test]
    fn every_file_in_suites_profiles_is_shipped() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../suites/profiles");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".yaml"))
            .collect();
        files.sort();
        let mut shipped: Vec<String> = BUILTIN
            .iter()
            .map(|(_, file, _)| file.trim_start_matches("suites/profiles/").to_owned())
            .collect();
        shipped.sort();
        assert_eq!(files, shipped);
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let error = NamedProfile::builtin("calico").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown profile \"calico\" (known: kube-router, cilium)"
        );
    }

    #[test]
    fn a_profile_missing_a_switch_or_naming_an_unknown_one_is_rejected() {
        let missing = "name: x\nplugin: x\nswitches:\n  ipblock-matches-pod-ips: {value: true, source: s, observed: o}\n";
        assert!(
            NamedProfile::parse(missing)
                .unwrap_err()
                .contains("switches.ipblock-matches-node-ips: missing")
        );
        let unknown =
            "name: x\nplugin: x\nswitches:\n  pod-ips: {value: true, source: s, observed: o}\n";
        assert!(NamedProfile::parse(unknown).is_err());
    }

    #[test]
    fn the_name_replaces_the_suites_profile_and_overrides_go_on_top() {
        let cilium = ProfileChoice::from_flags(Some("cilium"), None).unwrap();
        let suite = Profile::default().with(ProfileSwitch::HostNetworkPodsSelected, true);
        let chosen = cilium.apply(suite);
        assert!(!chosen.ipblock_matches_pod_ips);
        assert!(!chosen.host_network_pods_selected);
        let pods_nodes =
            ProfileChoice::from_flags(Some("cilium"), Some("ipblock-matches-pod-ips=true"))
                .unwrap();
        assert!(pods_nodes.apply(suite).ipblock_matches_pod_ips);
        assert_eq!(ProfileChoice::default().apply(suite), suite);
        assert_eq!(
            ProfileChoice::from_flags(Some("nope"), None).unwrap_err(),
            "--profile-name: unknown profile \"nope\" (known: kube-router, cilium)"
        );
    }

    #[test]
    fn the_kube_router_profile_is_the_default_and_cilium_differs_on_ip_blocks() {
        let kube_router = NamedProfile::builtin("kube-router").unwrap().profile();
        assert_eq!(kube_router, Profile::default());
        let cilium = NamedProfile::builtin("cilium").unwrap().profile();
        let differ: Vec<ProfileSwitch> = differences(cilium, kube_router)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert!(differ.contains(&ProfileSwitch::IpblockMatchesPodIps));
        assert!(differ.contains(&ProfileSwitch::IpblockMatchesNodeIps));
    }
}
