//! The shell script one exec runs to probe many destinations at once from a source pod, and its output format.

use std::collections::BTreeMap;

use netreach_core::cell::Observation;
use netreach_core::settings::{ProbeSettings, shell_word};

/// Builds a script that probes every URL in parallel, each on a new connection, and prints
/// `INDEX EXIT HTTP_CODE [ERROR MESSAGE]` per probe (the message tells a resolution timeout from a connect timeout). A missing curl is reported once as `nocurl`.
///
/// With curl >= 7.75 one curl process runs all transfers at once (`--parallel`, with `%{urlnum}` and
/// `%{exitcode}` in the write-out): one process per exec instead of one per probe, which matters on small nodes
/// where starting hundreds of curls at once costs seconds of CPU. Older curls get one background curl per URL.
pub fn probe_script(urls: &[String], settings: &ProbeSettings) -> String {
    let limits = format!(
        "--connect-timeout {:.3} --max-time {:.3}",
        settings.connect_timeout.as_secs_f64(),
        settings.max_time().as_secs_f64()
    );
    let mut script = String::from("command -v curl >/dev/null 2>&1 || { echo nocurl; exit 0; }\n");
    script.push_str("set -- $(curl --version 2>/dev/null); v=${2:-0.0}; maj=${v%%.*}; min=${v#*.}; min=${min%%.*}\n");
    script.push_str(
        "if [ \"$maj\" -gt 7 ] 2>/dev/null || { [ \"$maj\" -eq 7 ] && [ \"$min\" -ge 75 ]; } 2>/dev/null; then\n",
    );
    script.push_str(&format!(
        "curl -Z --parallel-immediate --parallel-max {} -g -s -H 'Connection: close' {limits} -w '%{{urlnum}} %{{exitcode}} %{{http_code}} %{{errormsg}}\\n'",
        urls.len().clamp(1, 300)
    ));
    for url in urls {
        script.push_str(&format!(" -o /dev/null {}", shell_word(url)));
    }
    script.push_str(" 2>/dev/null\nexit 0\nfi\n");
    script.push_str(&format!(
        "p() {{ c=$(curl -g -s -o /dev/null -w '%{{http_code}}' {limits} -H 'Connection: close' \"$2\" 2>/dev/null); echo \"$1 $? $c\"; }}\n"
    ));
    for (index, url) in urls.iter().enumerate() {
        script.push_str(&format!("p {index} {} &\n", shell_word(url)));
    }
    script.push_str("wait\n");
    script
}

/// Builds the script for UDP and SCTP URLs (`udp://HOST:PORT`), run in the source pod's agnhost container: every
/// probe in parallel, one `agnhost connect` each, printing `INDEX EXIT FIRST-WORDS-OF-ITS-OUTPUT`. A missing agnhost
/// is reported once as `noagnhost`.
pub fn connect_script(urls: &[String], settings: &ProbeSettings) -> String {
    let mut script = String::from(
        "set -f
[ -x /agnhost ] || { echo noagnhost; exit 0; }
",
    );
    script.push_str("c() { i=$1; shift; o=$(\"$@\" 2>&1); r=$?; echo \"$i $r\" $o; }\n");
    for (index, url) in urls.iter().enumerate() {
        let words: Vec<String> = settings
            .connect_command(url)
            .unwrap_or_default()
            .iter()
            .map(|w| shell_word(w))
            .collect();
        script.push_str(&format!("c {index} {} &\n", words.join(" ")));
    }
    script.push_str("wait\n");
    script
}

