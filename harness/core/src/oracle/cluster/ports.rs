//! The `protocols` of a ClusterNetworkPolicy rule: a port or range per protocol, or a destination named port.

use std::fmt;

use super::super::error::Invalid;
use crate::cluster_policy::{PortMatch, ProtocolMatch};
use crate::world::{ContainerPort, Protocol};

/// One compiled entry of `protocols`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClusterPort {
    /// `tcp`/`udp`/`sctp` with `destinationPort.number` (`first == last`) or `.range` (inclusive).
    Ports {
        protocol: Protocol,
        first: u16,
        last: u16,
    },
    /// `destinationNamedPort`: a container port of the destination pod with this name (its number and protocol).
    Named(String),
}

/// Why a protocols entry does not match a traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClusterPortMiss {
    OtherProtocol,
    OutOfRange,
    /// The destination is no pod, so a name cannot be resolved.
    NamedPortNeedsPod,
    /// The destination pod has no container port with this name, or it has another number or protocol.
    NameNotThisPort,
}

impl ClusterPort {
    /// Validates and compiles `protocols[i]` at `field`.
    pub(crate) fn compile(entry: &ProtocolMatch, field: &str) -> Result<Self, Invalid> {
        let given = [
            entry.tcp.as_ref().map(|p| (Protocol::Tcp, "tcp", p)),
            entry.udp.as_ref().map(|p| (Protocol::Udp, "udp", p)),
            entry.sctp.as_ref().map(|p| (Protocol::Sctp, "sctp", p)),
        ];
        let mut set = given.iter().flatten();
        let named = entry.destination_named_port.as_deref();
        match (set.next(), set.next(), named) {
            (Some((protocol, key, ports)), None, None) => {
                let here = format!("{field}.{key}.destinationPort");
                let Some(port) = &ports.destination_port else {
                    return Err(Invalid::new(
                        here,
                        "missing (the API needs a number or a range)",
                    ));
                };
                Self::compile_port(*protocol, port, &here)
            }
            (None, None, Some(name)) => {
                let valid = !name.is_empty()
                    && name.len() <= 15
                    && name.chars().any(|c| c.is_ascii_lowercase())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !valid {
                    return Err(Invalid::new(
                        format!("{field}.destinationNamedPort"),
                        format!(
                            "{name:?} is not a port name (lowercase letters, digits, '-'; at most 15)"
                        ),
                    ));
                }
                Ok(Self::Named(name.to_owned()))
            }
            (None, None, None) => Err(Invalid::new(
                field,
                "give one of tcp, udp, sctp or destinationNamedPort",
            )),
            _ => Err(Invalid::new(
                field,
                "give exactly one of tcp, udp, sctp or destinationNamedPort",
            )),
        }
    }

    fn compile_port(protocol: Protocol, port: &PortMatch, field: &str) -> Result<Self, Invalid> {
        let number = |value: i32, here: String| {
            u16::try_from(value)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    Invalid::new(here, format!("{value} is not a port number (1-65535)"))
                })
        };
        match (port.number, &port.range) {
            (Some(n), None) => {
                let n = number(n, format!("{field}.number"))?;
                Ok(Self::Ports {
                    protocol,
                    first: n,
                    last: n,
                })
            }
            (None, Some(range)) => {
                let first = number(range.start, format!("{field}.range.start"))?;
                let last = number(range.end, format!("{field}.range.end"))?;
                if first >= last {
                    return Err(Invalid::new(
                        format!("{field}.range"),
                        format!("start {first} must be less than end {last}"),
                    ));
                }
                Ok(Self::Ports {
                    protocol,
                    first,
                    last,
                })
            }
            _ => Err(Invalid::new(field, "give exactly one of number or range")),
        }
    }

    /// Whether this entry matches `port`/`protocol` towards a destination with `destination_ports` (`None`: no pod).
    pub(crate) fn admits(
        &self,
        port: u16,
        protocol: Protocol,
        destination_ports: Option<&[ContainerPort]>,
    ) -> Result<(), ClusterPortMiss> {
        match self {
            Self::Ports {
                protocol: p,
                first,
                last,
            } => {
                if *p != protocol {
                    Err(ClusterPortMiss::OtherProtocol)
                } else if (*first..=*last).contains(&port) {
                    Ok(())
                } else {
                    Err(ClusterPortMiss::OutOfRange)
                }
            }
            Self::Named(name) => {
                let ports = destination_ports.ok_or(ClusterPortMiss::NamedPortNeedsPod)?;
                let found = ports.iter().any(|c| {
                    c.name.as_deref() == Some(name.as_str())
                        && c.port == port
                        && c.protocol == protocol
                });
                if found {
                    Ok(())
                } else {
                    Err(ClusterPortMiss::NameNotThisPort)
                }
            }
        }
    }
}

