//! The matrix of a phase, built once for plan, run and the cargo-test listing: keys, skips, expectations (table
//! or oracle), routes and implementation-defined switches, on a made-up layout and on one missing a source.

mod suite_support;

use std::convert::Infallible;

use netreach_core::cell::{Observation, Reach};
use netreach_core::matrix::{Cell, Layout, ServerPod, ServiceAddress, cell_keys, phase_cells};
use netreach_core::oracle::{PodRef, Target};
use netreach_core::plan::{resolved_policies, synthetic_deployment};
use netreach_core::world::IpFamily;
use suite_support::*;

fn names(cells: &[Cell]) -> Vec<String> {
    cells.iter().map(|c| c.key.to_string()).collect()
}

#[test]
fn cells_come_in_suite_order_and_an_unavailable_destination_is_planned_at_its_stand_in() {
    let suite = load("suites/metadata-access.yaml", &no_env);
    let keys: Vec<String> = cell_keys(&suite).iter().map(ToString::to_string).collect();
    // The names come from the suite alone: the internet cell is `:80` with or without the variable.
    assert_eq!(
        keys[..3],
        [
            "pod1->metadata:32000",
            "pod1->web:8080",
            "pod1->internet:80"
        ]
    );
    let phase = cells(&suite, 1);
    assert_eq!(names(&phase), keys);
    // Planning judges the unavailable destination at its made-up documentation address.
    let internet = &phase[2];
    assert_eq!(internet.skipped, None);
    assert!(
        internet.url.starts_with("http://198.51.100."),
        "{}",
        internet.url
    );
    assert!(internet.oracle.is_some());
    // A table phase is judged against its table, and the oracle's verdict is kept beside it.
    let metadata = &phase[0];
    assert_eq!(metadata.expected, Some(Reach::Deny));
    assert_eq!(metadata.table, Some(Reach::Deny));
    assert_eq!(metadata.oracle.as_ref().unwrap().expected, Reach::Deny);
    assert!(phase[1].url.starts_with("http://10.244.0.") && phase[1].url.ends_with(":8080/"));
}

/// A run lays out without stand-ins: the unavailable destination is left out, so its cells are skipped (never
/// passed), with the same names as planned.
#[test]
fn without_stand_ins_an_unavailable_destination_is_skipped_under_the_same_name() {
    let suite = load("suites/metadata-access.yaml", &no_env);
    let deployment = synthetic_deployment(&suite);
    let mut layout = Layout {
        sources: deployment.layout.sources.clone(),
        ..Layout::default()
    };
    let Ok(()) = layout.place_destinations(
        &suite,
        false,
        |_, destination, _| {
            let placed = &deployment.layout.destinations[&destination.name];
            let Target::Pod(pod) = &placed.target else {
                unreachable!("a server is a pod")
            };
            Ok::<_, Infallible>(ServerPod {
                pod: pod.clone(),
                address: placed.address,
                secondary: None,
                node: placed.node.clone(),
            })
        },
        |_, _| unreachable!("the suite has no Service"),
    );
    assert!(!layout.destinations.contains_key("internet"));
    // The keys come from the suite alone; the phase's cells carry them whatever the layout holds.
    let keys = cell_keys(&suite);
    let policies = resolved_policies(&suite.phases[1], &deployment.placeholders);
    let phase = phase_cells(&suite, 1, &layout, &deployment.world, &policies).unwrap();
    let cell_keys: Vec<_> = phase.iter().map(|c| c.key.clone()).collect();
    assert_eq!(cell_keys, keys);
    let internet = &phase[2];
    assert_eq!(internet.key.to_string(), "pod1->internet:80");
    assert!(
        internet
            .skipped
            .as_deref()
            .unwrap()
            .contains("NETREACH_OUTSIDE_ADDRS")
    );
    assert_eq!(
        (internet.url.as_str(), internet.oracle.is_none()),
        ("", true)
    );
    // The unobserved result of a skipped cell is a skip, never a pass.
    assert!(matches!(
        internet.unobserved(String::new()).observed,
        Observation::Skipped { .. }
    ));
}

