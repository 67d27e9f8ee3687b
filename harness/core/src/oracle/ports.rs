//! The `ports` of a rule: protocol defaulting, numeric ranges (`endPort`) and named-port resolution.

use std::fmt;

use k8s_openapi::api::networking::v1::NetworkPolicyPort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::error::Invalid;
use crate::world::{ContainerPort, Protocol};

/// One compiled entry of a rule's `ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PortSpec {
    /// No `port`: every port of the protocol.
    AllPorts(Protocol),
    /// `port` (and `endPort`, inclusive); `first == last` for a single port.
    Range {
        protocol: Protocol,
        first: u16,
        last: u16,
    },
    /// A named port, resolved on the destination pod's container ports.
    Named { protocol: Protocol, name: String },
}

/// Why a port entry does not match a traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortMiss {
    OtherProtocol,
    OutOfRange,
    /// The destination is not a pod (an outside address), so a name cannot be resolved.
    NamedPortNeedsPod,
    /// The destination pod has no container port with this name and protocol.
    NameNotOnPod,
    /// The destination pod's port of this name has another number.
    NameIsOtherNumber(u16),
}

impl PortSpec {
    /// Validates and compiles `ports[i]` found at `field`.
    pub(crate) fn compile(port: &NetworkPolicyPort, field: &str) -> Result<Self, Invalid> {
        let protocol = match port.protocol.as_deref() {
            None => Protocol::Tcp,
            Some(text) => Protocol::from_api(text).ok_or_else(|| {
                Invalid::new(
                    format!("{field}.protocol"),
                    format!("unknown protocol {text:?} (expected TCP, UDP or SCTP)"),
                )
            })?,
        };
        let number = |value: i32, name: &str| {
            u16::try_from(value)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    Invalid::new(
                        format!("{field}.{name}"),
                        format!("{value} is not a port number (1-65535)"),
                    )
                })
        };
        match (&port.port, port.end_port) {
            (None, None) => Ok(Self::AllPorts(protocol)),
            (None, Some(_)) => Err(Invalid::new(
                format!("{field}.endPort"),
                "endPort needs a numeric port",
            )),
            (Some(IntOrString::String(_)), Some(_)) => Err(Invalid::new(
                format!("{field}.endPort"),
                "endPort needs a numeric port, not a named one",
            )),
            (Some(IntOrString::String(name)), None) => {
                if name.is_empty() || !name.chars().any(|c| c.is_ascii_alphabetic()) {
                    return Err(Invalid::new(
                        format!("{field}.port"),
                        format!("{name:?} is not a port name (it must contain a letter)"),
                    ));
                }
                Ok(Self::Named {
                    protocol,
                    name: name.clone(),
                })
            }
            (Some(IntOrString::Int(first)), end) => {
                let first = number(*first, "port")?;
                let last = match end {
                    None => first,
                    Some(end) => {
                        let last = number(end, "endPort")?;
                        if last < first {
                            return Err(Invalid::new(
                                format!("{field}.endPort"),
                                format!("endPort {last} is below port {first}"),
                            ));
                        }
                        last
                    }
                };
                Ok(Self::Range {
                    protocol,
                    first,
                    last,
                })
            }
        }
    }

    /// Whether this entry admits `port`/`protocol` on a destination with `destination_ports`
    /// (`None` when the destination is not a pod).
    pub(crate) fn admits(
        &self,
        port: u16,
        protocol: Protocol,
        destination_ports: Option<&[ContainerPort]>,
    ) -> Result<(), PortMiss> {
        match self {
            Self::AllPorts(p) if *p == protocol => Ok(()),
            Self::Range {
                protocol: p,
                first,
                last,
            } if *p == protocol => {
                if (*first..=*last).contains(&port) {
                    Ok(())
                } else {
                    Err(PortMiss::OutOfRange)
                }
            }
            Self::Named { protocol: p, name } if *p == protocol => {
                let ports = destination_ports.ok_or(PortMiss::NamedPortNeedsPod)?;
                let found = ports
                    .iter()
                    .find(|c| c.protocol == protocol && c.name.as_deref() == Some(name.as_str()))
                    .ok_or(PortMiss::NameNotOnPod)?;
                if found.port == port {
                    Ok(())
                } else {
                    Err(PortMiss::NameIsOtherNumber(found.port))
                }
            }
            _ => Err(PortMiss::OtherProtocol),
        }
    }
}

/// `TCP 80`, `TCP 80-90`, `UDP dns`, `SCTP (all ports)`.
impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AllPorts(protocol) => write!(f, "{protocol} (all ports)"),
            Self::Range {
                protocol,
                first,
                last,
            } if first == last => write!(f, "{protocol} {first}"),
            Self::Range {
                protocol,
                first,
                last,
            } => write!(f, "{protocol} {first}-{last}"),
            Self::Named { protocol, name } => write!(f, "{protocol} {name}"),
        }
    }
}

