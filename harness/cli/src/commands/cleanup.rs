//! `netreach cleanup`: delete what earlier runs left behind, and only that (all finished runs, or one run).

use std::time::Duration;

use netreach_kube::{cleanup_all, cleanup_one};

use crate::args::ClusterArgs;

pub async fn cleanup(args: &ClusterArgs, run_id: Option<&str>) -> anyhow::Result<i32> {
    if let Some(Err(message)) = run_id.map(netreach_core::names::check_label_value) {
        eprintln!("error: --run-id: {message}");
        return Ok(2);
    }
    let cluster = super::cluster::connect(args, false).await?;
    let wait = Duration::from_secs(120);
    if let Some(run_id) = run_id {
        cleanup_one(&cluster.client, run_id, wait).await?;
        println!("removed run {run_id}");
        return Ok(0);
    }
    let cleaned = cleanup_all(&cluster.client, wait).await?;
    if cleaned.namespaces.is_empty() {
        println!("nothing to clean up");
    } else {
        println!("removed namespaces: {}", cleaned.namespaces.join(", "));
    }
    if !cleaned.live_runs.is_empty() {
        println!(
            "left alone (still running, Lease held): run {}",
            cleaned.live_runs.join(", run ")
        );
    }
    Ok(0)
}
