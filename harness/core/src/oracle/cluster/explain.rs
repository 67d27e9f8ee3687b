//! Plain words for the layered decision: which tier, policy, priority and rule decided each side, and why.

use std::fmt::Write as _;

use super::super::Oracle;
use super::super::SideVerdict;
use super::super::evaluate::{Resolved, ResolvedTarget, SideContext};
use super::super::explain::{network_policy_outcome, pod_not_selected, write_ports_outcome};
use super::super::peers::Endpoint;
use super::super::policy::Direction;
use super::super::profile::{Consulted, ProfileSwitch};
use super::peers::ClusterPeerMiss;
use super::{Action, ClusterHit, ClusterPeer, ClusterRule, Tier};

/// What each layer did for one side.
struct Trace {
    subject: usize,
    /// A pod's traffic to its own pod IP: ClusterNetworkPolicy does not apply.
    hairpin: bool,
    admin: Option<ClusterHit>,
    /// Whether NetworkPolicy was consulted and selects the subject (`None`: not consulted).
    isolated: Option<bool>,
    baseline: Option<ClusterHit>,
}

impl Oracle<'_> {
    fn trace(&self, side: &SideContext<'_>) -> Trace {
        let (direction, subject) = (side.direction, side.subject);
        let hairpin = side.cx.traffic.is_self();
        let mut consulted = Consulted::default();
        let hit = |tier: Tier, consulted: &mut Consulted| {
            if hairpin {
                None
            } else {
                self.tier_hit(tier, side, consulted)
            }
        };
        let admin = hit(Tier::Admin, &mut consulted);
        let final_admin = admin.is_some_and(|h| h.action != Action::Pass);
        let isolated = (!final_admin)
            .then(|| self.isolated(direction, subject, &self.profile, &mut consulted));
        let baseline = if isolated == Some(false) {
            hit(Tier::Baseline, &mut consulted)
        } else {
            None
        };
        Trace {
            subject,
            hairpin,
            admin,
            isolated,
            baseline,
        }
    }

    /// `egress: ...; ingress: ...`: the layer, policy, priority and rule that decided each side.
    pub(crate) fn decided_by(&self, t: &Resolved) -> String {
        let decision = self.evaluate_public(t);
        let egress = match t.from {
            ResolvedTarget::Pod(_) => self.side_summary(Direction::Egress, t, &decision.0),
            ResolvedTarget::Address { .. } => "no egress side (an outside source)".to_owned(),
        };
        let ingress = match t.to {
            ResolvedTarget::Pod(_) => self.side_summary(Direction::Ingress, t, &decision.1),
            ResolvedTarget::Address { .. } => "no ingress side".to_owned(),
        };
        format!("egress: {egress}; ingress: {ingress}")
    }

    fn side_summary(&self, direction: Direction, t: &Resolved, verdict: &SideVerdict) -> String {
        let cx = self.traffic_context(t, &self.profile);
        let Some(side) = self.side_context(&cx, direction) else {
            return String::new();
        };
        let trace = self.trace(&side);
        let mut parts = Vec::new();
        if trace.hairpin {
            parts.push("traffic to its own pod IP, not subject to ClusterNetworkPolicy".to_owned());
        }
        if let Some(hit) = trace.admin {
            let text = self.hit_text(Tier::Admin, hit, direction);
            if hit.action != Action::Pass {
                return format!("{text}; no NetworkPolicy consulted");
            }
            parts.push(text);
        }
        match trace.isolated {
            Some(true) => parts.push(format!(
                "NetworkPolicy: {}",
                network_policy_outcome(direction, verdict)
            )),
            _ => {
                parts.push(format!(
                    "no NetworkPolicy selects it for {}",
                    direction.rules_field()
                ));
                match trace.baseline {
                    Some(hit) => {
                        parts.push(self.hit_text(Tier::Baseline, hit, direction));
                        if hit.action == Action::Pass {
                            parts.push("no tier decided: allowed (the default)".to_owned());
                        }
                    }
                    None => parts.push("no tier decided: allowed (the default)".to_owned()),
                }
            }
        }
        parts.join(", then ")
    }

    /// ``Admin tier, priority 10, `deny-metadata` egress[0] Deny``.
    fn hit_text(&self, tier: Tier, hit: ClusterHit, direction: Direction) -> String {
        let policy = self.cluster_policy(hit.policy);
        let rule = &policy.rules[direction as usize][hit.rule];
        format!(
            "{tier} tier, priority {}, `{}` {}[{}]{} {}",
            policy.priority,
            policy.name,
            direction.rules_field(),
            hit.rule,
            rule_name(rule),
            hit.action
        )
    }

    /// The side's layers in order, each with its rules and why they match or not, down to the deciding one.
    pub(crate) fn explain_layers(&self, out: &mut String, direction: Direction, t: &Resolved) {
        let cx = self.traffic_context(t, &self.profile);
        let Some(side) = self.side_context(&cx, direction) else {
            return;
        };
        let trace = self.trace(&side);
        let (egress_verdict, ingress_verdict) = self.evaluate_public(t);
        let verdict = match direction {
            Direction::Egress => egress_verdict,
            Direction::Ingress => ingress_verdict,
        };
        let kind = direction.rules_field();
        let _ = writeln!(out, "{kind} of {}:", self.pod_name(trace.subject));
        if trace.hairpin {
            let _ = writeln!(
                out,
                "  traffic to its own pod IP: not subject to ClusterNetworkPolicy (the API's hairpin rule)"
            );
        } else if self.index.pods()[trace.subject].host_network {
            let _ = writeln!(
                out,
                "  a hostNetwork pod: never the subject of a ClusterNetworkPolicy"
            );
        } else {
            self.tier_lines(out, Tier::Admin, &trace, &side);
        }
        if let Some(hit) = trace.admin {
            let text = self.hit_text(Tier::Admin, hit, direction);
            if hit.action != Action::Pass {
                let _ = writeln!(out, "  -> {text}; no NetworkPolicy consulted");
                return;
            }
            let _ = writeln!(out, "  -> {text}: on to NetworkPolicy");
        }
        let subject = trace.subject;
        if trace.isolated == Some(true) {
            let names: Vec<&str> = self.selecting[direction as usize][subject]
                .iter()
                .map(|&p| self.policy(p).name.as_str())
                .collect();
            let _ = writeln!(out, "  NetworkPolicy: selected by {}", names.join(", "));
            self.network_policy_rules(out, &side, "    ");
            let _ = writeln!(
                out,
                "  -> NetworkPolicy: {}",
                network_policy_outcome(direction, &verdict)
            );
            return;
        }
        let why = if self.index.pods()[subject].host_network
            && !self.profile.host_network_pods_selected
        {
            format!(
                " (a hostNetwork pod, never selected: {}: false)",
                ProfileSwitch::HostNetworkPodsSelected
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  NetworkPolicy: selected by no policy of type {}{why} -> on to the Baseline tier",
            if direction == Direction::Egress {
                "Egress"
            } else {
                "Ingress"
            }
        );
        if !trace.hairpin && !self.index.pods()[subject].host_network {
            self.tier_lines(out, Tier::Baseline, &trace, &side);
        }
        match trace.baseline {
            Some(hit) if hit.action != Action::Pass => {
                let _ = writeln!(
                    out,
                    "  -> {}",
                    self.hit_text(Tier::Baseline, hit, direction)
                );
            }
            Some(hit) => {
                let _ = writeln!(
                    out,
                    "  -> {}: no tier decided: allowed (the default)",
                    self.hit_text(Tier::Baseline, hit, direction)
                );
            }
            None => {
                let _ = writeln!(out, "  -> no tier decided: allowed (the default)");
            }
        }
    }

    /// The policies of `tier` selecting the subject, in evaluation order, with each rule up to the deciding one.
    fn tier_lines(&self, out: &mut String, tier: Tier, trace: &Trace, side: &SideContext<'_>) {
        let direction = side.direction;
        let kind = direction.rules_field();
        let list = &self.cluster_selecting[tier as usize][direction as usize][trace.subject];
        if list.is_empty() {
            let _ = writeln!(out, "  {tier} tier: no policy with {kind} rules selects it");
            return;
        }
        let mut ordered: Vec<u32> = Vec::with_capacity(list.len());
        for group in list
            .chunk_by(|&a, &b| self.cluster_policy(a).priority == self.cluster_policy(b).priority)
        {
            if self.profile.equal_priority_first_by_name {
                ordered.extend(group.iter());
            } else {
                ordered.extend(group.iter().rev());
            }
        }
        let names: Vec<String> = ordered
            .iter()
            .map(|&p| {
                let policy = self.cluster_policy(p);
                format!("`{}` (priority {})", policy.name, policy.priority)
            })
            .collect();
        let _ = writeln!(out, "  {tier} tier: {}", names.join(", "));
        let hit = match tier {
            Tier::Admin => trace.admin,
            Tier::Baseline => trace.baseline,
        };
        for &p in &ordered {
            let policy = self.cluster_policy(p);
            for (r, rule) in policy.rules[direction as usize].iter().enumerate() {
                let _ = write!(
                    out,
                    "    priority {} `{}` {kind}[{r}]{} {}: ",
                    policy.priority,
                    policy.name,
                    rule_name(rule),
                    rule.action
                );
                self.explain_cluster_rule(out, rule, side);
                out.push('\n');
                if hit.is_some_and(|h| h.policy == p && h.rule == r) {
                    return;
                }
            }
        }
    }

    fn explain_cluster_rule(&self, out: &mut String, rule: &ClusterRule, side: &SideContext<'_>) {
        let SideContext {
            direction,
            other: endpoint,
            cx,
            ..
        } = *side;
        let (t, ports) = (cx.traffic, cx.destination_ports);
        if let Some(protocols) = &rule.protocols {
            let outcomes = protocols
                .iter()
                .map(|p| (p.to_string(), p.admits(t.port, t.protocol, ports)));
            if !write_ports_outcome(out, "protocols", outcomes, t) {
                return;
            }
        }
        let field = direction.peers_field();
        let parts: Vec<String> = rule
            .peers
            .iter()
            .enumerate()
            .map(|(j, peer)| {
                let outcome = match peer.admits(endpoint, &self.profile, &mut Consulted::default())
                {
                    Ok(()) => "matches".to_owned(),
                    Err(miss) => self.describe_cluster_miss(peer, miss, endpoint),
                };
                format!("{field}[{j}] {peer}: {outcome}")
            })
            .collect();
        let _ = write!(out, "{}", parts.join("; "));
    }

    fn describe_cluster_miss(
        &self,
        peer: &ClusterPeer,
        miss: ClusterPeerMiss,
        endpoint: Endpoint<'_>,
    ) -> String {
        let ip = endpoint.ip();
        match (miss, endpoint, peer) {
            (ClusterPeerMiss::NotSelected, Endpoint::Pod { pod, .. }, ClusterPeer::Pods(set)) => {
                let namespace_selected = self
                    .index
                    .pod_namespace_labels(pod)
                    .is_some_and(|labels| set.namespaces.matches(labels));
                pod_not_selected(pod, namespace_selected)
            }
            (ClusterPeerMiss::HostNetwork, _, _) => {
                "a hostNetwork pod, never a ClusterNetworkPolicy pod peer".to_owned()
            }
            (ClusterPeerMiss::NotSelected | ClusterPeerMiss::NotAPod, _, _) => {
                format!("{ip} is not a pod")
            }
            (ClusterPeerMiss::OutsideNetworks, _, _) => format!("{ip} is outside the networks"),
            (ClusterPeerMiss::NodeIpNotMatched, _, _) => format!(
                "{ip} is a node address, which networks do not match ({}: false)",
                ProfileSwitch::NetworksMatchNodeIps
            ),
            (ClusterPeerMiss::NotASelectedNode, _, _) => {
                format!("{ip} is no address of a selected node")
            }
            (ClusterPeerMiss::DomainNames, _, _) => {
                "domain names are out of scope for netreach (never matched here)".to_owned()
            }
        }
    }

    /// The public verdicts of both sides under the oracle's profile.
    fn evaluate_public(&self, t: &Resolved) -> (SideVerdict, SideVerdict) {
        let (egress, ingress, _) = self.evaluate(t, &self.profile, &mut Consulted::default());
        let egress = match t.from {
            ResolvedTarget::Pod(from) => self.public_side(egress, Direction::Egress, from),
            ResolvedTarget::Address { .. } => SideVerdict::NotApplicable,
        };
        let ingress = match t.to {
            ResolvedTarget::Pod(to) => self.public_side(ingress, Direction::Ingress, to),
            ResolvedTarget::Address { .. } => SideVerdict::NotApplicable,
        };
        (egress, ingress)
    }
}

/// ` "block-imds"` for a named rule, nothing otherwise.
fn rule_name(rule: &ClusterRule) -> String {
    rule.name
        .as_deref()
        .map(|name| format!(" {name:?}"))
        .unwrap_or_default()
}
