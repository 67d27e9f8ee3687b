//! The oracle's single error type: invalid policies, an inconsistent world, unknown pods in a traffic.

use thiserror::Error;

/// Everything that can go wrong when building an [`Oracle`](super::Oracle) or asking it about a traffic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OracleError {
    /// A policy field that the Kubernetes API server would reject, or that the oracle cannot interpret.
    #[error("policy {policy}: {field}: {problem}")]
    InvalidPolicy {
        /// `namespace/name` of the policy (or `#index` when it has no usable name).
        policy: String,
        /// Path of the offending field, e.g. `spec.egress[0].to[1].ipBlock.except[0]`.
        field: String,
        /// What is wrong with it, in plain words.
        problem: String,
    },
    /// Two policies share the same `namespace/name`.
    #[error("policy {policy} is given twice")]
    DuplicatePolicy { policy: String },
    /// Two pods of the world share the same `namespace/name`.
    #[error("world: pod {namespace}/{name} is listed twice")]
    DuplicatePod { namespace: String, name: String },
    /// A traffic names a pod that the world does not contain.
    #[error("unknown pod {namespace}/{name}")]
    UnknownPod { namespace: String, name: String },
}

/// A problem found while compiling one field; the policy name is attached by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub field: String,
    pub problem: String,
}

impl Invalid {
    pub(crate) fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn in_policy(self, policy: &str) -> OracleError {
        OracleError::InvalidPolicy {
            policy: policy.to_owned(),
            field: self.field,
            problem: self.problem,
        }
    }
}
