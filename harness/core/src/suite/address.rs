//! Addresses of outside endpoints: `${VAR}` / `${VAR[N]}` expansion and `IP[:PORT]` / URL parsing.

use std::net::{IpAddr, SocketAddr};

/// Expands `${VAR}` and `${VAR[N]}` (the N-th whitespace-separated word of VAR, from 0).
/// Errors name the variable that is missing.
pub fn expand(template: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in {template:?}"))?;
        out.push_str(&lookup(&after[..end], env)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The port written in an address template (80 when none is): what cell names use, whatever the environment holds.
/// Each `${...}` stands for a bare address here.
pub fn written_port(template: &str) -> u16 {
    ["192.0.2.1", "2001:db8::1"]
        .iter()
        .find_map(|stand_in| {
            let mut text = String::new();
            let mut rest = template;
            while let Some(start) = rest.find("${") {
                let end = rest[start..].find('}')? + start;
                text.push_str(&rest[..start]);
                text.push_str(stand_in);
                rest = &rest[end + 1..];
            }
            text.push_str(rest);
            parse_endpoint(&text).ok().map(|e| e.port)
        })
        .unwrap_or(80)
}

fn lookup(reference: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let (name, index) = match reference.split_once('[') {
        Some((name, index)) => {
            let index = index
                .strip_suffix(']')
                .and_then(|i| i.parse::<usize>().ok())
                .ok_or_else(|| format!("bad index in ${{{reference}}}"))?;
            (name, Some(index))
        }
        None => (reference, None),
    };
    let value = env(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("environment variable {name} is not set"))?;
    match index {
        None => Ok(value),
        Some(i) => value
            .split_whitespace()
            .nth(i)
            .map(str::to_owned)
            .ok_or_else(|| {
                format!("environment variable {name} has no word {i} (value {value:?})")
            }),
    }
}

/// A parsed endpoint: address, port, HTTP path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: IpAddr,
    pub port: u16,
    pub path: String,
}

/// Parses `IP`, `IP:PORT`, `[IPv6]:PORT` or `http://HOST[:PORT][/path]` with a literal IP host.
pub fn parse_endpoint(text: &str) -> Result<Endpoint, String> {
    let text = text.trim();
    let (authority, path) = match text.strip_prefix("http://") {
        Some(rest) => match rest.find('/') {
            Some(slash) => (&rest[..slash], rest[slash..].to_owned()),
            None => (rest, "/".to_owned()),
        },
        None if text.contains("://") => {
            return Err(format!("only http:// URLs are probed, got {text:?}"));
        }
        None => (text, "/".to_owned()),
    };
    if let Ok(address) = authority.parse::<IpAddr>() {
        return Ok(Endpoint {
            address,
            port: 80,
            path,
        });
    }
    if let Ok(socket) = authority.parse::<SocketAddr>() {
        return Ok(Endpoint {
            address: socket.ip(),
            port: socket.port(),
            path,
        });
    }
    let bare = authority.trim_start_matches('[').trim_end_matches(']');
    if let Ok(address) = bare.parse::<IpAddr>() {
        return Ok(Endpoint {
            address,
            port: 80,
            path,
        });
    }
    Err(format!(
        "{text:?} is not an IP address, IP:PORT or http:// URL with an IP host"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "OUT").then(|| "10.0.0.1 10.0.0.2:8080".to_owned())
    }

    #[test]
    fn expands_words_and_whole_variables() {
        assert_eq!(expand("${OUT[1]}", &env).unwrap(), "10.0.0.2:8080");
        assert_eq!(
            expand("http://${OUT[0]}/x", &env).unwrap(),
            "http://10.0.0.1/x"
        );
        assert!(expand("${OUT[2]}", &env).unwrap_err().contains("no word 2"));
        assert!(
            expand("${NOPE}", &env)
                .unwrap_err()
                .contains("NOPE is not set")
        );
    }

    #[test]
    fn the_written_port_ignores_the_environment() {
        assert_eq!(written_port("${OUT[1]}"), 80);
        assert_eq!(written_port("${OUT[1]}:8080"), 8080);
        assert_eq!(written_port("http://${OUT[0]}:81/x"), 81);
        assert_eq!(written_port("[${V6}]:82"), 82);
        assert_eq!(written_port("10.0.0.1:83"), 83);
    }

    #[test]
    fn parses_endpoints() {
        let e = parse_endpoint("10.0.0.2:8080").unwrap();
        assert_eq!(
            (e.address.to_string(), e.port, e.path.as_str()),
            ("10.0.0.2".into(), 8080, "/")
        );
        let e = parse_endpoint("http://10.0.0.3/meta").unwrap();
        assert_eq!((e.port, e.path.as_str()), (80, "/meta"));
        assert_eq!(parse_endpoint("[fd00::1]:81").unwrap().port, 81);
        assert!(parse_endpoint("https://10.0.0.1").is_err());
        assert!(parse_endpoint("example.com").is_err());
    }
}
