//! Evaluating a traffic against the compiled policies: each side's verdict, the outcome, and the switches it depends on.

use std::net::IpAddr;

use super::cluster::{Action, Tier};
use super::peers::Endpoint;
use super::policy::Direction;
use super::profile::Consulted;
use super::{
    Decision, Oracle, OracleError, Profile, ProfileSwitch, SideVerdict, Source, Target, Traffic,
};
use crate::world::{ContainerPort, IpFamily, Protocol};

/// A traffic with its ends resolved to pod indices, in the family of the address it goes to (a pod's primary
/// address when the target is a pod): on a dual-stack cluster a pod is seen at its address of that family.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolved {
    pub from: ResolvedTarget,
    pub to: ResolvedTarget,
    pub port: u16,
    pub protocol: Protocol,
    pub family: IpFamily,
}

impl Resolved {
    /// A pod's traffic to its own pod IP.
    pub(crate) fn is_self(&self) -> bool {
        matches!(self.from, ResolvedTarget::Pod(_)) && self.to == self.from
    }
}

/// One traffic as the evaluators match it, built once per decision: the resolved traffic, the destination's ports
/// (for named ports) and the profile it is decided under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrafficContext<'a> {
    pub traffic: &'a Resolved,
    pub destination_ports: Option<&'a [ContainerPort]>,
    pub profile: &'a Profile,
}

/// One side of a traffic: the pod whose `direction` rules decide it (`subject`) and the other end as that pod's
/// rules see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SideContext<'a> {
    pub direction: Direction,
    pub subject: usize,
    pub other: Endpoint<'a>,
    pub cx: &'a TrafficContext<'a>,
}

/// One end of a traffic: a pod of the world, or an address that is no pod's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResolvedTarget {
    Pod(usize),
    Address { ip: IpAddr, node_ip: bool },
}

/// A side's verdict with policies by index (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawSide {
    NotIsolated,
    Allowed {
        policy: u32,
        rule: usize,
        peer: Option<usize>,
    },
    Denied,
    /// A ClusterNetworkPolicy rule with a final action (Accept or Deny).
    Cluster {
        policy: u32,
        rule: usize,
        peer: usize,
        action: Action,
    },
    NotApplicable,
}

impl RawSide {
    fn permits(self) -> bool {
        match self {
            Self::Denied => false,
            Self::Cluster { action, .. } => action == Action::Accept,
            _ => true,
        }
    }
}

