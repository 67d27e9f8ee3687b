//! Compiling one ClusterNetworkPolicy: the API's validation (tier, priority, actions, limits) and its subject.

use super::super::error::{Invalid, OracleError};
use super::super::index::WorldIndex;
use super::super::name::PolicyName;
use super::super::policy::Direction;
use super::super::selectors::Selector;
use super::peers::{PodSet, check_count};
use super::{Action, ClusterPeer, ClusterPort, ClusterRule, Tier};
use crate::cluster_policy::{
    API_VERSIONS, ClusterNetworkPolicy, KIND, MAX_ITEMS, PRIORITY_RANGE, ProtocolMatch,
};

/// A validated ClusterNetworkPolicy, ready for evaluation.
#[derive(Debug, Clone)]
pub(crate) struct ClusterPolicy {
    /// `metadata.name` (cluster-scoped: no namespace).
    pub name: PolicyName,
    pub tier: Tier,
    pub priority: i32,
    /// The subject: pods of the world it applies to (never hostNetwork pods).
    pub subject: PodSet,
    /// Indexed by [`Direction`]; a policy with no rules of a direction does not affect that direction.
    pub rules: [Vec<ClusterRule>; 2],
}

impl ClusterPolicy {
    /// Validates and compiles `policy`, pre-evaluating its selectors over the world.
    pub(crate) fn compile(
        policy: &ClusterNetworkPolicy,
        position: usize,
        index: &WorldIndex<'_>,
    ) -> Result<Self, OracleError> {
        let name = policy.name();
        if name.is_empty() {
            return Err(Invalid::new("metadata.name", "missing").in_policy(&format!("#{position}")));
        }
        compile(policy, index).map_err(|e| e.in_policy(name))
    }

    pub(crate) fn affects(&self, direction: Direction) -> bool {
        !self.rules[direction as usize].is_empty()
    }
}

fn compile(
    policy: &ClusterNetworkPolicy,
    index: &WorldIndex<'_>,
) -> Result<ClusterPolicy, Invalid> {
    if policy.kind != KIND {
        return Err(Invalid::new(
            "kind",
            format!("expected {KIND}, got {:?}", policy.kind),
        ));
    }
    if !API_VERSIONS.contains(&policy.api_version.as_str()) {
        return Err(Invalid::new(
            "apiVersion",
            format!(
                "{:?} is not served (expected {}; v1alpha1 AdminNetworkPolicy is a different kind)",
                policy.api_version,
                API_VERSIONS.join(" or ")
            ),
        ));
    }
    if policy
        .metadata
        .namespace
        .as_deref()
        .is_some_and(|ns| !ns.is_empty())
    {
        return Err(Invalid::new(
            "metadata.namespace",
            "a ClusterNetworkPolicy is cluster-scoped: remove the namespace",
        ));
    }
    let spec = &policy.spec;
    let tier = match spec.tier.as_str() {
        "" => return Err(Invalid::new("spec.tier", "missing (Admin or Baseline)")),
        "Admin" => Tier::Admin,
        "Baseline" => Tier::Baseline,
        other => {
            return Err(Invalid::new(
                "spec.tier",
                format!("unknown tier {other:?} (expected Admin or Baseline)"),
            ));
        }
    };
    let Some(priority) = spec.priority else {
        return Err(Invalid::new("spec.priority", "missing (0-1000)"));
    };
    if !PRIORITY_RANGE.contains(&priority) {
        return Err(Invalid::new(
            "spec.priority",
            format!(
                "{priority} is outside {}-{}",
                PRIORITY_RANGE.start(),
                PRIORITY_RANGE.end()
            ),
        ));
    }
    let Some(subject) = &spec.subject else {
        return Err(Invalid::new("spec.subject", "missing (namespaces or pods)"));
    };
    let subject = PodSet::compile(
        subject.namespaces.as_ref(),
        subject.pods.as_ref(),
        "spec.subject",
        index,
    )?;
    for (direction, len) in [
        ("spec.ingress", spec.ingress.len()),
        ("spec.egress", spec.egress.len()),
    ] {
        if len > MAX_ITEMS {
            return Err(Invalid::new(
                direction,
                format!("{len} rules; the API allows at most {MAX_ITEMS}"),
            ));
        }
    }
    let mut rules = [Vec::new(), Vec::new()];
    for (i, rule) in spec.ingress.iter().enumerate() {
        let field = format!("spec.ingress[{i}]");
        check_count(rule.from.len(), &format!("{field}.from"))?;
        let peers = rule
            .from
            .iter()
            .enumerate()
            .map(|(j, p)| ClusterPeer::compile_ingress(p, &format!("{field}.from[{j}]"), index))
            .collect::<Result<Vec<_>, _>>()?;
        rules[Direction::Ingress as usize].push(compile_rule(
            &field,
            rule.name.as_deref(),
            &rule.action,
            peers,
            rule.protocols.as_deref(),
        )?);
    }
    for (i, rule) in spec.egress.iter().enumerate() {
        let field = format!("spec.egress[{i}]");
        check_count(rule.to.len(), &format!("{field}.to"))?;
        let peers = rule
            .to
            .iter()
            .enumerate()
            .map(|(j, p)| ClusterPeer::compile_egress(p, &format!("{field}.to[{j}]"), index))
            .collect::<Result<Vec<_>, _>>()?;
        let compiled = compile_rule(
            &field,
            rule.name.as_deref(),
            &rule.action,
            peers,
            rule.protocols.as_deref(),
        )?;
        if let Some(j) = compiled
            .peers
            .iter()
            .position(|p| matches!(p, ClusterPeer::DomainNames(_)))
            && compiled.action != Action::Accept
        {
            return Err(Invalid::new(
                format!("{field}.to[{j}].domainNames"),
                "domainNames is only supported in Accept rules",
            ));
        }
        let named = compiled
            .protocols
            .iter()
            .flatten()
            .any(|p| matches!(p, ClusterPort::Named(_)));
        if named && let Some(j) = compiled.peers.iter().position(ClusterPeer::is_address_peer) {
            return Err(Invalid::new(
                format!("{field}.to[{j}]"),
                "networks/nodes/domainNames peers cannot be combined with destinationNamedPort (they have no named ports)",
            ));
        }
        rules[Direction::Egress as usize].push(compiled);
    }
    Ok(ClusterPolicy {
        name: PolicyName::from(policy.name()),
        tier,
        priority,
        subject,
        rules,
    })
}

