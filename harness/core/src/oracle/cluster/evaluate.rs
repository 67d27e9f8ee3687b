//! Evaluating one tier of ClusterNetworkPolicies for one side of a traffic: the first matching rule by priority.

use super::super::Oracle;
use super::super::evaluate::Resolved;
use super::super::peers::Endpoint;
use super::super::policy::Direction;
use super::super::profile::{Consulted, Profile, ProfileSwitch};
use super::{Action, Tier};
use crate::world::ContainerPort;

/// The rule of a tier that matched: policy index, rule and peer indices, and its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClusterHit {
    pub policy: u32,
    pub rule: usize,
    pub peer: usize,
    pub action: Action,
}

impl Oracle<'_> {
    /// The first matching rule of `tier` for `subject`'s side in `direction`: policies by priority (lower first),
    /// rules in the order written. Among policies of equal priority the profile picks the order (first or last by
    /// name); when such a group decides, the switch is marked consulted.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn tier_hit(
        &self,
        tier: Tier,
        direction: Direction,
        subject: usize,
        other: Endpoint<'_>,
        destination_ports: Option<&[ContainerPort]>,
        t: &Resolved,
        profile: &Profile,
        consulted: &mut Consulted,
    ) -> Option<ClusterHit> {
        let list = &self.cluster_selecting[tier as usize][direction as usize][subject];
        for group in list
            .chunk_by(|&a, &b| self.cluster_policy(a).priority == self.cluster_policy(b).priority)
        {
            let mut hit = |&p: &u32| {
                self.rule_hit(
                    p,
                    direction,
                    other,
                    destination_ports,
                    t,
                    profile,
                    consulted,
                )
            };
            let found = if profile.equal_priority_first_by_name {
                group.iter().find_map(&mut hit)
            } else {
                group.iter().rev().find_map(&mut hit)
            };
            if let Some(found) = found {
                if group.len() > 1 {
                    consulted.mark(ProfileSwitch::EqualPriorityFirstByName);
                }
                return Some(found);
            }
        }
        None
    }

    /// The first rule of policy `p` in `direction` matching the traffic's port and other end.
    #[allow(clippy::too_many_arguments)]
    fn rule_hit(
        &self,
        p: u32,
        direction: Direction,
        other: Endpoint<'_>,
        destination_ports: Option<&[ContainerPort]>,
        t: &Resolved,
        profile: &Profile,
        consulted: &mut Consulted,
    ) -> Option<ClusterHit> {
        self.cluster_policy(p).rules[direction as usize]
            .iter()
            .enumerate()
            .find_map(|(rule, compiled)| {
                let ports_ok = compiled.protocols.as_ref().is_none_or(|ports| {
                    ports
                        .iter()
                        .any(|port| port.admits(t.port, t.protocol, destination_ports).is_ok())
                });
                if !ports_ok {
                    return None;
                }
                let peer = compiled
                    .peers
                    .iter()
                    .position(|peer| peer.admits(other, profile, consulted).is_ok())?;
                Some(ClusterHit {
                    policy: p,
                    rule,
                    peer,
                    action: compiled.action,
                })
            })
    }
}
