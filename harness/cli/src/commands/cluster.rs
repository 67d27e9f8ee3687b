//! Connecting to the cluster the global flags choose, saying once which one it is (stderr, so stdout stays the
//! tables).

use netreach_kube::Cluster;

use crate::args::ClusterArgs;

/// Connects (kubeconfig, else in-cluster ServiceAccount) and, unless `quiet`, prints which context, API server and
/// Kubernetes version are used.
pub async fn connect(args: &ClusterArgs, quiet: bool) -> anyhow::Result<Cluster> {
    let cluster =
        netreach_kube::connect(args.kubeconfig.as_deref(), args.context.as_deref()).await?;
    if !quiet {
        eprintln!("cluster: {cluster}");
    }
    Ok(cluster)
}