#[test]
fn a_pod_created_in_a_later_phase_is_skipped_and_not_judged_before_it() {
    let suite = load("suites/conformance/new-pod.yaml", &outside_env);
    let before = cells(&suite, 0);
    let late: Vec<&Cell> = before.iter().filter(|c| c.key.from == "late").collect();
    assert_eq!(late.len(), 2);
    for cell in late {
        assert_eq!(cell.skipped.as_deref(), Some("created in phase deny"));
        assert!(cell.oracle.is_none() && cell.expected.is_none() && cell.url.is_empty());
    }
    let deny = cells(&suite, 1);
    let late_web = deny
        .iter()
        .find(|c| c.key.to_string() == "late->web:8080")
        .unwrap();
    assert_eq!(late_web.skipped, None);
    // An oracle phase expects what the oracle says.
    assert_eq!(late_web.expected, Some(Reach::Deny));
    assert_eq!(
        late_web.expected,
        late_web.oracle.as_ref().map(|o| o.expected)
    );
}

#[test]
fn a_source_missing_from_the_layout_is_probed_but_not_judged() {
    let suite = load("suites/conformance/new-pod.yaml", &outside_env);
    let mut deployment = synthetic_deployment(&suite);
    deployment.layout.sources.remove("early");
    let policies = resolved_policies(&suite.phases[1], &deployment.placeholders);
    let phase = phase_cells(&suite, 1, &deployment.layout, &deployment.world, &policies).unwrap();
    let early = phase.iter().find(|c| c.key.from == "early").unwrap();
    assert!(early.skipped.is_none() && !early.url.is_empty());
    assert!(early.oracle.is_none() && early.expected.is_none() && early.source.is_none());
}

/// Issue 13: a table written for one plugin, run under another plugin's profile. On a cell the profile decides, the
/// table's symbol is only what its author's plugin chose: the cell is expected as the oracle says under the profile
/// in force (what `plan` shows as `X*`), so the plugin's choice passes and another plugin's is listed, not failed.
#[test]
fn an_implementation_defined_cell_of_a_table_is_expected_as_the_profile_says() {
    use netreach_core::cell::{CellStatus, DenyKind};
    use netreach_core::named_profile::NamedProfile;

    let mut suite = load("suites/metadata-access.yaml", &no_env);
    suite.profile = NamedProfile::builtin("cilium").unwrap().profile();
    let phase = cells(&suite, 1);
    let web = phase.iter().find(|c| c.key.to == "web").unwrap();
    let oracle = web.oracle.as_ref().unwrap();
    assert_eq!(web.table, Some(Reach::Allow));
    assert_eq!(oracle.expected, Reach::Deny);
    assert_eq!(oracle.implementation_defined, ["ipblock-matches-pod-ips"]);
    assert_eq!(
        web.expected,
        Some(Reach::Deny),
        "the profile decides, not the table"
    );
    let observe = |cell: &Cell, observed: Observation| {
        let mut result = cell.unobserved(String::new());
        result.observed = observed;
        result.status()
    };
    let dropped = Observation::Denied {
        kind: DenyKind::Timeout,
        curl_exit: 28,
        evidence: None,
    };
    let allowed = Observation::Allowed { http_status: 200 };
    assert_eq!(observe(web, dropped.clone()), CellStatus::Pass);
    assert_eq!(
        observe(web, allowed.clone()),
        CellStatus::ImplementationDefined
    );
    // Cells the specification alone decides keep the table, and a table the plugin contradicts still fails.
    let metadata = phase.iter().find(|c| c.key.to == "metadata").unwrap();
    assert!(
        metadata
            .oracle
            .as_ref()
            .unwrap()
            .implementation_defined
            .is_empty()
    );
    assert_eq!(metadata.expected, metadata.table);
    assert_eq!(observe(metadata, allowed), CellStatus::Fail);
    // Under the profile the table was written for, the same cell is expected as written.
    suite.profile = NamedProfile::builtin("kube-router").unwrap().profile();
    let phase = cells(&suite, 1);
    let web = phase.iter().find(|c| c.key.to == "web").unwrap();
    assert_eq!(web.expected, Some(Reach::Allow));
    assert_eq!(observe(web, dropped), CellStatus::ImplementationDefined);
}

