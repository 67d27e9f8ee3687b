//! The command a person runs to repeat one probe by hand: `kubectl exec -n NS POD -- curl ...` (pure; no I/O).

use crate::probe_script::CurlTimeouts;

/// `kubectl exec -n NS POD -- curl -sS -o /dev/null -w '%{http_code}\n' --connect-timeout C --max-time T URL`.
///
/// curl's exit code is what the probe classified (0 connected, 7 refused, 28 timed out) and the printed status is
/// the HTTP code. The pod only exists while the run does (or after `netreach run --keep`).
pub fn reproduce_command(namespace: &str, pod: &str, url: &str, timeouts: CurlTimeouts) -> String {
    format!(
        "kubectl exec -n {} {} -- curl -sS -o /dev/null -w '%{{http_code}}\\n' --connect-timeout {} --max-time {} {}",
        quote_if_needed(namespace),
        quote_if_needed(pod),
        seconds(timeouts.connect.as_secs_f64()),
        seconds(timeouts.total.as_secs_f64()),
        quote_if_needed(url)
    )
}

/// Seconds without trailing zeros: `2`, `1.5`, `0.25`.
fn seconds(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Words made only of characters no shell treats specially stay bare; anything else is single-quoted.
fn quote_if_needed(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn command_names_namespace_pod_timeouts_and_url() {
        let timeouts = CurlTimeouts {
            connect: Duration::from_secs(2),
            total: Duration::from_secs(4),
        };
        assert_eq!(
            reproduce_command(
                "metadata-access",
                "pod1",
                "http://192.0.2.2:32000/",
                timeouts
            ),
            "kubectl exec -n metadata-access pod1 -- curl -sS -o /dev/null -w '%{http_code}\\n' --connect-timeout 2 --max-time 4 http://192.0.2.2:32000/"
        );
    }

    #[test]
    fn fractions_are_kept_and_odd_urls_quoted() {
        let timeouts = CurlTimeouts {
            connect: Duration::from_millis(1500),
            total: Duration::from_millis(3250),
        };
        let command = reproduce_command("ns", "p", "http://[fd00::1]:80/a b?x=1&y='2'", timeouts);
        assert!(command.contains("--connect-timeout 1.5 --max-time 3.25 "));
        assert!(command.ends_with(r"'http://[fd00::1]:80/a b?x=1&y='\''2'\'''"));
    }
}
