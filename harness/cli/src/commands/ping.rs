//! `netreach ping`: is the cluster of the kubeconfig reachable? Used by scripts to decide whether to start one.

use netreach_kube::connect;

use crate::args::ClusterArgs;

pub async fn ping(args: ClusterArgs) -> anyhow::Result<i32> {
    connect(args.kubeconfig.as_deref(), args.context.as_deref()).await?;
    println!("cluster reachable");
    Ok(0)
}