/// A Service cell is decided by its backend pod (after DNAT): by ClusterIP the ipBlock on the Service CIDR allows
/// nothing; by name it also needs the source's DNS egress, which the oracle judges to the kube-dns pod on UDP 53.
#[test]
fn service_cells_are_decided_by_the_backend_and_by_name_also_by_dns_egress() {
    let suite = load("suites/conformance/services.yaml", &no_env);
    let phase = cells(&suite, 1);
    let cell = |from: &str, to: &str| {
        phase
            .iter()
            .find(|c| c.key.from == from && c.key.to == to)
            .and_then(|c| c.oracle.clone())
            .unwrap()
    };
    let by_name = cell("client", "allowed-name");
    assert_eq!(
        (by_name.expected, by_name.dns),
        (Reach::Allow, Some(Reach::Allow))
    );
    let urls: Vec<&str> = phase
        .iter()
        .filter(|c| c.key.from == "client" && c.key.to.starts_with("allowed"))
        .map(|c| c.url.as_str())
        .collect();
    assert_eq!(
        urls,
        [
            "http://10.244.0.100:8080/",
            "http://10.96.0.100:8080/",
            "http://allowed.nrc-svc-web.svc.cluster.local.:8080/"
        ]
    );
    let no_dns = cell("nodns", "allowed-name");
    assert_eq!(
        (no_dns.expected, no_dns.dns),
        (Reach::Deny, Some(Reach::Deny))
    );
    assert!(
        no_dns
            .explanation
            .starts_with("resolving allowed.nrc-svc-web.svc.cluster.local. needs DNS egress")
    );
    // Resolves, but TCP to the backend is denied.
    let blocked = cell("client", "blocked-name");
    assert_eq!(
        (blocked.expected, blocked.dns),
        (Reach::Deny, Some(Reach::Allow))
    );
    // The trap: an ipBlock on the Service CIDR (10.96.0.100/16 here) does not allow the Service.
    let trap = cell("svccidr", "allowed-ip");
    assert_eq!((trap.expected, trap.dns), (Reach::Deny, None));
    assert!(
        trap.explanation
            .contains("through Service netreach-plan/allowed")
            || trap
                .explanation
                .contains("through Service nrc-svc-web/allowed (10.96.0.100)"),
        "{}",
        trap.explanation
    );
}

/// Without a cluster DNS pod in the world, cells by name are skipped with the reason; by ClusterIP they are probed.
#[test]
fn without_cluster_dns_cells_by_name_are_skipped() {
    let suite = load("suites/conformance/services.yaml", &no_env);
    let mut deployment = synthetic_deployment(&suite);
    deployment
        .world
        .pods
        .retain(|p| p.namespace != "kube-system");
    let policies = resolved_policies(&suite.phases[1], &deployment.placeholders);
    let phase = phase_cells(&suite, 1, &deployment.layout, &deployment.world, &policies).unwrap();
    let skipped: Vec<&str> = phase
        .iter()
        .filter(|c| c.key.from == "client" && c.skipped.is_some())
        .map(|c| c.key.to.as_str())
        .collect();
    assert_eq!(skipped, ["allowed-name", "blocked-name", "udp-name"]);
    assert!(phase.iter().all(|c| {
        c.skipped
            .as_deref()
            .is_none_or(|r| r.contains("k8s-app=kube-dns"))
    }));
}

