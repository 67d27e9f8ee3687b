//! The outside source's agent (upstream agnhost `netexec`, its `/dial` endpoint): the request that probes one cell
//! from it, and the agent's answer read as an observation. Pure: the kube crate sends the request.

use std::net::IpAddr;

use serde::Deserialize;

use crate::cell::{DenyKind, Observation};
use crate::world::Protocol;

/// How long netexec gives one dial (its HTTP client's timeout, and its UDP/SCTP read deadline): fixed upstream, so a
/// dropped connection from an outside source takes this long to show as a timeout.
pub const AGENT_DIAL_SECONDS: u64 = 5;

/// The path and query asking the agent to dial `host:port` once over `protocol` with netexec's `request` (`hostname`
/// for a probe: any HTTP answer, or a UDP server's reply, is a connection; `clientip` for the address check).
pub fn dial_path(request: &str, host: IpAddr, port: u16, protocol: Protocol) -> String {
    let protocol = match protocol {
        Protocol::Tcp => "http",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    };
    format!("/dial?request={request}&protocol={protocol}&host={host}&port={port}&tries=1")
}

/// The address and port a probe URL of the matrix names (`http://10.244.0.5:8080/`, `udp://[fd00::5]:53`).
pub fn url_host_port(url: &str) -> Option<(IpAddr, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let socket: std::net::SocketAddr = authority.parse().ok()?;
    Some((socket.ip(), socket.port()))
}

/// netexec's `/dial` JSON: `responses` of the dials that connected, `errors` of the others.
#[derive(Debug, Default, Deserialize)]
struct DialAnswer {
    #[serde(default)]
    responses: Vec<String>,
    #[serde(default)]
    errors: Vec<String>,
}

/// The first response of a `/dial` that connected (what `request=clientip` returns: `IP:PORT` as the server saw it).
pub fn dial_response(body: &str) -> Option<String> {
    serde_json::from_str::<DialAnswer>(body)
        .ok()?
        .responses
        .into_iter()
        .next()
}

impl Observation {
    /// Reads the agent's answer to one `/dial` (HTTP `status`, `body`): a response is a connection; an error saying
    /// `connection refused` (or `no route to host`, as curl's exit 7 counts it) is denied/refused, one saying
    /// `i/o timeout` or that the client's deadline passed is denied/timeout — with the agent's text as evidence and
    /// curl's code for the same outcome (7, 28) — an SCTP socket the kernel cannot create is a skip; anything else
    /// (another status, another error, no JSON) is an error quoting the agent.
    pub fn from_dial(status: u16, body: &str) -> Self {
        let text = body.trim();
        let answer = match serde_json::from_str::<DialAnswer>(text) {
            Ok(answer) if status == 200 => answer,
            _ => {
                return Observation::Error {
                    message: format!("the outside source's agent answered HTTP {status}: {text}"),
                };
            }
        };
        if !answer.responses.is_empty() {
            return Observation::Allowed { http_status: 0 };
        }
        let Some(said) = answer.errors.into_iter().next() else {
            return Observation::Error {
                message: format!(
                    "the outside source's agent reported neither a response nor an error: {text}"
                ),
            };
        };
        let denied = |kind, curl_exit| Observation::Denied {
            kind,
            curl_exit,
            evidence: Some(said.clone()),
        };
        if said.contains("connection refused") || said.contains("no route to host") {
            denied(DenyKind::Refused, 7)
        } else if said.contains("i/o timeout")
            || said.contains("Client.Timeout exceeded")
            || said.contains("context deadline exceeded")
        {
            denied(DenyKind::Timeout, 28)
        } else if said.contains("protocol not supported") {
            Observation::Skipped {
                reason: format!(
                    "the outside host's kernel has no SCTP sockets (agent: {said}); the oracle still decides the cell"
                ),
            }
        } else {
            Observation::Error {
                message: format!("the outside source's agent could not dial: {said}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_is_a_connection() {
        let seen = Observation::from_dial(200, r#"{"responses":["<html>404 Not Found</html>"]}"#);
        assert_eq!(seen, Observation::Allowed { http_status: 0 });
        let udp = Observation::from_dial(200, r#"{"responses":["exact"]}"#);
        assert_eq!(udp.reach(), Some(crate::cell::Reach::Allow));
    }

    #[test]
    fn refused_and_timed_out_dials_are_denials_with_the_agents_words() {
        let refused = r#"{"errors":["Get \"http://10.244.0.9:8080/hostname\": dial tcp 10.244.0.9:8080: connect: connection refused"]}"#;
        let Observation::Denied {
            kind: DenyKind::Refused,
            curl_exit: 7,
            evidence: Some(evidence),
        } = Observation::from_dial(200, refused)
        else {
            panic!("refused")
        };
        assert!(evidence.ends_with("connect: connection refused"));
        for timeout in [
            r#"{"errors":["Get \"http://10.244.0.9:8080/hostname\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"]}"#,
            r#"{"errors":["reading from udp connection failed. err:'read udp 10.251.0.30:40000->10.244.0.9:8080: i/o timeout'"]}"#,
        ] {
            assert!(
                matches!(
                    Observation::from_dial(200, timeout),
                    Observation::Denied {
                        kind: DenyKind::Timeout,
                        curl_exit: 28,
                        ..
                    }
                ),
                "{timeout}"
            );
        }
        let udp_refused = r#"{"errors":["reading from udp connection failed. err:'read udp 10.251.0.30:40000->10.244.0.9:53: read: connection refused'"]}"#;
        assert!(matches!(
            Observation::from_dial(200, udp_refused),
            Observation::Denied {
                kind: DenyKind::Refused,
                ..
            }
        ));
    }

    #[test]
    fn anything_else_is_an_error_or_a_skip_never_a_pass() {
        let sctp = r#"{"errors":["sctp dial failed. err:socket: protocol not supported"]}"#;
        assert!(matches!(
            Observation::from_dial(200, sctp),
            Observation::Skipped { .. }
        ));
        for (status, body) in [
            (
                200,
                r#"{"errors":["dial tcp: lookup nowhere: no such host"]}"#,
            ),
            (200, "{}"),
            (200, "not json"),
            (400, "host and/or port param are invalid."),
        ] {
            let seen = Observation::from_dial(status, body);
            assert!(
                matches!(seen, Observation::Error { .. }),
                "{body}: {seen:?}"
            );
        }
    }

    #[test]
    fn the_dial_request_names_the_protocol_and_one_try() {
        let ip: IpAddr = "10.244.0.9".parse().unwrap();
        assert_eq!(
            dial_path("hostname", ip, 8080, Protocol::Udp),
            "/dial?request=hostname&protocol=udp&host=10.244.0.9&port=8080&tries=1"
        );
        assert_eq!(url_host_port("http://10.244.0.9:8080/"), Some((ip, 8080)));
        assert_eq!(
            url_host_port("udp://[fd00::9]:53").map(|(ip, port)| (ip.to_string(), port)),
            Some(("fd00::9".to_owned(), 53))
        );
        assert_eq!(
            dial_response(r#"{"responses":["10.251.0.30:41000"]}"#).as_deref(),
            Some("10.251.0.30:41000")
        );
    }
}
