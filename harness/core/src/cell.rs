//! One cell of a truth table: a source pod, a destination and port, what was expected and what was observed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::world::Protocol;

/// Whether a connection is allowed or denied (by expectation, or as observed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    Allow,
    Deny,
}

impl Reach {
    /// The upstream e2e convention: `.` allowed, `X` denied.
    pub fn symbol(self) -> &'static str {
        match self {
            Reach::Allow => ".",
            Reach::Deny => "X",
        }
    }

    pub fn from_symbol(symbol: &str) -> Option<Self> {
        match symbol {
            "." => Some(Reach::Allow),
            "X" | "x" => Some(Reach::Deny),
            _ => None,
        }
    }
}

/// Identifies a cell within a phase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CellKey {
    pub from: String,
    pub to: String,
    pub port: u16,
    /// TCP unless the destination's port says otherwise (older documents have no protocol: TCP).
    #[serde(default = "tcp")]
    pub protocol: Protocol,
}

fn tcp() -> Protocol {
    Protocol::Tcp
}

impl std::fmt::Display for CellKey {
    /// `FROM->TO:PORT`, then `/udp` or `/sctp` for those protocols (TCP keeps the short form).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}->{}:{}", self.from, self.to, self.port)?;
        match self.protocol {
            Protocol::Tcp => Ok(()),
            other => write!(f, "/{}", other.as_api().to_ascii_lowercase()),
        }
    }
}

/// What a cell's source is: one of the suite's pods, or an outside source (an address that is no pod, probing
/// through its agent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    #[default]
    Pod,
    Outside,
}

/// Why a denied probe failed to connect, after curl's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyKind {
    /// curl exit 28: no answer within the connect timeout (a drop).
    Timeout,
    /// curl exit 7: refused or reset (a reject, or nothing listening).
    Refused,
    /// curl exit 6: the name did not resolve. A denial only where the oracle says the source's DNS egress is denied
    /// (see [`Observation::given_dns`]); anywhere else it is an error.
    Unresolved,
}

/// What one probe saw. An error is never a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Observation {
    Allowed {
        http_status: u16,
    },
    /// `curl_exit`: curl's exit code (7, 28); for a UDP or SCTP probe, agnhost `connect`'s (1), whose first line of
    /// output is `evidence` (`REFUSED: read udp …: connection refused`).
    Denied {
        kind: DenyKind,
        curl_exit: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<String>,
    },
    Error {
        message: String,
    },
    Skipped {
        reason: String,
    },
}

impl Observation {
    /// Classifies curl's exit code: 0 connected, 7 refused, 28 timed out, 6 (or 28 while resolving, as curl's
    /// error message says) name not resolved; anything else is a harness error.
    pub fn from_curl(exit_code: i32, http_status: u16, stderr: &str) -> Self {
        match exit_code {
            28 if stderr.starts_with("Resolving timed out") => Observation::Denied {
                kind: DenyKind::Unresolved,
                curl_exit: 28,
                evidence: None,
            },
            0 => Observation::Allowed { http_status },
            7 => Observation::Denied {
                kind: DenyKind::Refused,
                curl_exit: 7,
                evidence: None,
            },
            28 => Observation::Denied {
                kind: DenyKind::Timeout,
                curl_exit: 28,
                evidence: None,
            },
            6 => Observation::Denied {
                kind: DenyKind::Unresolved,
                curl_exit: 6,
                evidence: None,
            },
            127 => Observation::Error {
                message: "curl not found in the source pod's image (exit 127)".into(),
            },
            other => Observation::Error {
                message: format!(
                    "curl exited {other}{}",
                    if stderr.is_empty() {
                        String::new()
                    } else {
                        format!(": {stderr}")
                    }
                ),
            },
        }
    }

    /// Classifies agnhost `connect`'s exit code and output (`said`): 0 connected (for UDP: the server answered the
    /// datagram), `REFUSED…` refused (a reject, or an ICMP port unreachable), `TIMEOUT…` no answer in time (a drop),
    /// `DNS…` the name did not resolve (as curl's exit 6, judged by [`Self::given_dns`]); an SCTP socket the kernel
    /// cannot create (`protocol not supported`) is a skip; anything else is an error.
    pub fn from_connect(exit_code: i32, said: String) -> Self {
        let kind = if said.starts_with("REFUSED") {
            Some(DenyKind::Refused)
        } else if said.starts_with("TIMEOUT") {
            Some(DenyKind::Timeout)
        } else if said.starts_with("DNS:") {
            Some(DenyKind::Unresolved)
        } else {
            None
        };
        match (exit_code, kind) {
            (0, _) => Observation::Allowed { http_status: 0 },
            (1, Some(kind)) => Observation::Denied {
                kind,
                curl_exit: 1,
                evidence: Some(said),
            },
            (_, _) if said.contains("protocol not supported") => Observation::Skipped {
                reason: format!(
                    "the node's kernel has no SCTP sockets (agnhost connect: {said}); the oracle still decides the cell"
                ),
            },
            (126 | 127, _) => Observation::Error {
                message: format!("agnhost cannot run in the source pod (exit {exit_code}): {said}"),
            },
            (other, _) => Observation::Error {
                message: format!("agnhost connect exited {other}: {said}"),
            },
        }
    }