impl Oracle<'_> {
    /// Decides one traffic. Fails only when the traffic names a pod the world does not have.
    pub fn decide(&self, traffic: &Traffic) -> Result<Decision, OracleError> {
        let resolved = self.resolve(traffic)?;
        let mut consulted = Consulted::default();
        let (egress, ingress, allowed) = self.evaluate(&resolved, &self.profile, &mut consulted);
        Ok(Decision {
            allowed,
            egress: match resolved.from {
                ResolvedTarget::Pod(from) => self.public_side(egress, Direction::Egress, from),
                ResolvedTarget::Address { .. } => SideVerdict::NotApplicable,
            },
            ingress: match resolved.to {
                ResolvedTarget::Pod(to) => self.public_side(ingress, Direction::Ingress, to),
                ResolvedTarget::Address { .. } => SideVerdict::NotApplicable,
            },
            implementation_defined: self.implementation_defined(&resolved, allowed, consulted),
        })
    }

    /// Only whether the traffic is allowed: same answer as [`Oracle::decide`], without building the verdicts.
    pub fn allows(&self, traffic: &Traffic) -> Result<bool, OracleError> {
        let resolved = self.resolve(traffic)?;
        Ok(self
            .evaluate(&resolved, &self.profile, &mut Consulted::default())
            .2)
    }

    pub(crate) fn resolve(&self, traffic: &Traffic) -> Result<Resolved, OracleError> {
        let (from, source_family) = match &traffic.from {
            Source::Pod(pod) => (ResolvedTarget::Pod(self.pod_index(pod)?), None),
            Source::Address(ip) => (self.resolve_address(*ip), Some(IpFamily::of(*ip))),
        };
        let (to, family) = match &traffic.to {
            Target::Pod(pod) => {
                let index = self.pod_index(pod)?;
                // An address source connects in its own family; a pod source to a pod, in the pod's primary one.
                let primary = IpFamily::of(self.index.pods()[index].ip);
                (ResolvedTarget::Pod(index), source_family.unwrap_or(primary))
            }
            Target::Address(ip) => (self.resolve_address(*ip), IpFamily::of(*ip)),
        };
        Ok(Resolved {
            from,
            to,
            port: traffic.port,
            protocol: traffic.protocol,
            family,
        })
    }

    /// The pod whose pod IP `ip` is, else an address (a node's, or outside the cluster's pods).
    fn resolve_address(&self, ip: IpAddr) -> ResolvedTarget {
        match self.index.pod_by_ip(ip) {
            Some(pod) => ResolvedTarget::Pod(pod),
            None => ResolvedTarget::Address {
                ip,
                node_ip: self.index.is_node_address(ip),
            },
        }
    }

    /// `target` as a peer sees it in `family`: a pod at its address of that family (its primary one if it has none).
    pub(crate) fn endpoint(&self, target: ResolvedTarget, family: IpFamily) -> Endpoint<'_> {
        match target {
            ResolvedTarget::Pod(index) => {
                let pod = &self.index.pods()[index];
                Endpoint::Pod {
                    index,
                    pod,
                    ip: pod.address(family).unwrap_or(pod.ip),
                    node_ip: self.index.pod_on_node_ip[index],
                }
            }
            ResolvedTarget::Address { ip, node_ip } => Endpoint::Address { ip, node_ip },
        }
    }

    /// Ports of the destination pod, for named-port resolution (`None` for an address).
    pub(crate) fn destination_ports(&self, target: ResolvedTarget) -> Option<&[ContainerPort]> {
        match target {
            ResolvedTarget::Pod(index) => Some(&self.index.pods()[index].ports),
            ResolvedTarget::Address { .. } => None,
        }
    }

    /// The context every rule of `t` is matched in under `profile`.
    pub(crate) fn traffic_context<'a>(
        &'a self,
        t: &'a Resolved,
        profile: &'a Profile,
    ) -> TrafficContext<'a> {
        TrafficContext {
            traffic: t,
            destination_ports: self.destination_ports(t.to),
            profile,
        }
    }

    /// The side of `cx`'s traffic in `direction`: `None` when that end is an address (no pod, no rules).
    pub(crate) fn side_context<'a>(
        &'a self,
        cx: &'a TrafficContext<'a>,
        direction: Direction,
    ) -> Option<SideContext<'a>> {
        let t = cx.traffic;
        let (subject, other) = match (direction, t.from, t.to) {
            (Direction::Egress, ResolvedTarget::Pod(from), to) => (from, to),
            (Direction::Ingress, from, ResolvedTarget::Pod(to)) => (to, from),
            _ => return None,
        };
        Some(SideContext {
            direction,
            subject,
            other: self.endpoint(other, t.family),
            cx,
        })
    }

    /// (egress, ingress, allowed) under `profile`; marks in `consulted` the switches looked at.
    pub(crate) fn evaluate(
        &self,
        t: &Resolved,
        profile: &Profile,
        consulted: &mut Consulted,
    ) -> (RawSide, RawSide, bool) {
        let cx = self.traffic_context(t, profile);
        let mut decide = |direction| match self.side_context(&cx, direction) {
            Some(side) => self.side(&side, consulted),
            None => RawSide::NotApplicable,
        };
        let egress = decide(Direction::Egress);
        let ingress = decide(Direction::Ingress);
        let mut allowed = egress.permits() && ingress.permits();
        if t.is_self() {
            consulted.mark(ProfileSwitch::PolicyAppliesToSelfTraffic);
            allowed |= !profile.policy_applies_to_self_traffic;
        }
        (egress, ingress, allowed)
    }

    /// Whether `subject` is isolated in `direction` under `profile`.
    pub(crate) fn isolated(
        &self,
        direction: Direction,
        subject: usize,
        profile: &Profile,
        consulted: &mut Consulted,
    ) -> bool {
        if self.index.pods()[subject].host_network {
            consulted.mark(ProfileSwitch::HostNetworkPodsSelected);
            if !profile.host_network_pods_selected {
                return false;
            }
        }
        !self.selecting[direction as usize][subject].is_empty()
    }

    fn side(&self, side: &SideContext<'_>, consulted: &mut Consulted) -> RawSide {
        let SideContext {
            direction,
            subject,
            other,
            cx,
        } = *side;
        let TrafficContext {
            traffic: t,
            destination_ports,
            profile,
        } = *cx;
        // The API's hairpin rule: a pod's traffic to its own pod IP is not subject to ClusterNetworkPolicy.
        let hairpin = t.is_self();
        let final_hit = |tier: Tier, consulted: &mut Consulted| {
            if hairpin {
                return None;
            }
            self.tier_hit(tier, side, consulted)
                .filter(|hit| hit.action != Action::Pass)
                .map(|hit| RawSide::Cluster {
                    policy: hit.policy,
                    rule: hit.rule,
                    peer: hit.peer,
                    action: hit.action,
                })
        };
        if let Some(decided) = final_hit(Tier::Admin, consulted) {
            return decided;
        }
        if !self.isolated(direction, subject, profile, consulted) {
            return final_hit(Tier::Baseline, consulted).unwrap_or(RawSide::NotIsolated);
        }
        for &policy in &self.selecting[direction as usize][subject] {
            for (rule, compiled) in self.policy(policy).rules[direction as usize]
                .iter()
                .enumerate()
            {
                let ports_ok = compiled.ports.as_ref().is_none_or(|ports| {
                    ports
                        .iter()
                        .any(|p| p.admits(t.port, t.protocol, destination_ports).is_ok())
                });
                if !ports_ok {
                    continue;
                }
                let peer = match &compiled.peers {
                    None => Some(None),
                    Some(peers) => peers
                        .iter()
                        .position(|peer| peer.admits(other, profile, consulted).is_ok())
                        .map(Some),
                };
                if let Some(peer) = peer {
                    return RawSide::Allowed { policy, rule, peer };
                }
            }
        }
        RawSide::Denied
    }

    /// The switches whose flipping (one at a time) flips the outcome. A switch the evaluation
    /// did not look at cannot flip it (every peer and rule visited would decide the same), so
    /// only the consulted ones are re-evaluated.
    fn implementation_defined(
        &self,
        t: &Resolved,
        allowed: bool,
        consulted: Consulted,
    ) -> Vec<ProfileSwitch> {
        ProfileSwitch::ALL
            .into_iter()
            .filter(|&switch| {
                consulted.has(switch)
                    && self
                        .evaluate(t, &self.profile.flipped(switch), &mut Consulted::default())
                        .2
                        != allowed
            })
            .collect()
    }

    pub(crate) fn public_side(
        &self,
        raw: RawSide,
        direction: Direction,
        subject: usize,
    ) -> SideVerdict {
        match raw {
            RawSide::NotIsolated => SideVerdict::NotIsolated,
            RawSide::NotApplicable => SideVerdict::NotApplicable,
            RawSide::Allowed { policy, rule, peer } => SideVerdict::Allowed {
                policy: self.policy(policy).name.clone(),
                rule,
                peer,
            },
            RawSide::Cluster {
                policy,
                rule,
                peer,
                action,
            } => {
                let compiled = self.cluster_policy(policy);
                SideVerdict::Cluster {
                    tier: compiled.tier,
                    policy: compiled.name.clone(),
                    priority: compiled.priority,
                    rule,
                    peer,
                    action,
                }
            }
            RawSide::Denied => SideVerdict::Denied {
                selecting_policies: self.selecting[direction as usize][subject]
                    .iter()
                    .map(|&p| self.policy(p).name.clone())
                    .collect(),
            },
        }
    }
}
