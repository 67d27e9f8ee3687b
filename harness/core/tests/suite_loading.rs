//! Loading suites: the seed suite's model, and one-line errors naming file and field for bad input.

mod suite_support;

use std::path::PathBuf;

use netreach_core::cell::Reach;
use netreach_core::suite::{DestinationKind, ExternalDestination, load_suite_with_env};
use suite_support::*;

#[test]
fn seed_suite_loads_with_three_phases_and_the_placeholder() {
    let suite = load("suites/metadata-access.yaml", &outside_env);
    assert_eq!(suite.pods.len(), 3);
    assert_eq!(suite.phases.len(), 3);
    assert_eq!(suite.placeholders[0].address.to_string(), "192.168.100.21");
    assert_eq!(suite.placeholders[0].destination, "metadata");
    let deny_allow = &suite.phases[2];
    assert_eq!(deny_allow.policies.len(), 2);
    assert_eq!(
        deny_allow.policies[1].qualified_name(),
        "metadata-access/metadata-allow"
    );
    assert_eq!(
        deny_allow.expectation.expected("pod3", "metadata"),
        Some(Reach::Allow)
    );
    assert_eq!(
        deny_allow.expectation.expected("pod2", "metadata"),
        Some(Reach::Deny)
    );
    let internet = suite
        .destinations
        .iter()
        .find(|d| d.name == "internet")
        .unwrap();
    match &internet.kind {
        DestinationKind::External(ExternalDestination::Resolved { address, port, .. }) => {
            assert_eq!((address.to_string(), *port), ("10.251.0.11".to_owned(), 80));
        }
        other => panic!("internet should resolve, got {other:?}"),
    }
}

#[test]
fn optional_outside_destination_without_environment_is_unavailable_not_an_error() {
    let suite = load("suites/metadata-access.yaml", &no_env);
    let internet = suite
        .destinations
        .iter()
        .find(|d| d.name == "internet")
        .unwrap();
    assert!(
        internet
            .skip_reason()
            .unwrap()
            .contains("NETREACH_OUTSIDE_ADDRS is not set")
    );
}

/// Writes a copy of the seed suite with its manifests into a temp dir, applying `edit` to one file.
fn seed_copy(file: &str, edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = repo_root();
    std::fs::create_dir_all(dir.path().join("suites")).unwrap();
    std::fs::create_dir_all(dir.path().join("manifests/metadata-access")).unwrap();
    for relative in [
        "suites/metadata-access.yaml",
        "manifests/metadata-access/13_metadata-deny.yaml",
        "manifests/metadata-access/13_metadata-allow.yaml",
    ] {
        let text = std::fs::read_to_string(root.join(relative)).unwrap();
        let text = if relative.ends_with(file) {
            edit(text)
        } else {
            text
        };
        std::fs::write(dir.path().join(relative), text).unwrap();
    }
    let suite = dir.path().join("suites/metadata-access.yaml");
    (dir, suite)
}

fn load_error(file: &str, edit: impl Fn(String) -> String) -> String {
    let (_dir, suite) = seed_copy(file, edit);
    one_line_load_error(&suite, &outside_env)
}

#[test]
fn malformed_cidr_names_the_manifest_and_field() {
    let error = load_error("13_metadata-deny.yaml", |t| {
        t.replace("192.168.100.21/32", "192.168.100.300/32")
    });
    assert!(
        error.contains(
            "13_metadata-deny.yaml: spec.egress[0].to[0].ipBlock.except[0]: invalid CIDR"
        ),
        "{error}"
    );
}

#[test]
fn except_outside_its_cidr_is_rejected() {
    let error = load_error("13_metadata-deny.yaml", |t| {
        t.replace("0.0.0.0/0", "10.0.0.0/8")
    });
    assert!(
        error.contains("except[0]: 192.168.100.21/32 is not inside cidr 10.0.0.0/8"),
        "{error}"
    );
}

#[test]
fn unknown_field_in_a_manifest_is_named() {
    let error = load_error("13_metadata-allow.yaml", |t| {
        t.replace("  podSelector:", "  podSelectr: {}\n  podSelector:")
    });
    assert!(
        error.contains("13_metadata-allow.yaml: spec.podSelectr: unknown field"),
        "{error}"
    );
}