/// A name that did not resolve is a denial by DNS only where the oracle says DNS egress is denied.
#[test]
fn an_unresolved_name_is_a_denial_only_when_dns_egress_is_denied() {
    let unresolved = Observation::from_curl(6, 0, "");
    assert_eq!(
        unresolved.clone().given_dns(Some(Reach::Deny)).reach(),
        Some(Reach::Deny)
    );
    for dns in [Some(Reach::Allow), None] {
        assert!(matches!(
            unresolved.clone().given_dns(dns),
            Observation::Error { message } if message.contains("did not resolve")
        ));
    }
    let timeout = Observation::from_curl(28, 0, "Resolving timed out after 2000 milliseconds");
    assert_eq!(
        timeout.given_dns(Some(Reach::Deny)).reach(),
        Some(Reach::Deny)
    );
    let refused = Observation::from_curl(7, 0, "");
    assert_eq!(refused.clone().given_dns(Some(Reach::Allow)), refused);
    // agnhost connect (UDP by name) says so with its `DNS:` line, kept in the error.
    let said = "DNS: lookup s.n.svc.cluster.local. on 10.96.0.10:53: read: connection refused";
    let agnhost = Observation::from_connect(1, said.into());
    assert_eq!(
        agnhost.clone().given_dns(Some(Reach::Deny)).reach(),
        Some(Reach::Deny)
    );
    assert!(matches!(
        agnhost.given_dns(Some(Reach::Allow)),
        Observation::Error { message } if message.contains(said) && message.contains("DNS egress to kube-dns is allowed")
    ));
}

/// Issue 13: the profile replaces a table's symbol only where the symbol is the oracle's own verdict under the profile
/// the table was written for. Under that profile the table is the expectation, so the seed's broken policy (its
/// `except` removed: every pod reaches the metadata server on a plugin whose ipBlocks match the node) still fails;
/// under another profile a symbol that contradicts the policy as written stays the expectation too.
#[test]
fn a_table_symbol_that_contradicts_the_policy_stays_the_expectation() {
    use netreach_core::cell::{CellStatus, DenyKind};
    use netreach_core::named_profile::NamedProfile;

    let mut suite = load("suites/metadata-access.yaml", &no_env);
    for phase in &mut suite.phases {
        for manifest in &mut phase.policies {
            for rule in manifest
                .policy
                .spec
                .as_mut()
                .and_then(|s| s.egress.as_mut())
                .into_iter()
                .flatten()
            {
                for peer in rule.to.iter_mut().flatten() {
                    if let Some(block) = peer.ip_block.as_mut() {
                        block.except = None;
                    }
                }
            }
        }
    }
    let observe = |cell: &Cell, observed: Observation| {
        let mut result = cell.unobserved(String::new());
        result.observed = observed;
        result.status()
    };
    let allowed = Observation::Allowed { http_status: 200 };
    let dropped = Observation::Denied {
        kind: DenyKind::Timeout,
        curl_exit: 28,
        evidence: None,
    };
    let phase = cells(&suite, 1);
    let metadata = phase.iter().find(|c| c.key.to == "metadata").unwrap();
    let oracle = metadata.oracle.as_ref().unwrap();
    assert_eq!(
        (metadata.table, oracle.expected),
        (Some(Reach::Deny), Reach::Allow)
    );
    assert_eq!(oracle.implementation_defined, ["ipblock-matches-node-ips"]);
    assert_eq!(metadata.expected, Some(Reach::Deny));
    assert_eq!(observe(metadata, allowed.clone()), CellStatus::Fail);

    suite.profile = NamedProfile::builtin("cilium").unwrap().profile();
    let phase = cells(&suite, 1);
    let metadata = phase.iter().find(|c| c.key.to == "metadata").unwrap();
    assert_eq!(metadata.expected, Some(Reach::Deny));
    assert_eq!(observe(metadata, dropped), CellStatus::Pass);
    // A Cilium whose ipBlocks match nodes after all is caught by the table.
    suite.profile = suite.profile.with(
        netreach_core::oracle::ProfileSwitch::IpblockMatchesNodeIps,
        true,
    );
    let phase = cells(&suite, 1);
    let metadata = phase.iter().find(|c| c.key.to == "metadata").unwrap();
    assert_eq!(metadata.expected, Some(Reach::Deny));
    assert_eq!(observe(metadata, allowed), CellStatus::Fail);
}