/// `TCP 80`, `UDP 5000-5010`, `named port http`.
impl fmt::Display for ClusterPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ports {
                protocol,
                first,
                last,
            } if first == last => write!(f, "{protocol} {first}"),
            Self::Ports {
                protocol,
                first,
                last,
            } => write!(f, "{protocol} {first}-{last}"),
            Self::Named(name) => write!(f, "named port {name}"),
        }
    }
}

impl fmt::Display for ClusterPortMiss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OtherProtocol => "other protocol",
            Self::OutOfRange => "other port",
            Self::NamedPortNeedsPod => "the destination is no pod, so the name does not resolve",
            Self::NameNotThisPort => {
                "the destination pod has no port of that name on this number and protocol"
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster_policy::{PortRange, ProtocolPorts};

    fn tcp(number: Option<i32>, range: Option<(i32, i32)>) -> ProtocolMatch {
        ProtocolMatch {
            tcp: Some(ProtocolPorts {
                destination_port: Some(PortMatch {
                    number,
                    range: range.map(|(start, end)| PortRange { start, end }),
                }),
            }),
            ..ProtocolMatch::default()
        }
    }

    #[test]
    fn numbers_and_inclusive_ranges_of_one_protocol() {
        let one = ClusterPort::compile(&tcp(Some(80), None), "p").unwrap();
        assert_eq!(one.admits(80, Protocol::Tcp, None), Ok(()));
        assert_eq!(
            one.admits(80, Protocol::Udp, None),
            Err(ClusterPortMiss::OtherProtocol)
        );
        assert_eq!(
            one.admits(81, Protocol::Tcp, None),
            Err(ClusterPortMiss::OutOfRange)
        );
        let range = ClusterPort::compile(&tcp(None, Some((8080, 8090))), "p").unwrap();
        assert!(range.admits(8080, Protocol::Tcp, None).is_ok());
        assert!(range.admits(8090, Protocol::Tcp, None).is_ok());
        assert!(range.admits(8091, Protocol::Tcp, None).is_err());
        assert_eq!(range.to_string(), "TCP 8080-8090");
    }

    #[test]
    fn the_api_limits_are_enforced_with_the_field() {
        let err = |m: ProtocolMatch| {
            ClusterPort::compile(&m, "spec.egress[0].protocols[0]")
                .unwrap_err()
                .field
        };
        assert_eq!(
            err(tcp(Some(0), None)),
            "spec.egress[0].protocols[0].tcp.destinationPort.number"
        );
        assert_eq!(
            err(tcp(None, Some((90, 80)))),
            "spec.egress[0].protocols[0].tcp.destinationPort.range"
        );
        assert_eq!(
            err(tcp(None, Some((80, 80)))),
            "spec.egress[0].protocols[0].tcp.destinationPort.range"
        );
        assert_eq!(
            err(tcp(Some(80), Some((1, 2)))),
            "spec.egress[0].protocols[0].tcp.destinationPort"
        );
        assert_eq!(err(ProtocolMatch::default()), "spec.egress[0].protocols[0]");
        let mut two = tcp(Some(80), None);
        two.destination_named_port = Some("http".into());
        assert_eq!(err(two), "spec.egress[0].protocols[0]");
        let no_port = ProtocolMatch {
            udp: Some(ProtocolPorts::default()),
            ..ProtocolMatch::default()
        };
        assert_eq!(
            err(no_port),
            "spec.egress[0].protocols[0].udp.destinationPort"
        );
        let bad_name = ProtocolMatch {
            destination_named_port: Some("HTTP".into()),
            ..ProtocolMatch::default()
        };
        assert_eq!(
            err(bad_name),
            "spec.egress[0].protocols[0].destinationNamedPort"
        );
    }

    #[test]
    fn a_named_port_resolves_on_the_destination_pod_only() {
        let named = ClusterPort::compile(
            &ProtocolMatch {
                destination_named_port: Some("http".into()),
                ..ProtocolMatch::default()
            },
            "p",
        )
        .unwrap();
        let ports = [ContainerPort {
            name: Some("http".into()),
            port: 8080,
            protocol: Protocol::Tcp,
        }];
        assert_eq!(named.admits(8080, Protocol::Tcp, Some(&ports)), Ok(()));
        assert_eq!(
            named.admits(80, Protocol::Tcp, Some(&ports)),
            Err(ClusterPortMiss::NameNotThisPort)
        );
        assert_eq!(
            named.admits(8080, Protocol::Udp, Some(&ports)),
            Err(ClusterPortMiss::NameNotThisPort)
        );
        assert_eq!(
            named.admits(8080, Protocol::Tcp, None),
            Err(ClusterPortMiss::NamedPortNeedsPod)
        );
    }
}
