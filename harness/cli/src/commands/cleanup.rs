//! `netreach cleanup`: delete what earlier runs left behind, and only that.

use std::time::Duration;

use netreach_kube::cleanup_all;

use crate::args::ClusterArgs;

pub async fn cleanup(args: &ClusterArgs) -> anyhow::Result<i32> {
    let cluster = super::cluster::connect(args, false).await?;
    let removed = cleanup_all(&cluster.client, Duration::from_secs(120)).await?;
    if removed.is_empty() {
        println!("nothing to clean up");
    } else {
        println!("removed namespaces: {}", removed.join(", "));
    }
    Ok(0)
}
