//! Plain-words explanation of a decision: which policies select each side, and why each of their rules matches or not.

use std::fmt::Write as _;

use super::evaluate::{Resolved, ResolvedTarget, SideContext};
use super::peers::{Endpoint, Peer, PeerMiss};
use super::policy::{Direction, Rule};
use super::profile::Consulted;
use super::{Decision, Oracle, OracleError, ProfileSwitch, SideVerdict, Source, Target, Traffic};
use crate::world::{Labels, PodInfo};

impl Oracle<'_> {
    /// Decides `traffic` and explains the decision in plain words, one fact per line: the
    /// outcome, then each side (the policies selecting the pod, each of their rules of that
    /// direction with why it matches or not, the side's verdict), then any exemption and the
    /// profile switches the outcome depends on. Rule and peer indices are 0-based, written as
    /// the field paths of the policy (`egress[0].to[1]`).
    pub fn explain(&self, traffic: &Traffic) -> Result<String, OracleError> {
        let decision = self.decide(traffic)?;
        let resolved = self.resolve(traffic)?;
        let mut out = String::new();
        let verdict = if decision.allowed {
            "allowed"
        } else {
            "denied"
        };
        let _ = writeln!(out, "{traffic}: {verdict}");
        let layered = !self.cluster.is_empty();
        if layered {
            let _ = writeln!(out, "decided by: {}", self.decided_by(&resolved));
        }
        if let (Source::Address(ip), ResolvedTarget::Pod(from)) = (&traffic.from, resolved.from) {
            let _ = writeln!(out, "{ip} is the pod IP of {}", self.pod_name(from));
        }
        if let (Target::Address(ip), ResolvedTarget::Pod(to)) = (&traffic.to, resolved.to) {
            let _ = writeln!(out, "{ip} is the pod IP of {}", self.pod_name(to));
        }
        let side = |out: &mut String, direction: Direction, verdict: &SideVerdict| {
            if layered {
                self.explain_layers(out, direction, &resolved);
            } else {
                self.explain_side(out, direction, &resolved, verdict);
            }
        };
        match resolved.from {
            ResolvedTarget::Pod(_) => side(&mut out, Direction::Egress, &decision.egress),
            ResolvedTarget::Address { ip, node_ip } => {
                let what = if node_ip {
                    "a node address"
                } else {
                    "an outside source"
                };
                let _ = writeln!(
                    out,
                    "egress: {ip} is {what}, no pod: no policy selects it, there is no egress side"
                );
            }
        }
        match resolved.to {
            ResolvedTarget::Pod(_) => side(&mut out, Direction::Ingress, &decision.ingress),
            ResolvedTarget::Address { ip, node_ip } => {
                let what = if node_ip {
                    "a node address"
                } else {
                    "outside the cluster's pods"
                };
                let _ = writeln!(out, "ingress: {ip} is {what}; there is no ingress side");
            }
        }
        if resolved.is_self() && !self.profile.policy_applies_to_self_traffic {
            let _ = writeln!(
                out,
                "traffic from a pod to itself: policies do not apply to it ({}: false) -> allowed",
                ProfileSwitch::PolicyAppliesToSelfTraffic
            );
        }
        self.explain_switches(&mut out, &decision);
        Ok(out)
    }

    pub(crate) fn pod_name(&self, index: usize) -> String {
        let pod = &self.index.pods()[index];
        format!("{}/{}", pod.namespace, pod.name)
    }

    fn explain_side(
        &self,
        out: &mut String,
        direction: Direction,
        t: &Resolved,
        verdict: &SideVerdict,
    ) {
        let kind = direction.rules_field();
        let cx = self.traffic_context(t, &self.profile);
        let Some(side) = self.side_context(&cx, direction) else {
            return;
        };
        let subject = side.subject;
        let subject_name = self.pod_name(subject);
        let selecting = &self.selecting[direction as usize][subject];
        if self.index.pods()[subject].host_network && !self.profile.host_network_pods_selected {
            let _ = writeln!(
                out,
                "{kind} of {subject_name}: a hostNetwork pod, never selected by policies ({}: false) -> unrestricted",
                ProfileSwitch::HostNetworkPodsSelected
            );
            return;
        }
        if selecting.is_empty() {
            let _ = writeln!(
                out,
                "{kind} of {subject_name}: selected by no policy of type {} -> unrestricted",
                if direction == Direction::Egress {
                    "Egress"
                } else {
                    "Ingress"
                }
            );
            return;
        }
        let names: Vec<&str> = selecting
            .iter()
            .map(|&p| self.policy(p).name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "{kind} of {subject_name}: selected by {}",
            names.join(", ")
        );
        self.network_policy_rules(out, &side, "  ");
        let _ = writeln!(out, "  -> {}", network_policy_outcome(direction, verdict));
    }

    /// One line per rule of the NetworkPolicies selecting the side's pod in its direction, each with why it matches
    /// or not.
    pub(crate) fn network_policy_rules(
        &self,
        out: &mut String,
        side: &SideContext<'_>,
        indent: &str,
    ) {
        let direction = side.direction;
        let kind = direction.rules_field();
        for &p in &self.selecting[direction as usize][side.subject] {
            let policy = self.policy(p);
            if policy.rules[direction as usize].is_empty() {
                let _ = writeln!(
                    out,
                    "{indent}{}: no {kind} rules (denies all {kind})",
                    policy.name
                );
            }
            for (i, rule) in policy.rules[direction as usize].iter().enumerate() {
                let _ = write!(out, "{indent}{} {kind}[{i}]: ", policy.name);
                self.explain_rule(out, rule, side);
                out.push('\n');
            }
        }
    }

    fn explain_rule(&self, out: &mut String, rule: &Rule, side: &SideContext<'_>) {
        let SideContext {
            direction,
            other: endpoint,
            cx,
            ..
        } = *side;
        let (t, destination_ports) = (cx.traffic, cx.destination_ports);
        if let Some(ports) = &rule.ports {
            let outcomes = ports.iter().map(|p| {
                (
                    p.to_string(),
                    p.admits(t.port, t.protocol, destination_ports),
                )
            });
            if !write_ports_outcome(out, "ports", outcomes, t) {
                return;
            }
        }
        let field = direction.peers_field();
        match &rule.peers {
            None => {
                let _ = write!(out, "any peer: matches");
            }
            Some(peers) => {
                let parts: Vec<String> = peers
                    .iter()
                    .enumerate()
                    .map(|(j, peer)| {
                        let outcome =
                            match peer.admits(endpoint, &self.profile, &mut Consulted::default()) {
                                Ok(()) => "matches".to_string(),
                                Err(miss) => self.describe_miss(peer, miss, endpoint),
                            };
                        format!("{field}[{j}] {peer}: {outcome}")
                    })
                    .collect();
                let _ = write!(out, "{}", parts.join("; "));
            }
        }
    }

    pub(crate) fn describe_miss(
        &self,
        peer: &Peer,
        miss: PeerMiss,
        endpoint: Endpoint<'_>,
    ) -> String {
        let ip = endpoint.ip();
        match (miss, endpoint) {
            (PeerMiss::NotSelected, Endpoint::Pod { pod, .. }) => {
                pod_not_selected(pod, peer.namespace_matches(pod, &self.index))
            }
            (PeerMiss::NotSelected, Endpoint::Address { .. }) | (PeerMiss::NotAPod, _) => {
                format!("{ip} is not a pod (selectors match pods only)")
            }
            (PeerMiss::HostNetworkNotSelectable, _) => format!(
                "a hostNetwork pod, which selectors do not match ({}: false)",
                ProfileSwitch::HostNetworkPodsSelected
            ),
            (PeerMiss::OutsideCidr, _) => format!("{ip} is outside the cidr"),
            (PeerMiss::Excepted(i), _) => {
                let except = peer
                    .block()
                    .and_then(|b| b.except.get(i))
                    .map(ToString::to_string)
                    .unwrap_or_default();
                format!("{ip} is excluded (except {except})")
            }
            (PeerMiss::PodIpNotMatched, _) => format!(
                "{ip} is a pod IP, which ipBlocks do not match ({}: false)",
                ProfileSwitch::IpblockMatchesPodIps
            ),
            (PeerMiss::NodeIpNotMatched, _) => format!(
                "{ip} is a node address, which ipBlocks do not match ({}: false)",
                ProfileSwitch::IpblockMatchesNodeIps
            ),
        }
    }

    fn explain_switches(&self, out: &mut String, decision: &Decision) {
        let other = if decision.allowed {
            "denied"
        } else {
            "allowed"
        };
        for switch in &decision.implementation_defined {
            let _ = writeln!(
                out,
                "implementation-defined: with {switch}: {} it would be {other}",
                !self.profile.get(*switch)
            );
        }
    }
}

