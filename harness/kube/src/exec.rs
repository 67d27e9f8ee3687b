//! Running a command in a pod through the API server's exec subresource, with a deadline kube itself lacks.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::AttachParams;
use tokio::io::AsyncReadExt;

/// What a finished command left behind.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    /// 0 on success; the remote exit code otherwise; `None` when the status did not say.
    pub exit_code: Option<i32>,
}

/// Runs `command` in the pod's `container` (the first one when `None`), draining stdout and stderr while awaiting
/// the status.
/// Errors are plain text: the caller turns them into error cells, never into passes.
pub async fn exec(
    pods: &Api<Pod>,
    pod: &str,
    container: Option<&str>,
    command: Vec<String>,
    deadline: Duration,
) -> Result<ExecOutput, String> {
    let mut params = AttachParams::default()
        .stdin(false)
        .stdout(true)
        .stderr(true);
    if let Some(container) = container {
        params = params.container(container);
    }
    tracing::debug!(
        namespace = pods.namespace().unwrap_or_default(),
        %pod,
        command = %command.join(" "),
        "exec"
    );
    let run = async {
        let mut attached = pods
            .exec(pod, command, &params)
            .await
            .map_err(|e| format!("exec into {pod}: {e}"))?;
        let mut stdout = attached.stdout().ok_or("exec returned no stdout stream")?;
        let mut stderr = attached.stderr().ok_or("exec returned no stderr stream")?;
        let status = attached.take_status().ok_or("exec returned no status")?;
        let mut out = Vec::new();
        let mut err = Vec::new();
        let (read_out, read_err, status) = tokio::join!(
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut err),
            status
        );
        read_out.map_err(|e| format!("reading stdout of {pod}: {e}"))?;
        read_err.map_err(|e| format!("reading stderr of {pod}: {e}"))?;
        let exit_code = status.and_then(|s| exit_code_of(&s));
        let _ = attached.join().await;
        Ok(ExecOutput {
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
            exit_code,
        })
    };
    tokio::time::timeout(deadline, run)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "exec into {pod} did not finish within {}s",
                deadline.as_secs_f64()
            ))
        })
}

/// A Status of `Success` is 0; `NonZeroExitCode` carries the code in a cause of reason `ExitCode`.
fn exit_code_of(status: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Status) -> Option<i32> {
    if status.status.as_deref() == Some("Success") {
        return Some(0);
    }
    status
        .details
        .as_ref()?
        .causes
        .iter()
        .flatten()
        .find(|c| c.reason.as_deref() == Some("ExitCode"))
        .and_then(|c| c.message.as_deref()?.parse().ok())
}
