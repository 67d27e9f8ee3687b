//! Evaluating one tier of ClusterNetworkPolicies for one side of a traffic: the first matching rule by priority.

use super::super::Oracle;
use super::super::evaluate::SideContext;
use super::super::profile::{Consulted, ProfileSwitch};
use super::{Action, Tier};

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
    pub(crate) fn tier_hit(
        &self,
        tier: Tier,
        side: &SideContext<'_>,
        consulted: &mut Consulted,
    ) -> Option<ClusterHit> {
        let (direction, profile) = (side.direction, side.cx.profile);
        let list = &self.cluster_selecting[tier as usize][direction as usize][side.subject];
        for group in list
            .chunk_by(|&a, &b| self.cluster_policy(a).priority == self.cluster_policy(b).priority)
        {
            let mut hit = |&p: &u32| self.rule_hit(p, side, consulted);
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
    fn rule_hit(
        &self,
        p: u32,
        side: &SideContext<'_>,
        consulted: &mut Consulted,
    ) -> Option<ClusterHit> {
        let SideContext {
            direction,
            other,
            cx,
            ..
        } = *side;
        let (t, destination_ports, profile) = (cx.traffic, cx.destination_ports, cx.profile);
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