#[test]
fn unknown_field_in_the_suite_is_named() {
    let error = load_error("metadata-access.yaml", |t| {
        t.replace("    labels: {app: pod1}", "    lables: {app: pod1}")
    });
    assert!(error.contains("metadata-access.yaml"), "{error}");
    assert!(
        error.contains("line 9 column 5: unknown field `lables`"),
        "{error}"
    );
}

#[test]
fn expectation_table_missing_a_pod_is_named() {
    let error = load_error("metadata-access.yaml", |t| {
        t.replacen("      pod3  .        .   .\n", "", 1)
    });
    assert!(
        error.contains("phases[0].expect: pod \"pod3\" has no row"),
        "{error}"
    );
}

#[test]
fn missing_manifest_is_named() {
    let error = load_error("metadata-access.yaml", |t| {
        t.replace("13_metadata-allow.yaml", "nope.yaml")
    });
    assert!(
        error.contains("phases[2].policies[1]: no such file"),
        "{error}"
    );
}

#[test]
fn policy_in_an_undeclared_namespace_is_rejected() {
    let error = load_error("13_metadata-allow.yaml", |t| {
        t.replace("namespace: metadata-access", "namespace: elsewhere")
    });
    assert!(
        error.contains("metadata.namespace: namespace \"elsewhere\""),
        "{error}"
    );
}

#[test]
fn created_in_an_unknown_phase_is_named() {
    let error = load_error("metadata-access.yaml", |t| {
        t.replacen(
            "    labels: {app: pod1}\n",
            "    labels: {app: pod1}\n    createdIn: no-such-phase\n",
            1,
        )
    });
    assert!(error.contains("metadata-access.yaml"), "{error}");
    assert!(
        error.contains("pods[0].createdIn: no phase named \"no-such-phase\""),
        "{error}"
    );
}

#[test]
fn cells_of_a_pod_before_its_created_in_phase_are_skipped_in_the_plan() {
    let suite = load("suites/conformance/new-pod.yaml", &outside_env);
    let late = suite.pods.iter().find(|p| p.name == "late").unwrap();
    assert_eq!(late.created_in.as_deref(), Some("deny"));
    assert_eq!(suite.created_in_index(late), Some(1));
    let plans = netreach_core::plan::plan_suite(&suite).unwrap();
    let cell = |phase: usize, from: &str, to: &str| {
        plans[phase]
            .cells
            .iter()
            .find(|c| c.from == from && c.to == to)
            .unwrap()
            .clone()
    };
    // Before: skipped with the reason, never expected (so never a pass).
    let before = cell(0, "late", "inet");
    assert_eq!(before.expected, None);
    assert_eq!(before.skipped.as_deref(), Some("created in phase deny"));
    assert_eq!(cell(0, "early", "inet").expected, Some(Reach::Allow));
    // From its phase on, the pod is judged like any other.
    assert_eq!(cell(1, "late", "inet").expected, Some(Reach::Deny));
    assert_eq!(cell(1, "late", "web").expected, Some(Reach::Deny));
    assert_eq!(cell(1, "late-in", "web").expected, Some(Reach::Deny));
    assert_eq!(cell(1, "late-in", "inet").expected, Some(Reach::Allow));
}

#[test]
fn a_server_port_name_that_is_not_an_iana_name_is_named() {
    let error = load_error("metadata-access.yaml", |t| {
        t.replace(
            "port: 8080, body: web",
            "port: 8080, portName: Serve_80, body: web",
        )
    });
    assert!(
        error.contains("destinations[1].server.portName: \"Serve_80\" is not a port name"),
        "{error}"
    );
}

/// Issue 16, defect 3: an unset optional outside address is planned with a made-up address (not left out), and
/// the cell's port, which names the test, is the suite's whatever the environment holds.
#[test]
fn unset_optional_outside_address_is_planned_with_a_made_up_address_and_the_suites_port() {
    let path = repo_root().join("suites/metadata-access.yaml");
    let ports = |env: &dyn Fn(&str) -> Option<String>| {
        let suite = load_suite_with_env(&path, env).unwrap();
        let plans = netreach_core::plan::plan_suite(&suite).unwrap();
        let cell = plans[1]
            .cells
            .iter()
            .find(|c| c.from == "pod1" && c.to == "internet")
            .unwrap()
            .clone();
        (cell.port, cell.expected, cell.explanation)
    };
    let (unset_port, unset_expected, unset_explanation) = ports(&no_env);
    let (set_port, _, _) = ports(&outside_env);
    assert_eq!((unset_port, set_port), (80, 80));
    assert_eq!(unset_expected, Some(Reach::Allow));
    assert!(
        unset_explanation.contains("198.51.100."),
        "{unset_explanation}"
    );
}

