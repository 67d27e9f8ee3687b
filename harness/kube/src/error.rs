//! The one error type of cluster I/O: each variant says what netreach was doing when it failed.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot load kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("cluster unreachable at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("{action}: {source}")]
    Api {
        action: String,
        #[source]
        source: kube::Error,
    },
    #[error(
        "namespace {0} already exists and was not created by this run; netreach never touches what it did not create \
         (delete it, or probe its pods with --use-existing --namespace {0})"
    )]
    NamespaceExists(String),
    #[error(
        "NetworkPolicy {0} already exists and was not created by netreach; refusing to overwrite it"
    )]
    PolicyExists(String),
    #[error("namespace {0} does not exist")]
    NamespaceMissing(String),
    #[error("no pod in namespace {namespace} matches the labels of suite pod {pod} ({labels})")]
    NoMatchingPod {
        namespace: String,
        pod: String,
        labels: String,
    },
    #[error("fixtures not Ready after {}s: {details}", timeout.as_secs())]
    NotReady { timeout: Duration, details: String },
    #[error("admission refused fixture pod {pod} ({fields}): {message}")]
    Admission {
        pod: String,
        fields: String,
        message: String,
    },
    #[error("fixture pod {pod} (image {image}) cannot work: {reason}")]
    FixtureUnusable {
        pod: String,
        image: String,
        reason: String,
    },
    #[error(
        "missing permission: this client may not {0}; nothing was created (deploy/rbac.yaml lists what a run needs)"
    )]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Wraps a kube error with what netreach was doing.
    pub fn api(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
        let action = action.into();
        move |source| Error::Api { action, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
