//! `netreach ping`: does the chosen cluster answer? Used by scripts to decide whether to start one.

use crate::args::ClusterArgs;

pub async fn ping(args: &ClusterArgs) -> anyhow::Result<i32> {
    let cluster = super::cluster::connect(args, true).await?;
    println!("cluster reachable: {cluster}");
    Ok(0)
}