/// A port that only the environment gives would make test names depend on it: refused, naming the field.
#[test]
fn a_port_from_the_environment_alone_is_refused() {
    let with_port = |name: &str| {
        (name == "NETREACH_OUTSIDE_ADDRS").then(|| "10.251.0.10 10.251.0.11:8080".to_owned())
    };
    let error = load_suite_with_env(&repo_root().join("suites/metadata-access.yaml"), &with_port)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("destinations[2].external.address: \"10.251.0.11:8080\" has port 8080"),
        "{error}"
    );
}

#[test]
fn a_server_port_name_defaults_to_http_and_can_be_set() {
    let (_dir, suite) = seed_copy("metadata-access.yaml", |t| {
        t.replace(
            "port: 8080, body: web",
            "port: 8080, portName: serve-80-tcp, body: web",
        )
    });
    let suite = load_suite_with_env(&suite, &outside_env).unwrap();
    let names: Vec<&str> = suite
        .destinations
        .iter()
        .filter_map(|d| match &d.kind {
            DestinationKind::Server(s) => s.ports[0].name.as_deref(),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["http", "serve-80-tcp"]);
}

/// Issue 16, defect 6: a YAML 1.1 boolean as a label value in a manifest is named by its field path.
#[test]
fn yaml_boolean_label_value_in_a_manifest_names_the_field() {
    let error = load_error("13_metadata-allow.yaml", |t| {
        t.replace("role: metadata-accessor", "role: yes")
    });
    assert!(
        error.contains(
            "13_metadata-allow.yaml: spec.podSelector.matchLabels.role: invalid type: boolean `true`"
        ),
        "{error}"
    );
    assert!(error.contains("quote the value"), "{error}");
}

/// Issue 16, defect 6: invalid label keys and values in the suite and in manifests are found before any cluster
/// call, naming the field.
#[test]
fn invalid_labels_are_named_by_field() {
    let error = load_error("metadata-access.yaml", |t| {
        t.replace("labels: {app: pod2}", "labels: {app: \"bad value!\"}")
    });
    assert!(
        error.contains(
            "metadata-access.yaml: pods[1].labels.app: \"bad value!\" is not a valid label value"
        ),
        "{error}"
    );
    let error = load_error("metadata-access.yaml", |t| {
        t.replace("labels: {app: pod2}", "labels: {\"bad key\": pod2}")
    });
    assert!(
        error.contains("pods[1].labels.bad key: \"bad key\" is not a valid label key"),
        "{error}"
    );
    let error = load_error("metadata-access.yaml", |t| {
        t.replace(
            "  - name: metadata-access\n",
            "  - name: metadata-access\n    labels: {team: -x}\n",
        )
    });
    assert!(error.contains("namespaces[0].labels.team"), "{error}");
    let error = load_error("13_metadata-allow.yaml", |t| {
        t.replace("role: metadata-accessor", "role: metadata accessor")
    });
    assert!(
        error.contains(
            "13_metadata-allow.yaml: spec.podSelector.matchLabels.role: \"metadata accessor\" is not a valid label value"
        ),
        "{error}"
    );
}

/// Issue 16, defect 5: two manifests carrying the same policy name are told apart by their file.
#[test]
fn same_policy_name_from_two_files_names_the_file() {
    let (dir, suite) = seed_copy("13_metadata-allow.yaml", |t| t);
    let manifests = dir.path().join("manifests/metadata-access");
    let v2 = std::fs::read_to_string(manifests.join("13_metadata-allow.yaml"))
        .unwrap()
        .replace("role: metadata-accessor", "app: pod2");
    std::fs::write(manifests.join("allow-v2.yaml"), v2).unwrap();
    // Phase 2 applies the allow as shipped, phase 3 the second version with the same name.
    let text = std::fs::read_to_string(&suite)
        .unwrap()
        .replace(
            "      - ../manifests/metadata-access/13_metadata-allow.yaml\n",
            "      - ../manifests/metadata-access/allow-v2.yaml\n",
        )
        .replace(
            "    policies: [../manifests/metadata-access/13_metadata-deny.yaml]\n",
            "    policies: [../manifests/metadata-access/13_metadata-allow.yaml]\n",
        );
    std::fs::write(&suite, text).unwrap();
    let suite = load_suite_with_env(&suite, &outside_env).unwrap();
    let plans = netreach_core::plan::plan_suite(&suite).unwrap();
    assert_eq!(
        plans[1].policies,
        ["metadata-access/metadata-allow from ../manifests/metadata-access/13_metadata-allow.yaml"]
    );
    assert_eq!(
        plans[2].policies,
        [
            "metadata-access/metadata-deny",
            "metadata-access/metadata-allow from ../manifests/metadata-access/allow-v2.yaml"
        ]
    );
}

/// Issue 12: several ports per server, each with a name and a protocol; the columns (and the table's header) are
/// `NAME:PORT[/udp]` for such a server.
#[test]
fn a_server_with_several_ports_of_two_protocols_has_one_column_per_port() {
    let suite = load("suites/conformance/named-ports.yaml", &no_env);
    let columns: Vec<(String, u16, &str)> = suite
        .columns()
        .into_iter()
        .map(|c| (c.label, c.port, c.protocol.as_api()))
        .collect();
    assert_eq!(
        columns,
        [
            ("multi:8080".to_owned(), 8080, "TCP"),
            ("multi:5353/udp".to_owned(), 5353, "UDP"),
            ("multi:9090".to_owned(), 9090, "TCP"),
        ]
    );
    assert_eq!(
        suite.phases[1]
            .expectation
            .expected("client", "multi:5353/udp"),
        Some(Reach::Allow)
    );
}

#[test]
fn bad_server_ports_are_named_by_field() {
    let with = |ports: &'static str| {
        load_error("metadata-access.yaml", move |t| {
            t.replace("port: 8080, body: web", ports)
        })
    };
    assert!(
        with("port: 8080, ports: [{port: 53}], body: web")
            .contains("destinations[1].server.ports: give either `port`/`portName` or `ports`"),
    );
    assert!(
        with("ports: [{port: 53, protocol: UDP}, {port: 53, protocol: UDP}]")
            .contains("destinations[1].server.ports[1].port: 53 UDP is declared twice"),
    );
    assert!(
        with("ports: [{name: dns, port: 53}, {name: dns, port: 54}]")
            .contains("destinations[1].server.ports[1].name: duplicate port name \"dns\""),
    );
    assert!(with("ports: [{port: 53, protocol: udp}]").contains("unknown variant `udp`"));
    assert!(with("ports: []").contains("destinations[1].server.ports: at least one port"));
}

