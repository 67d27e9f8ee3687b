//! `netreach cleanup`: delete what earlier runs left behind, and only that.

use std::time::Duration;

use netreach_kube::{cleanup_all, connect};

use crate::args::ClusterArgs;

pub async fn cleanup(args: ClusterArgs) -> anyhow::Result<i32> {
    let client = connect(args.kubeconfig.as_deref(), args.context.as_deref()).await?;
    let removed = cleanup_all(&client, Duration::from_secs(120)).await?;
    if removed.is_empty() {
        println!("nothing to clean up");
    } else {
        println!("removed namespaces: {}", removed.join(", "));
    }
    Ok(0)
}
