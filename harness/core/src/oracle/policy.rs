//! Compiling one NetworkPolicy: API defaulting of `policyTypes`, validation, and its rules per direction.

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};

use super::error::{Invalid, OracleError};
use super::index::WorldIndex;
use super::name::PolicyName;
use super::peers::Peer;
use super::ports::PortSpec;
use super::selectors::Selector;

/// A direction of policy enforcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Ingress = 0,
    Egress = 1,
}

impl Direction {
    pub(crate) const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    /// `ingress` / `egress`, as the field holding the rules.
    pub(crate) fn rules_field(self) -> &'static str {
        match self {
            Self::Ingress => "ingress",
            Self::Egress => "egress",
        }
    }

    /// `from` / `to`, as the field holding a rule's peers.
    pub(crate) fn peers_field(self) -> &'static str {
        match self {
            Self::Ingress => "from",
            Self::Egress => "to",
        }
    }
}

/// One rule: it allows traffic whose port is in `ports` and whose other end is one of `peers`.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// `None` when `ports` is absent or empty: every port.
    pub ports: Option<Vec<PortSpec>>,
    /// `None` when `from`/`to` is absent or empty: every peer.
    pub peers: Option<Vec<Peer>>,
}

/// A validated policy, ready for evaluation.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// `namespace/name`.
    pub name: PolicyName,
    pub namespace: String,
    pub pod_selector: Selector,
    /// Indexed by [`Direction`]: whether the policy isolates pods in that direction.
    pub affects: [bool; 2],
    /// Indexed by [`Direction`]: the rules (empty for a direction the policy does not affect).
    pub rules: [Vec<Rule>; 2],
}

impl Policy {
    /// Validates and compiles `policy` (the `position`-th one given), pre-evaluating peer selectors over the world.
    pub(crate) fn compile(
        policy: &NetworkPolicy,
        position: usize,
        index: &WorldIndex<'_>,
    ) -> Result<Self, OracleError> {
        let raw_name = policy.metadata.name.as_deref().unwrap_or("");
        let Some(namespace) = policy
            .metadata
            .namespace
            .as_deref()
            .filter(|ns| !ns.is_empty())
        else {
            let label = if raw_name.is_empty() {
                format!("#{position}")
            } else {
                raw_name.to_string()
            };
            return Err(Invalid::new(
                "metadata.namespace",
                "missing (the suite loader must fill in the namespace)",
            )
            .in_policy(&label));
        };
        if raw_name.is_empty() {
            return Err(Invalid::new("metadata.name", "missing")
                .in_policy(&format!("{namespace}/#{position}")));
        }
        let name = format!("{namespace}/{raw_name}");
        compile_spec(policy, PolicyName::from(name.as_str()), namespace, index)
            .map_err(|e| e.in_policy(&name))
    }
}

fn compile_spec(
    policy: &NetworkPolicy,
    name: PolicyName,
    namespace: &str,
    index: &WorldIndex<'_>,
) -> Result<Policy, Invalid> {
    let default_spec = Default::default();
    let spec = policy.spec.as_ref().unwrap_or(&default_spec);
    let pod_selector = match &spec.pod_selector {
        Some(selector) => Selector::compile(selector, "spec.podSelector")?,
        None => Selector::everything(),
    };
    let ingress = spec.ingress.as_deref().unwrap_or_default();
    let egress = spec.egress.as_deref().unwrap_or_default();
    // API defaulting: no (or empty) policyTypes means Ingress, plus Egress when there are egress rules.
    let affects = match spec.policy_types.as_deref() {
        None | Some([]) => [true, !egress.is_empty()],
        Some(types) => {
            let mut affects = [false, false];
            for (i, kind) in types.iter().enumerate() {
                match kind.as_str() {
                    "Ingress" => affects[Direction::Ingress as usize] = true,
                    "Egress" => affects[Direction::Egress as usize] = true,
                    other => {
                        return Err(Invalid::new(
                            format!("spec.policyTypes[{i}]"),
                            format!("unknown policy type {other:?} (expected Ingress or Egress)"),
                        ));
                    }
                }
            }
            affects
        }
    };
    let mut rules = [Vec::new(), Vec::new()];
    for (i, rule) in ingress.iter().enumerate() {
        let compiled = compile_rule(
            rule.ports.as_deref(),
            rule.from.as_deref(),
            &format!("spec.ingress[{i}]"),
            Direction::Ingress,
            namespace,
            index,
        )?;
        if affects[Direction::Ingress as usize] {
            rules[Direction::Ingress as usize].push(compiled);
        }
    }
    for (i, rule) in egress.iter().enumerate() {
        let compiled = compile_rule(
            rule.ports.as_deref(),
            rule.to.as_deref(),
            &format!("spec.egress[{i}]"),
            Direction::Egress,
            namespace,
            index,
        )?;
        if affects[Direction::Egress as usize] {
            rules[Direction::Egress as usize].push(compiled);
        }
    }
    Ok(Policy {
        name,
        namespace: namespace.to_string(),
        pod_selector,
        affects,
        rules,
    })
}

fn compile_rule(
    ports: Option<&[NetworkPolicyPort]>,
    peers: Option<&[NetworkPolicyPeer]>,
    field: &str,
    direction: Direction,
    namespace: &str,
    index: &WorldIndex<'_>,
) -> Result<Rule, Invalid> {
    let ports = match ports {
        None | Some([]) => None,
        Some(ports) => Some(
            ports
                .iter()
                .enumerate()
                .map(|(i, p)| PortSpec::compile(p, &format!("{field}.ports[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let peers = match peers {
        None | Some([]) => None,
        Some(peers) => Some(
            peers
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let here = format!("{field}.{}[{i}]", direction.peers_field());
                    Peer::compile(p, &here, namespace, index)
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok(Rule { ports, peers })
}