/// Issue 12: a server destination with `family: IPv6` is probed at its pod's IPv6 address (the cell says so); where
/// the cluster gave the pod none (single-stack), its cells are skipped with the reason, never probed.
#[test]
fn an_ipv6_destination_is_probed_at_the_pods_ipv6_address_or_skipped_with_the_reason() {
    let suite = load("suites/conformance/ipv6.yaml", &no_env);
    let deployment = synthetic_deployment(&suite);
    let cells = phase_cells(&suite, 0, &deployment.layout, &deployment.world, &[]).unwrap();
    let v6 = cells.iter().find(|c| c.key.to == "web-v6").unwrap();
    assert_eq!(v6.family, Some(IpFamily::IPv6));
    assert!(v6.url.starts_with("http://[fd00:10:244::"), "{}", v6.url);
    assert_eq!(
        v6.key.to_string(),
        "client->web-v6:8080",
        "names carry no family"
    );
    let v4 = cells.iter().find(|c| c.key.to == "web").unwrap();
    assert_eq!(v4.family, Some(IpFamily::IPv4));
    // The UDP server is probed by agnhost connect at [IPv6]:PORT.
    let udp = cells.iter().find(|c| c.key.to == "udp-v6").unwrap();
    assert!(udp.url.starts_with("udp://[fd00:10:244::"), "{}", udp.url);
    assert_eq!(udp.key.to_string(), "client->udp-v6:5353/udp");
    // web's Service at its IPv6 ClusterIP reaches web's pod at its IPv6 address.
    let service = cells.iter().find(|c| c.key.to == "svc-v6").unwrap();
    assert_eq!(service.family, Some(IpFamily::IPv6));
    assert!(
        service.url.starts_with("http://[fd00:10:96::"),
        "{}",
        service.url
    );
    let explanation = &service.oracle.as_ref().unwrap().explanation;
    assert!(
        explanation.contains("is the pod IP of nrc-ipv6/web\n"),
        "{explanation}"
    );

    // The same suite laid out as a single-stack cluster leaves the pods without an IPv6 address.
    let mut layout = Layout::default();
    layout.sources = deployment.layout.sources.clone();
    let Ok(()) = layout.place_destinations(
        &suite,
        false,
        |_, destination, _| {
            Ok::<_, Infallible>(ServerPod {
                pod: PodRef::new("nrc-ipv6", destination.name.clone()),
                address: "10.244.0.100".parse().unwrap(),
                secondary: None,
                node: None,
            })
        },
        |server, by| {
            let ip = "10.96.0.100".parse().unwrap();
            Ok(ServiceAddress::new("nrc-ipv6", server, ip, by))
        },
    );
    let cells = phase_cells(&suite, 0, &layout, &deployment.world, &[]).unwrap();
    let service = cells.iter().find(|c| c.key.to == "svc-v6").unwrap();
    assert_eq!(
        service.skipped.as_deref(),
        Some(
            "the cluster gave Service nrc-ipv6/web no IPv6 ClusterIP (a single-stack cluster; the cells need a dual-stack one)"
        )
    );
    let v6 = cells.iter().find(|c| c.key.to == "web-v6").unwrap();
    assert_eq!(
        v6.skipped.as_deref(),
        Some(
            "the cluster gave pod nrc-ipv6/web-v6 no IPv6 address (a single-stack cluster; the cells need a dual-stack one)"
        )
    );
    assert!(v6.url.is_empty() && v6.oracle.is_none());
    assert_eq!(v6.family, Some(IpFamily::IPv6));
    assert!(
        cells
            .iter()
            .filter(|c| c.key.to == "web")
            .all(|c| c.skipped.is_none())
    );
}
