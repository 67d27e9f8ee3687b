//! The outside source against the real cluster of `KUBECONFIG`: the battery suite `external-source` probes servers
//! from an address that is no pod, through its agent (the local cluster's, from `scripts/cluster env`), and a
//! declared address the agent does not connect from refuses the run. Without the agent's variables the outside row
//! is skipped with the reason (never passed). Without a cluster this fails.

mod support;
use support::{CLUSTER, expect_exit, netreach, netreach_with, text};

const SUITE: &str = "suites/conformance/external-source.yaml";

fn agent_configured() -> bool {
    ["NETREACH_OUTSIDE_SOURCE", "NETREACH_OUTSIDE_AGENT"]
        .iter()
        .all(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
}

#[test]
fn outside_cells_are_probed_through_the_agent_and_decided_by_ip_blocks() {
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    let out = netreach(&["run", SUITE, "--json", json.to_str().unwrap(), "--quiet"]);
    expect_exit(&out, 0);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let cells: Vec<&serde_json::Value> = run["phases"][1]["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["from"] == "outside")
        .collect();
    assert_eq!(cells.len(), 7);
    let cell = |to: &str, protocol: &str| {
        *cells
            .iter()
            .find(|c| c["to"] == to && c["protocol"] == protocol)
            .unwrap()
    };
    if !agent_configured() {
        for c in &cells {
            assert_eq!(c["status"], "skipped", "{c}");
            assert!(
                c["message"].as_str().unwrap().contains("no outside source"),
                "{c}"
            );
        }
        return;
    }
    for c in &cells {
        assert_eq!(c["status"], "pass", "{c}");
        assert!(
            c["reproduce"]
                .as_str()
                .unwrap()
                .contains("/dial?request=hostname"),
            "{c}"
        );
    }
    assert_eq!(cell("exact", "TCP")["observed"], "allow");
    assert_eq!(cell("exact", "UDP")["observed"], "allow");
    let except = cell("except", "TCP");
    assert_eq!(except["observed"], "deny");
    // The agent's own words are the evidence.
    assert!(
        except["message"].as_str().unwrap().contains("dial tcp"),
        "{except}"
    );
    assert_eq!(cell("pods-only", "TCP")["observed"], "deny");
    assert_eq!(cell("closed", "UDP")["observed"], "deny");
}

#[test]
fn a_declared_address_the_agent_does_not_connect_from_refuses_the_run() {
    if !agent_configured() {
        return;
    }
    let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let real = std::env::var("NETREACH_OUTSIDE_SOURCE").unwrap();
    let out = netreach_with(&["run", SUITE, "--quiet"], |command| {
        // A documentation address: only compared with what the server sees, never contacted.
        command.env("NETREACH_OUTSIDE_SOURCE", "192.0.2.77");
    });
    let (_, stderr) = expect_exit(&out, 2);
    let line = stderr
        .lines()
        .find(|l| l.contains("outside source outside"))
        .unwrap_or_else(|| panic!("{stderr}{}", text(&out.stdout)));
    assert!(
        line.contains(&format!("connects from {real}"))
            && line.contains("not from the declared 192.0.2.77"),
        "{line}"
    );
}