/// Reads [`connect_script`]'s output into one observation per URL index, after agnhost's documented prefixes:
/// exit 0 connected (a UDP server answered), `REFUSED` refused, `TIMEOUT` timed out, `DNS` not resolved; an SCTP
/// socket the kernel refuses (`protocol not supported`) is a skip with that reason; anything else is an error.
pub fn parse_connect_output(stdout: &str, count: usize) -> Vec<Observation> {
    if stdout.lines().any(|l| l.trim() == "noagnhost") {
        let error = Observation::Error {
            message: "/agnhost not found in the source pod's agnhost container (UDP and SCTP probes need \
                      agnhost's image)"
                .into(),
        };
        return vec![error; count];
    }
    let mut seen: BTreeMap<usize, Observation> = BTreeMap::new();
    for line in stdout.lines() {
        let mut words = line.splitn(3, ' ');
        let (Some(index), Some(exit)) = (words.next(), words.next()) else {
            continue;
        };
        let (Ok(index), Ok(exit)) = (index.parse::<usize>(), exit.parse::<i32>()) else {
            continue;
        };
        let said = words.next().unwrap_or_default().trim().to_owned();
        seen.insert(index, Observation::from_connect(exit, said));
    }
    (0..count)
        .map(|i| {
            seen.remove(&i).unwrap_or_else(|| Observation::Error {
                message: "the probe printed no result".into(),
            })
        })
        .collect()
}

