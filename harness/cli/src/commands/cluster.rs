//! Connecting to the cluster the global flags choose, saying once which one it is (stderr, so stdout stays the
//! tables), and the preflight warning about policies netreach did not write.

use anyhow::bail;
use netreach_kube::{Cluster, foreign_policies};

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

/// Warns (one line on stderr) about policies netreach did not write that change reachability where it probes —
/// NetworkPolicies in `namespaces`, cluster-wide policy objects — or, with `strict`, fails (exit 2).
pub async fn check_foreign_policies(
    cluster: &Cluster,
    namespaces: &[String],
    strict: bool,
) -> anyhow::Result<()> {
    let foreign = foreign_policies(&cluster.client, namespaces).await?;
    if foreign.is_empty() {
        return Ok(());
    }
    let what = format!(
        "policies netreach did not write change reachability here and the oracle does not see them: {}",
        foreign.join(", ")
    );
    if strict {
        bail!("--strict: {what}");
    }
    eprintln!(
        "warning: {what} (verdicts of the cells they affect may be wrong; --strict makes this an error)"
    );
    Ok(())
}
