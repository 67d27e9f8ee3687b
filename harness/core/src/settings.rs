//! Probe settings in one home: their defaults, the timeouts derived from them (curl's `--max-time`, the exec
//! deadline), and the command that repeats one probe by hand with exactly the settings a run used.

use std::time::Duration;

use crate::settle::Timing;

/// How cells are probed (`--connect-timeout`, `--settle-timeout` and `--exec-concurrency` of `netreach run` and
/// `netreach conformance` set theirs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSettings {
    /// curl's `--connect-timeout` per probe.
    pub connect_timeout: Duration,
    /// Settle timeout, pause between probe rounds, confirmation round.
    pub timing: Timing,
    /// Execs in flight at once (each probes all pending cells of one source pod).
    pub exec_concurrency: usize,
    /// Most curls one exec runs at once; larger batches are split.
    pub probes_per_exec: usize,
}

impl Default for ProbeSettings {
    /// 2 s connect timeout, 30 s to settle, 0.5 s between probe rounds, confirmation 1 s after the apply, 32 execs
    /// in flight, 64 probes per exec.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            timing: Timing {
                settle_timeout: Duration::from_secs(30),
                retry_interval: Duration::from_millis(500),
                confirm_after: Duration::from_secs(1),
            },
            exec_concurrency: 32,
            probes_per_exec: 64,
        }
    }
}

impl ProbeSettings {
    /// curl's `--max-time`: the connect timeout plus 2 s for the request itself.
    pub fn max_time(&self) -> Duration {
        self.connect_timeout + Duration::from_secs(2)
    }

    /// How long one exec may take: a probe's `--max-time` plus 15 s for the exec itself.
    pub fn exec_deadline(&self) -> Duration {
        self.max_time() + Duration::from_secs(15)
    }

    /// `kubectl exec -n NS POD -- curl -sS -o /dev/null -w '%{http_code}\n' --connect-timeout C --max-time T URL`.
    ///
    /// curl's exit code is what the probe classified (0 connected, 7 refused, 28 timed out) and the printed status
    /// is the HTTP code. The pod only exists while the run does (or after `netreach run --keep`).
    ///
    /// A UDP or SCTP URL (`udp://HOST:PORT`) gives the agnhost `connect` command in the pod's agnhost container.
    pub fn reproduce_command(&self, namespace: &str, pod: &str, url: &str) -> String {
        if let Some(connect) = self.connect_command(url) {
            let words: Vec<String> = connect.iter().map(|w| shell_word(w)).collect();
            return format!(
                "kubectl exec -n {} {} -c {CONNECT_CONTAINER} -- {}",
                shell_word(namespace),
                shell_word(pod),
                words.join(" ")
            );
        }
        format!(
            "kubectl exec -n {} {} -- curl -sS -o /dev/null -w '%{{http_code}}\\n' --connect-timeout {} --max-time {} {}",
            shell_word(namespace),
            shell_word(pod),
            seconds(self.connect_timeout),
            seconds(self.max_time()),
            shell_word(url)
        )
    }
}

/// The source pods' container UDP and SCTP probes run in (agnhost's image).
pub const CONNECT_CONTAINER: &str = "agnhost";

impl ProbeSettings {
    /// The probe of a `udp://HOST:PORT` or `sctp://HOST:PORT` URL: `/agnhost connect --protocol=P
    /// --timeout=CONNECT_TIMEOUT HOST:PORT` (always with a timeout: without one a dropped UDP datagram's probe never
    /// ends). `None` for any other URL (curl probes it).
    pub fn connect_command(&self, url: &str) -> Option<Vec<String>> {
        let (protocol, target) = url.split_once("://")?;
        if !matches!(protocol, "udp" | "sctp") {
            return None;
        }
        Some(vec![
            "/agnhost".into(),
            "connect".into(),
            format!("--protocol={protocol}"),
            format!("--timeout={}s", seconds(self.connect_timeout)),
            target.to_owned(),
        ])
    }
}

/// Seconds without trailing zeros: `2`, `1.5`, `0.25`.
pub fn seconds(value: Duration) -> String {
    let text = format!("{:.3}", value.as_secs_f64());
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// One word for a POSIX shell: as is when no character is special to it, else quoted (the one quoting function
/// of netreach; `shlex`'s rules).
pub fn shell_word(word: &str) -> String {
    shlex::try_quote(word)
        .map(|quoted| quoted.into_owned())
        // Only a NUL byte cannot be quoted; no URL, namespace or pod name has one.
        .unwrap_or_else(|_| format!("'{}'", word.replace(['\0', '\''], "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_namespace_pod_timeouts_and_url() {
        assert_eq!(
            ProbeSettings::default().reproduce_command(
                "metadata-access",
                "pod1",
                "http://192.0.2.2:32000/"
            ),
            "kubectl exec -n metadata-access pod1 -- curl -sS -o /dev/null -w '%{http_code}\\n' --connect-timeout 2 --max-time 4 http://192.0.2.2:32000/"
        );
    }

    #[test]
    fn the_max_time_follows_the_connect_timeout() {
        let settings = ProbeSettings {
            connect_timeout: Duration::from_millis(1500),
            ..ProbeSettings::default()
        };
        assert_eq!(settings.max_time(), Duration::from_millis(3500));
        assert_eq!(settings.exec_deadline(), Duration::from_millis(18_500));
        let command = settings.reproduce_command("ns", "p", "http://[fd00::1]:80/a b?x=1&y='2'");
        assert!(command.contains("--connect-timeout 1.5 --max-time 3.5 "));
        let words = shlex::split(&command).unwrap();
        assert_eq!(words.last().unwrap(), "http://[fd00::1]:80/a b?x=1&y='2'");
    }
}