/// Reads the script's output into one observation per URL index; missing lines are errors.
pub fn parse_probe_output(stdout: &str, count: usize) -> Vec<Observation> {
    if stdout.lines().any(|l| l.trim() == "nocurl") {
        let error = Observation::Error {
            message: "curl not found in the source pod's image".into(),
        };
        return vec![error; count];
    }
    let mut seen: BTreeMap<usize, Observation> = BTreeMap::new();
    for line in stdout.lines() {
        let mut words = line.split_whitespace();
        let (Some(index), Some(exit)) = (words.next(), words.next()) else {
            continue;
        };
        let (Ok(index), Ok(exit)) = (index.parse::<usize>(), exit.parse::<i32>()) else {
            continue;
        };
        let http = words
            .next()
            .and_then(|w| w.parse::<u16>().ok())
            .unwrap_or(0);
        let message = words.collect::<Vec<_>>().join(" ");
        seen.insert(index, Observation::from_curl(exit, http, &message));
    }
    (0..count)
        .map(|i| {
            seen.remove(&i).unwrap_or_else(|| Observation::Error {
                message: "the probe printed no result".into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use netreach_core::cell::DenyKind;

    use super::*;

    #[test]
    fn script_probes_every_url_in_parallel_with_timeouts() {
        let settings = ProbeSettings {
            connect_timeout: Duration::from_millis(1500),
            ..ProbeSettings::default()
        };
        let odd = "http://x/it's";
        let script = probe_script(&["http://10.0.0.1:80/".into(), odd.into()], &settings);
        assert!(script.contains("--connect-timeout 1.500 --max-time 3.500"));
        assert!(script.contains(&format!(
            "-o /dev/null http://10.0.0.1:80/ -o /dev/null {} 2>/dev/null\n",
            shell_word(odd)
        )));
        assert!(script.contains("curl -Z --parallel-immediate --parallel-max 2 -g "));
        assert!(script.contains("p 0 http://10.0.0.1:80/ &\n"));
        assert!(script.contains(&format!("p 1 {} &", shell_word(odd))));
        assert!(script.ends_with("wait\n"));
    }

    /// Runs the script with a fake `curl` of the given version; returns its output lines, sorted, joined by `|`.
    fn run_with_fake_curl(version: &str) -> String {
        let dir = std::env::temp_dir().join(format!(
            "netreach-fake-curl-{}-{version}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = format!(
            "#!/bin/sh\ncase \"$1\" in --version) echo 'curl {version} (x86_64-pc-linux-gnu)'; exit 0;; esac\n\
             n=0; for a in \"$@\"; do case $a in http*) [ \"$1\" = -Z ] && echo \"$n 0 201\"; n=$((n+1));; esac; done\n\
             [ \"$1\" = -Z ] || printf 200\n"
        );
        let path = dir.join("curl");
        std::fs::write(&path, fake).unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&path)
            .status()
            .unwrap();
        let settings = ProbeSettings {
            connect_timeout: Duration::from_secs(1),
            ..ProbeSettings::default()
        };
        let script = probe_script(&["http://a/".into(), "http://b/".into()], &settings);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let mut lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
        lines.sort_unstable();
        lines.join("|")
    }

    #[test]
    fn new_curls_run_one_parallel_process_old_ones_one_curl_per_url() {
        // The fake prints 201 from the parallel form and 200 per single curl (with the shell adding `N EXIT`).
        assert_eq!(run_with_fake_curl("8.11.1"), "0 0 201|1 0 201");
        assert_eq!(run_with_fake_curl("7.75.0"), "0 0 201|1 0 201");
        assert_eq!(run_with_fake_curl("7.74.0"), "0 0 200|1 0 200");
        assert_eq!(run_with_fake_curl("7.52.1"), "0 0 200|1 0 200");
    }

    #[test]
    fn output_maps_curl_exit_codes_to_observations() {
        let out = parse_probe_output(
            "1 28 000 Connection timed out after 2001 milliseconds\n0 0 200\n2 7 000\n3 6 000\n\
             5 28 000 Resolving timed out after 2000 milliseconds\n",
            6,
        );
        assert_eq!(out[0], Observation::Allowed { http_status: 200 });
        assert_eq!(
            out[1],
            Observation::Denied {
                kind: DenyKind::Timeout,
                curl_exit: 28,
                evidence: None
            }
        );
        assert_eq!(
            out[2],
            Observation::Denied {
                kind: DenyKind::Refused,
                curl_exit: 7,
                evidence: None
            }
        );
        let unresolved = |curl_exit| Observation::Denied {
            kind: DenyKind::Unresolved,
            curl_exit,
            evidence: None,
        };
        assert_eq!(out[3], unresolved(6));
        assert!(matches!(&out[4], Observation::Error { message } if message.contains("no result")));
        assert_eq!(out[5], unresolved(28));
    }

    #[test]
    fn connect_output_keeps_agnhosts_evidence_and_skips_sctp_the_kernel_lacks() {
        let out = parse_connect_output(
            "0 0\n1 1 REFUSED: read udp 10.0.0.1:4->10.0.0.2:53: read: connection refused\n\
             2 1 TIMEOUT: read udp 10.0.0.1:5->10.0.0.3:53: i/o timeout\n3 1 OTHER: protocol not supported\n\
             4 1 DNS: lookup x on 10.96.0.10:53: server misbehaving\n",
            6,
        );
        assert_eq!(out[0], Observation::Allowed { http_status: 0 });
        assert!(
            matches!(&out[1], Observation::Denied { kind: DenyKind::Refused, curl_exit: 1, evidence: Some(e) }
            if e.starts_with("REFUSED: read udp"))
        );
        assert!(matches!(
            &out[2],
            Observation::Denied {
                kind: DenyKind::Timeout,
                ..
            }
        ));
        assert!(
            matches!(&out[3], Observation::Skipped { reason } if reason.contains("no SCTP sockets"))
        );
        // A name agnhost could not resolve is unresolved, as curl's exit 6 (judged against the DNS verdict later).
        assert!(
            matches!(&out[4], Observation::Denied { kind: DenyKind::Unresolved, curl_exit: 1, evidence: Some(e) }
            if e.starts_with("DNS: lookup x"))
        );
        assert!(matches!(&out[5], Observation::Error { message } if message.contains("no result")));
        let missing = parse_connect_output("noagnhost\n", 2);
        assert!(
            missing
                .iter()
                .all(|o| matches!(o, Observation::Error { .. }))
        );
    }

    #[test]
    fn connect_script_always_passes_a_timeout() {
        let script = connect_script(
            &["udp://10.0.0.2:53".into(), "sctp://[fd00::2]:7".into()],
            &ProbeSettings::default(),
        );
        assert!(
            script.contains("c 0 /agnhost connect '--protocol=udp' '--timeout=2s' 10.0.0.2:53 &\n"),
            "{script}"
        );
        assert!(
            script.contains("'--protocol=sctp' '--timeout=2s' '[fd00::2]:7' &\n"),
            "{script}"
        );
    }

    #[test]
    fn missing_curl_is_an_error_for_every_cell() {
        let out = parse_probe_output("nocurl\n", 2);
        assert!(out.iter().all(|o| matches!(o, Observation::Error { .. })));
    }
}
