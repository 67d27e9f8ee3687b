//! Evaluating a traffic against the compiled policies: each side's verdict, the outcome, and the switches it depends on.

use std::net::IpAddr;

use super::peers::Endpoint;
use super::policy::{Direction, Rule};
use super::{Decision, Oracle, OracleError, Profile, ProfileSwitch, SideVerdict, Target, Traffic};
use crate::world::{ContainerPort, Protocol};

/// A traffic with its ends resolved to pod indices.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolved {
    pub from: usize,
    pub to: ResolvedTarget,
    pub port: u16,
    pub protocol: Protocol,
}

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
    NotApplicable,
}

impl RawSide {
    fn permits(self) -> bool {
        !matches!(self, Self::Denied)
    }
}

impl Oracle<'_> {
    /// Decides one traffic. Fails only when the traffic names a pod the world does not have.
    pub fn decide(&self, traffic: &Traffic) -> Result<Decision, OracleError> {
        let resolved = self.resolve(traffic)?;
        let (egress, ingress, allowed) = self.evaluate(&resolved, &self.profile);
        let implementation_defined = self.implementation_defined(&resolved, allowed);
        Ok(Decision {
            allowed,
            egress: self.public_side(egress, Direction::Egress, resolved.from),
            ingress: match resolved.to {
                ResolvedTarget::Pod(to) => self.public_side(ingress, Direction::Ingress, to),
                ResolvedTarget::Address { .. } => SideVerdict::NotApplicable,
            },
            implementation_defined,
        })
    }

    /// Only whether the traffic is allowed: same answer as [`Oracle::decide`], without building the verdicts.
    pub fn allows(&self, traffic: &Traffic) -> Result<bool, OracleError> {
        let resolved = self.resolve(traffic)?;
        Ok(self.evaluate(&resolved, &self.profile).2)
    }

    pub(crate) fn resolve(&self, traffic: &Traffic) -> Result<Resolved, OracleError> {
        let from = self.pod_index(&traffic.from)?;
        let to = match &traffic.to {
            Target::Pod(pod) => ResolvedTarget::Pod(self.pod_index(pod)?),
            Target::Address(ip) => match self.index.pod_by_ip(*ip) {
                Some(pod) => ResolvedTarget::Pod(pod),
                None => ResolvedTarget::Address {
                    ip: *ip,
                    node_ip: self.index.is_node_address(*ip),
                },
            },
        };
        Ok(Resolved {
            from,
            to,
            port: traffic.port,
            protocol: traffic.protocol,
        })
    }

    pub(crate) fn endpoint(&self, target: ResolvedTarget) -> Endpoint<'_> {
        match target {
            ResolvedTarget::Pod(index) => Endpoint::Pod {
                index,
                pod: &self.index.pods()[index],
                node_ip: self.index.pod_on_node_ip[index],
            },
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

    /// (egress, ingress, allowed) under `profile`.
    pub(crate) fn evaluate(&self, t: &Resolved, profile: &Profile) -> (RawSide, RawSide, bool) {
        let destination_ports = self.destination_ports(t.to);
        let egress = self.side(
            Direction::Egress,
            t.from,
            self.endpoint(t.to),
            destination_ports,
            t,
            profile,
        );
        let ingress = match t.to {
            ResolvedTarget::Pod(to) => self.side(
                Direction::Ingress,
                to,
                self.endpoint(ResolvedTarget::Pod(t.from)),
                destination_ports,
                t,
                profile,
            ),
            ResolvedTarget::Address { .. } => RawSide::NotApplicable,
        };
        let self_exempt =
            t.to == ResolvedTarget::Pod(t.from) && !profile.policy_applies_to_self_traffic;
        let allowed = self_exempt || (egress.permits() && ingress.permits());
        (egress, ingress, allowed)
    }

    /// Whether `subject` is isolated in `direction` under `profile`.
    pub(crate) fn isolated(&self, direction: Direction, subject: usize, profile: &Profile) -> bool {
        let exempt = self.index.pods()[subject].host_network && !profile.host_network_pods_selected;
        !exempt && !self.selecting[direction as usize][subject].is_empty()
    }

    fn side(
        &self,
        direction: Direction,
        subject: usize,
        other: Endpoint<'_>,
        destination_ports: Option<&[ContainerPort]>,
        t: &Resolved,
        profile: &Profile,
    ) -> RawSide {
        if !self.isolated(direction, subject, profile) {
            return RawSide::NotIsolated;
        }
        for &policy in &self.selecting[direction as usize][subject] {
            for (rule, compiled) in self.policy(policy).rules[direction as usize]
                .iter()
                .enumerate()
            {
                if let Some(peer) = rule_admits(
                    compiled,
                    other,
                    destination_ports,
                    t.port,
                    t.protocol,
                    profile,
                ) {
                    return RawSide::Allowed { policy, rule, peer };
                }
            }
        }
        RawSide::Denied
    }

    /// The switches whose flipping (one at a time) flips the outcome. Only switches that can
    /// matter for this traffic are re-evaluated.
    fn implementation_defined(&self, t: &Resolved, allowed: bool) -> Vec<ProfileSwitch> {
        let pods = self.index.pods();
        let mut relevant = [false; 4];
        let mut consider_pod = |i: usize| {
            if self.index.pod_on_node_ip[i] {
                relevant[1] = true;
            } else if self.pod_in_some_block[i] {
                relevant[0] = true;
            }
            if pods[i].host_network {
                relevant[3] = true;
            }
        };
        consider_pod(t.from);
        match t.to {
            ResolvedTarget::Pod(to) => {
                consider_pod(to);
                relevant[2] = to == t.from;
            }
            ResolvedTarget::Address { node_ip, .. } => relevant[1] |= node_ip,
        }
        ProfileSwitch::ALL
            .into_iter()
            .zip(relevant)
            .filter(|&(switch, relevant)| {
                relevant && self.evaluate(t, &self.profile.flipped(switch)).2 != allowed
            })
            .map(|(switch, _)| switch)
            .collect()
    }

    fn public_side(&self, raw: RawSide, direction: Direction, subject: usize) -> SideVerdict {
        match raw {
            RawSide::NotIsolated => SideVerdict::NotIsolated,
            RawSide::NotApplicable => SideVerdict::NotApplicable,
            RawSide::Allowed { policy, rule, peer } => SideVerdict::Allowed {
                policy: self.policy(policy).name.clone(),
                rule,
                peer,
            },
            RawSide::Denied => SideVerdict::Denied {
                selecting_policies: self.selecting[direction as usize][subject]
                    .iter()
                    .map(|&p| self.policy(p).name.clone())
                    .collect(),
            },
        }
    }
}

/// `Some(peer)` when the rule admits the traffic: `Some(None)` for a rule with no peers.
fn rule_admits(
    rule: &Rule,
    other: Endpoint<'_>,
    destination_ports: Option<&[ContainerPort]>,
    port: u16,
    protocol: Protocol,
    profile: &Profile,
) -> Option<Option<usize>> {
    if let Some(ports) = &rule.ports
        && !ports
            .iter()
            .any(|p| p.admits(port, protocol, destination_ports).is_ok())
    {
        return None;
    }
    match &rule.peers {
        None => Some(None),
        Some(peers) => peers
            .iter()
            .position(|peer| peer.admits(other, profile).is_ok())
            .map(Some),
    }
}