#[test]
fn a_service_must_front_an_earlier_pod_server() {
    let error = load_error("metadata-access.yaml", |text| {
        text.replace(
            "  - name: web\n",
            "  - name: svc\n    service: {of: web}\n  - name: web\n",
        )
    });
    assert!(
        error.contains("destinations[1].service.of") && error.contains("declared before"),
        "{error}"
    );
    let error = load_error("metadata-access.yaml", |text| {
        text.replace(
            "  - name: web\n",
            "  - name: svc\n    service: {of: metadata, by: name}\n  - name: web\n",
        )
    });
    assert!(error.contains("hostNetwork server"), "{error}");
    let error = load_error("metadata-access.yaml", |text| {
        text.replace(
            "  - name: web\n",
            "  - name: svc\n    service: {of: metadata, by: dns}\n  - name: web\n",
        )
    });
    assert!(
        error.contains("unknown variant `dns`, expected one of ip, name"),
        "{error}"
    );
}

/// Issue 12: a `self` destination: each source pod to its own pod IP, on ports it serves, judged by the oracle as
/// traffic from the pod to itself: under a policy that isolates the pod, the verdict is the switch
/// `policy-applies-to-self-traffic` (allowed when false, denied when true), and implementation-defined either way.
#[test]
fn self_cells_probe_each_pod_at_its_own_address_and_depend_on_the_self_traffic_switch() {
    use netreach_core::matrix::Cell;
    use netreach_core::plan::synthetic_deployment;
    let mut suite = load("suites/conformance/self.yaml", &no_env);
    let own = |cells: &[Cell], pod: &str, to: &str, protocol: &str| -> Cell {
        let found = cells
            .iter()
            .find(|c| c.key.from == pod && c.key.to == to && c.key.protocol.as_api() == protocol);
        found.cloned().unwrap()
    };
    let verdict = |cell: &Cell| {
        let oracle = cell.oracle.as_ref().unwrap();
        (oracle.expected, oracle.implementation_defined.clone())
    };
    let switch = vec!["policy-applies-to-self-traffic".to_owned()];
    let deny_all = cells(&suite, 1);
    let isolated = own(&deny_all, "isolated", "self", "TCP");
    let address = synthetic_deployment(&suite).layout.sources["isolated"].address;
    assert_eq!(isolated.url, format!("http://{address}:8080/"));
    assert_eq!(
        own(&deny_all, "isolated", "self", "UDP").url,
        format!("udp://{address}:8080")
    );
    assert_eq!(verdict(&isolated), (Reach::Allow, switch.clone()));
    let open = own(&deny_all, "open", "self", "TCP");
    assert_ne!(open.url, isolated.url);
    assert_eq!(verdict(&open), (Reach::Allow, vec![]));
    // Through the Service in front of it alone: the same pod after DNAT, so the same switch.
    let hairpin = own(&deny_all, "isolated", "self-svc", "TCP");
    assert_eq!(hairpin.url, "http://10.96.1.10:8080/");
    assert_eq!(
        hairpin.service.as_ref().map(|s| s.service.as_str()),
        Some("nrc-self/self-isolated")
    );
    assert_eq!(verdict(&hairpin), (Reach::Allow, switch.clone()));
    assert_eq!(
        own(&deny_all, "open", "self-svc", "UDP").url,
        "udp://10.96.1.11:8080"
    );
    // By name, its DNS egress is denied first: denied whatever the switch says, so not implementation-defined.
    let by_name = own(&deny_all, "isolated", "self-svc-name", "TCP");
    assert_eq!(
        by_name.url,
        "http://self-isolated.nrc-self.svc.cluster.local.:8080/"
    );
    assert_eq!(verdict(&by_name), (Reach::Deny, vec![]));
    assert_eq!(
        verdict(&own(&deny_all, "open", "self-svc-name", "TCP")),
        (Reach::Allow, vec![])
    );
    // Under an ingress deny alone DNS egress stays open: by name the switch decides again.
    let ingress_only = cells(&suite, 2);
    assert_eq!(
        verdict(&own(&ingress_only, "isolated", "self-svc-name", "TCP")),
        (Reach::Allow, switch.clone())
    );
    // Without a policy around it the switch decides nothing.
    let no_policy = cells(&suite, 0);
    assert_eq!(
        verdict(&own(&no_policy, "isolated", "self", "TCP")),
        (Reach::Allow, vec![])
    );

    suite.profile.policy_applies_to_self_traffic = true;
    let strict = cells(&suite, 1);
    for (to, protocol) in [
        ("self", "TCP"),
        ("self", "UDP"),
        ("self-svc", "TCP"),
        ("self-svc", "UDP"),
    ] {
        let cell = own(&strict, "isolated", to, protocol);
        assert_eq!(
            verdict(&cell),
            (Reach::Deny, switch.clone()),
            "{to} {protocol}"
        );
    }
    assert_eq!(
        verdict(&own(&strict, "open", "self", "TCP")),
        (Reach::Allow, vec![])
    );
}