/// Writes `{word} include 80/TCP; ` when some entry matches (true), else `{word} A, B (why not) do not include
/// 80/TCP -> no match` (false): the ports part of a rule's explanation.
pub(crate) fn write_ports_outcome<M: std::fmt::Display>(
    out: &mut String,
    word: &str,
    outcomes: impl Iterator<Item = (String, Result<(), M>)>,
    t: &Resolved,
) -> bool {
    let mut matched = false;
    let described: Vec<String> = outcomes
        .map(|(entry, outcome)| match outcome {
            Ok(()) => {
                matched = true;
                entry
            }
            Err(miss) => format!("{entry} ({miss})"),
        })
        .collect();
    if matched {
        let _ = write!(out, "{word} include {}/{}; ", t.port, t.protocol);
    } else {
        let _ = write!(
            out,
            "{word} {} do not include {}/{} -> no match",
            described.join(", "),
            t.port,
            t.protocol
        );
    }
    matched
}

/// `allowed by ns/p egress[0].to[1]`, or `no rule allows it: denied`, for a NetworkPolicy verdict.
pub(crate) fn network_policy_outcome(direction: Direction, verdict: &SideVerdict) -> String {
    match verdict {
        SideVerdict::Allowed { policy, rule, peer } => {
            let peer = match peer {
                Some(j) => format!(".{}[{j}]", direction.peers_field()),
                None => String::new(),
            };
            format!(
                "allowed by {policy} {}[{rule}]{peer}",
                direction.rules_field()
            )
        }
        _ => "no rule allows it: denied".to_owned(),
    }
}

/// Why a pod peer selector missed `pod`: its namespace, or else its own labels.
pub(crate) fn pod_not_selected(pod: &PodInfo, namespace_selected: bool) -> String {
    if namespace_selected {
        format!(
            "{}/{} has labels {}, which do not match",
            pod.namespace,
            pod.name,
            show_labels(&pod.labels)
        )
    } else {
        format!("namespace {} is not selected", pod.namespace)
    }
}

pub(crate) fn show_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return "{}".to_string();
    }
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(",")
}