    /// A name that did not resolve is a denial (by DNS) only when `dns`, the oracle's verdict on the source reaching
    /// cluster DNS, is a denial; otherwise it is an error, never a refused connection.
    pub fn given_dns(self, dns: Option<Reach>) -> Self {
        match self {
            Observation::Denied {
                kind: DenyKind::Unresolved,
                curl_exit,
                evidence,
            } if dns != Some(Reach::Deny) => {
                let how = match evidence {
                    Some(said) => format!("agnhost connect: {said}"),
                    None => format!("curl exit {curl_exit}"),
                };
                Observation::Error {
                    message: match dns {
                        Some(_) => format!(
                            "the name did not resolve ({how}), though the oracle says DNS egress to kube-dns \
                             is allowed"
                        ),
                        None => format!("the name did not resolve ({how})"),
                    },
                }
            }
            other => other,
        }
    }

    pub fn reach(&self) -> Option<Reach> {
        match self {
            Observation::Allowed { .. } => Some(Reach::Allow),
            Observation::Denied { .. } => Some(Reach::Deny),
            Observation::Error { .. } | Observation::Skipped { .. } => None,
        }
    }

    /// `.`, `X`, `!` for an error, `-` for a skip.
    pub fn symbol(&self) -> &'static str {
        match self {
            Observation::Error { .. } => "!",
            Observation::Skipped { .. } => "-",
            other => other.reach().map(Reach::symbol).unwrap_or("?"),
        }
    }
}

/// How a cell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    Pass,
    Fail,
    /// Differs from the expectation only on a point the specification leaves to the plugin (see the profile):
    /// reported apart, not a failure.
    ImplementationDefined,
    Error,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    pub key: CellKey,
    /// Node of the source and of the destination (`None` for an outside endpoint).
    pub from_node: Option<String>,
    pub to_node: Option<String>,
    /// The URL the probe used, with the placeholder already resolved.
    pub url: String,
    pub expected: Option<Reach>,
    pub observed: Observation,
    pub attempts: u32,
    /// Time from the start of probing the phase (right after its policies were applied) until the first probe that
    /// matched the cell's expectation and that every later probe, the confirmation round included, upheld; `None`
    /// when the cell did not end matching. An upper bound on the time to enforce, to within one retry interval plus
    /// one probe's duration.
    #[serde(with = "duration_millis_opt")]
    pub settled_after: Option<Duration>,
    /// Profile switches the oracle says decide this cell (empty: the specification alone decides it).
    #[serde(default)]
    pub implementation_defined: Vec<String>,
    /// The oracle's verdict under the suite's profile, when it could judge the cell.
    #[serde(default)]
    pub oracle: Option<Reach>,
    /// The oracle's reasoning for this cell, when it could judge it.
    #[serde(default)]
    pub explanation: Option<String>,
    /// For a probe by name: the oracle's verdict on the source reaching cluster DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Reach>,
    /// A shell command that repeats this probe by hand (`kubectl exec -n NS POD -- curl ...`); empty when the
    /// cell was not probed. It works while the run's pods exist (`netreach run --keep`).
    #[serde(default)]
    pub reproduce: String,
    /// For a pod created during the run (`createdIn`), in the phase it was created in: time from creating it to
    /// Ready, and to the result of its first probe on this cell (which alone decides the cell).
    #[serde(
        default,
        with = "duration_millis_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub ready_after: Option<Duration>,
    #[serde(
        default,
        with = "duration_millis_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_probe_after: Option<Duration>,
}

impl CellResult {
    pub fn status(&self) -> CellStatus {
        match (&self.observed, self.expected) {
            (Observation::Skipped { .. }, _) | (_, None) => CellStatus::Skipped,
            (Observation::Error { .. }, _) => CellStatus::Error,
            (observed, Some(expected)) if observed.reach() == Some(expected) => CellStatus::Pass,
            (_, Some(_)) if self.is_profile_choice() => CellStatus::ImplementationDefined,
            _ => CellStatus::Fail,
        }
    }

    /// Whether the expectation is the profile's choice on an implementation-defined point (the oracle's verdict
    /// under a switch): observing the other outcome there is the enforcer's other choice, not a failure.
    pub fn is_profile_choice(&self) -> bool {
        self.expected.is_some()
            && self.oracle == self.expected
            && !self.implementation_defined.is_empty()
    }
}

mod duration_millis_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => serializer.serialize_some(&(duration.as_millis() as u64)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(deserializer)?.map(Duration::from_millis))
    }
}