/// Issue 12: a bad `self` destination is one line naming the file and the field.
#[test]
fn bad_self_destinations_are_named_by_field() {
    let with = |destination: &'static str, pod: &'static str| {
        load_error("metadata-access.yaml", move |t| {
            t.replace("  - name: web\n", &format!("{destination}  - name: web\n"))
                .replace("labels: {app: pod1}", pod)
        })
    };
    let pod1 = "labels: {app: pod1}";
    let error = with(
        "  - name: own\n    self: {port: 8080, ports: [{port: 9090}]}\n",
        pod1,
    );
    assert!(
        error.contains("metadata-access.yaml")
            && error
                .contains("destinations[1].self.ports: give either `port`/`portName` or `ports`"),
        "{error}"
    );
    let error = with("  - name: own\n    self: {ports: []}\n", pod1);
    assert!(
        error.contains("destinations[1].self.ports: at least one port"),
        "{error}"
    );
    let error = with(
        "  - name: own\n    self: {port: 8080}\n  - name: own2\n    self: {port: 9090}\n",
        pod1,
    );
    assert!(
        error.contains("destinations[2].self: only one `self` destination"),
        "{error}"
    );
    let error = with(
        "  - name: own\n    self: {port: 8080}\n    server: {port: 8080}\n",
        pod1,
    );
    assert!(
        error.contains("destinations[1].(destination): give exactly one of `server`, `external`, `service` or `self`"),
        "{error}"
    );
    let error = with(
        "  - name: own\n    self: {port: 8080}\n  - name: own-pod1\n    server: {port: 9090}\n  - name: svc\n    service: {of: own}\n",
        pod1,
    );
    assert!(
        error.contains(
            "destinations[3].service.of: the Service in front of pod \"pod1\" is named \"own-pod1\", like a destination"
        ),
        "{error}"
    );
    let error = with(
        "  - name: 1own\n    self: {port: 8080}\n  - name: svc\n    service: {of: 1own}\n",
        pod1,
    );
    assert!(
        error.contains("destinations[2].service.of: the Service in front of pod \"pod1\" would be named \"1own-pod1\""),
        "{error}"
    );
    let error = load_error("metadata-access.yaml", |t| {
        t.replace(
            "  - name: web\n",
            "  - name: own\n    self: {port: 8080}\n  - name: web\n",
        )
        .replace("192.168.100.21: metadata", "192.168.100.21: own")
    });
    assert!(
        error.contains("placeholders.192.168.100.21: \"own\" is each source pod itself"),
        "{error}"
    );
    let error = with(
        "  - name: own\n    self: {port: 8080}\n",
        "labels: {app: pod1}\n    hostNetwork: true",
    );
    assert!(
        error.contains("destinations[1].self: pods[0] \"pod1\" is a hostNetwork pod"),
        "{error}"
    );
}