impl fmt::Display for PortMiss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OtherProtocol => f.write_str("other protocol"),
            Self::OutOfRange => f.write_str("other port"),
            Self::NamedPortNeedsPod => f.write_str("a named port matches only a pod destination"),
            Self::NameNotOnPod => f.write_str("the destination pod has no such named port"),
            Self::NameIsOtherNumber(n) => {
                write!(f, "the destination pod's port of that name is {n}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(
        protocol: Option<&str>,
        port: Option<IntOrString>,
        end: Option<i32>,
    ) -> NetworkPolicyPort {
        NetworkPolicyPort {
            protocol: protocol.map(str::to_string),
            port,
            end_port: end,
        }
    }

    fn http_pod() -> Vec<ContainerPort> {
        vec![
            ContainerPort {
                name: Some("http".into()),
                port: 8080,
                protocol: Protocol::Tcp,
            },
            ContainerPort {
                name: Some("dns".into()),
                port: 53,
                protocol: Protocol::Udp,
            },
        ]
    }

    #[test]
    fn protocol_defaults_to_tcp() {
        let spec = PortSpec::compile(&port(None, Some(IntOrString::Int(80)), None), "p").unwrap();
        assert_eq!(spec.admits(80, Protocol::Tcp, None), Ok(()));
        assert_eq!(
            spec.admits(80, Protocol::Udp, None),
            Err(PortMiss::OtherProtocol)
        );
        assert_eq!(
            spec.admits(81, Protocol::Tcp, None),
            Err(PortMiss::OutOfRange)
        );
    }

    #[test]
    fn udp_and_sctp_are_kept_apart() {
        let spec = PortSpec::compile(&port(Some("SCTP"), None, None), "p").unwrap();
        assert_eq!(spec.admits(9, Protocol::Sctp, None), Ok(()));
        assert!(spec.admits(9, Protocol::Tcp, None).is_err());
        assert!(spec.admits(9, Protocol::Udp, None).is_err());
        assert!(PortSpec::compile(&port(Some("udp"), None, None), "p").is_err());
    }

    #[test]
    fn end_port_is_inclusive_and_needs_a_numeric_port() {
        let spec =
            PortSpec::compile(&port(None, Some(IntOrString::Int(80)), Some(90)), "p").unwrap();
        assert!(spec.admits(79, Protocol::Tcp, None).is_err());
        assert!(spec.admits(80, Protocol::Tcp, None).is_ok());
        assert!(spec.admits(90, Protocol::Tcp, None).is_ok());
        assert!(spec.admits(91, Protocol::Tcp, None).is_err());
        let named = port(None, Some(IntOrString::String("http".into())), Some(90));
        assert_eq!(
            PortSpec::compile(&named, "p").unwrap_err().field,
            "p.endPort"
        );
        assert!(PortSpec::compile(&port(None, None, Some(90)), "p").is_err());
        assert!(PortSpec::compile(&port(None, Some(IntOrString::Int(90)), Some(80)), "p").is_err());
        assert!(PortSpec::compile(&port(None, Some(IntOrString::Int(0)), None), "p").is_err());
        assert!(PortSpec::compile(&port(None, Some(IntOrString::Int(70000)), None), "p").is_err());
    }

    #[test]
    fn named_ports_resolve_by_name_and_protocol_on_the_destination() {
        let http = PortSpec::compile(
            &port(None, Some(IntOrString::String("http".into())), None),
            "p",
        )
        .unwrap();
        let ports = http_pod();
        assert_eq!(http.admits(8080, Protocol::Tcp, Some(&ports)), Ok(()));
        assert_eq!(
            http.admits(80, Protocol::Tcp, Some(&ports)),
            Err(PortMiss::NameIsOtherNumber(8080))
        );
        assert_eq!(
            http.admits(8080, Protocol::Tcp, None),
            Err(PortMiss::NamedPortNeedsPod)
        );
        assert_eq!(
            http.admits(8080, Protocol::Tcp, Some(&[])),
            Err(PortMiss::NameNotOnPod)
        );
        // `dns` exists on the pod, but as UDP: a TCP named port `dns` does not resolve.
        let dns_tcp = PortSpec::compile(
            &port(None, Some(IntOrString::String("dns".into())), None),
            "p",
        )
        .unwrap();
        assert_eq!(
            dns_tcp.admits(53, Protocol::Tcp, Some(&ports)),
            Err(PortMiss::NameNotOnPod)
        );
        let dns_udp = PortSpec::compile(
            &port(Some("UDP"), Some(IntOrString::String("dns".into())), None),
            "p",
        )
        .unwrap();
        assert_eq!(dns_udp.admits(53, Protocol::Udp, Some(&ports)), Ok(()));
        assert!(
            PortSpec::compile(
                &port(None, Some(IntOrString::String("80".into())), None),
                "p"
            )
            .is_err()
        );
    }
}
