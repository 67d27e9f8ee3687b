//! Connecting to the cluster the user chose, in kubectl's and kube-rs's order: an explicit kubeconfig file, else
//! `$KUBECONFIG` / `~/.kube/config`, else the pod's in-cluster ServiceAccount (`Config::infer`); checked up front.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::error::{Error, Result};

/// A client for the chosen cluster, and what it is: for the one line a run prints at its start.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    /// The kubeconfig context, or `in-cluster ServiceAccount`.
    pub context: String,
    pub server: String,
    /// The API server's `gitVersion`, e.g. `v1.34.4`.
    pub version: String,
}

impl fmt::Display for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "context {}, API server {}, Kubernetes {}",
            self.context, self.server, self.version
        )
    }
}

impl Cluster {
    /// What every report says of a run on this cluster that began at `started` (RFC 3339) and ends now. The node
    /// count is 0 when the nodes cannot be listed.
    pub async fn provenance(
        &self,
        started: String,
        settings: std::collections::BTreeMap<String, String>,
    ) -> netreach_core::provenance::Provenance {
        let nodes: kube::Api<k8s_openapi::api::core::v1::Node> =
            kube::Api::all(self.client.clone());
        let count = match nodes.list_metadata(&Default::default()).await {
            Ok(list) => list.items.len(),
            Err(error) => {
                tracing::warn!(%error, "counting nodes for the report");
                0
            }
        };
        netreach_core::provenance::Provenance {
            netreach_version: env!("CARGO_PKG_VERSION").to_owned(),
            context: self.context.clone(),
            api_server: self.server.clone(),
            kubernetes_version: self.version.clone(),
            nodes: count,
            started,
            finished: now(),
            settings,
        }
    }
}

/// The current time, RFC 3339 in UTC to the second.
pub fn now() -> String {
    let now = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}

/// The label of the in-cluster configuration.
const IN_CLUSTER: &str = "in-cluster ServiceAccount";

/// Loads the configuration, builds a client and checks the API server answers within a few seconds.
pub async fn connect(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<Cluster> {
    let (mut config, context) = load_config(kubeconfig, context).await?;
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(30));
    let server = config.cluster_url.to_string();
    let unreachable = |message: String| Error::Unreachable {
        url: server.clone(),
        message,
    };
    let client = Client::try_from(config).map_err(|e| unreachable(e.to_string()))?;
    match tokio::time::timeout(Duration::from_secs(10), client.apiserver_version()).await {
        Ok(Ok(info)) => Ok(Cluster {
            client,
            context,
            server: server.clone(),
            version: info.git_version,
        }),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable("no answer within 10s".into())),
    }
}

/// `Config::infer`'s order, with kubectl's `--kubeconfig` and `--context` on top; also names the context used.
async fn load_config(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<(Config, String)> {
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..Default::default()
    };
    let named = |file: &Kubeconfig| {
        context
            .map(str::to_owned)
            .or_else(|| file.current_context.clone())
            .unwrap_or_default()
    };
    if let Some(path) = kubeconfig {
        let file = Kubeconfig::read_from(path)
            .map_err(|e| Error::Kubeconfig(format!("{}: {e}", path.display())))?;
        let name = named(&file);
        let config = Config::from_custom_kubeconfig(file, &options)
            .await
            .map_err(|e| Error::Kubeconfig(e.to_string()))?;
        return Ok((config, name));
    }
    match Kubeconfig::read() {
        Ok(file) => {
            let name = named(&file);
            let config = Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|e| Error::Kubeconfig(e.to_string()))?;
            Ok((config, name))
        }
        Err(error) if context.is_some() => Err(Error::Kubeconfig(error.to_string())),
        Err(kubeconfig) => match Config::incluster() {
            Ok(config) => Ok((config, IN_CLUSTER.to_owned())),
            Err(in_cluster) => Err(Error::Kubeconfig(format!(
                "{kubeconfig}; and not in a pod with a ServiceAccount ({in_cluster})"
            ))),
        },
    }
}