/// Issue 12: `family` on a destination: `IPv4` or `IPv6` on a pod-network server; anywhere else, or misspelt, one
/// line naming the file and the field.
#[test]
fn a_destination_family_is_checked_by_field() {
    let with = |family: &'static str| {
        load_error("metadata-access.yaml", move |t| {
            t.replace(
                "  - name: web\n    server: {port: 8080, body: web}\n",
                &format!(
                    "  - name: web\n    family: {family}\n    server: {{port: 8080, body: web}}\n"
                ),
            )
        })
    };
    let error = with("ipv6");
    assert!(
        error.contains("metadata-access.yaml")
            && error.contains("destinations[1].family: \"ipv6\" is not an IP family (IPv4 or IPv6"),
        "{error}"
    );
    let on = |destination: &'static str| {
        load_error("metadata-access.yaml", move |t| {
            t.replace("  - name: web\n", &format!("{destination}  - name: web\n"))
        })
    };
    let error = on("  - name: v6\n    family: IPv6\n    external: {address: \"fd00::1\"}\n");
    assert!(
        error.contains("destinations[1].family: an outside destination's family is its address's"),
        "{error}"
    );
    let error =
        on("  - name: v6\n    family: IPv6\n    server: {hostNetwork: true, port: 32001}\n");
    assert!(
        error.contains("destinations[1].family: a hostNetwork server"),
        "{error}"
    );
    let service = |services: &'static str| {
        load_error("metadata-access.yaml", move |t| {
            t.replace(
                "  - name: web\n    server: {port: 8080, body: web}\n",
                &format!("  - name: web\n    server: {{port: 8080, body: web}}\n{services}"),
            )
        })
    };
    let error = service("  - name: svc\n    family: IPv6\n    service: {of: web, by: name}\n");
    assert!(
        error.contains(
            "destinations[2].family: a Service probed by name may answer in either family"
        ),
        "{error}"
    );
    let error = service(
        "  - name: svc\n    family: IPv6\n    service: {of: web}\n  - name: svc-name\n    service: {of: web, by: name}\n",
    );
    assert!(
        error.contains(
            "destinations[3].service.by: the Service of \"web\" is dual-stack for \"svc\""
        ),
        "{error}"
    );
}

#[test]
fn the_ipv6_battery_suite_has_a_server_probed_at_its_ipv6_address() {
    let suite = load("suites/conformance/ipv6.yaml", &no_env);
    let families: Vec<_> = suite
        .destinations
        .iter()
        .map(|d| (d.name.as_str(), d.family.map(|f| f.as_api())))
        .collect();
    assert_eq!(
        families,
        [
            ("web", None),
            ("web-v6", Some("IPv6")),
            ("svc-v6", Some("IPv6")),
            ("udp-v6", Some("IPv6"))
        ]
    );
}