/// Whether the subject of `policy` covers namespaces with these labels (an invalid subject covers nothing); a run
/// uses it to refuse policies that would reach pods of namespaces it did not create.
pub fn subject_covers_namespace(
    policy: &ClusterNetworkPolicy,
    labels: &crate::world::Labels,
) -> bool {
    let Some(subject) = &policy.spec.subject else {
        return false;
    };
    let selector = match (&subject.namespaces, &subject.pods) {
        (Some(namespaces), None) => namespaces,
        (None, Some(pods)) => &pods.namespace_selector,
        _ => return false,
    };
    Selector::compile(selector, "spec.subject").is_ok_and(|s| s.matches(labels))
}

fn compile_rule(
    field: &str,
    name: Option<&str>,
    action: &str,
    peers: Vec<ClusterPeer>,
    protocols: Option<&[ProtocolMatch]>,
) -> Result<ClusterRule, Invalid> {
    if let Some(name) = name
        && name.chars().count() > 100
    {
        return Err(Invalid::new(
            format!("{field}.name"),
            "longer than 100 characters",
        ));
    }
    let action = match action {
        "" => {
            return Err(Invalid::new(
                format!("{field}.action"),
                "missing (Accept, Deny or Pass)",
            ));
        }
        "Accept" => Action::Accept,
        "Deny" => Action::Deny,
        "Pass" => Action::Pass,
        "Allow" => {
            return Err(Invalid::new(
                format!("{field}.action"),
                "unknown action \"Allow\" (v1alpha2 renamed it Accept; expected Accept, Deny or Pass)",
            ));
        }
        other => {
            return Err(Invalid::new(
                format!("{field}.action"),
                format!("unknown action {other:?} (expected Accept, Deny or Pass)"),
            ));
        }
    };
    let protocols = match protocols {
        None => None,
        Some(entries) => {
            check_count(entries.len(), &format!("{field}.protocols"))?;
            Some(
                entries
                    .iter()
                    .enumerate()
                    .map(|(k, p)| ClusterPort::compile(p, &format!("{field}.protocols[{k}]")))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
    };
    Ok(ClusterRule {
        name: name.map(str::to_owned),
        action,
        peers,
        protocols,
    })
}
