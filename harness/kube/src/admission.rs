//! Why a fixture cannot run, read from the API's answers (pure): the fields an admission refusal names, and the
//! container states that will not get better by waiting.

use k8s_openapi::api::core::v1::Pod;

/// Pod Security's check names (as its refusals word them) and the pod fields they are about.
const POD_SECURITY_CHECKS: [(&str, &str); 13] = [
    ("host namespaces", "spec.hostNetwork/hostPID/hostIPC"),
    ("hostPort", "ports[].hostPort"),
    ("privileged", "securityContext.privileged"),
    (
        "allowPrivilegeEscalation",
        "securityContext.allowPrivilegeEscalation",
    ),
    ("unrestricted capabilities", "securityContext.capabilities"),
    (
        "non-default capabilities",
        "securityContext.capabilities.add",
    ),
    ("runAsNonRoot", "securityContext.runAsNonRoot"),
    ("runAsUser", "securityContext.runAsUser"),
    ("seccompProfile", "securityContext.seccompProfile"),
    ("forbidden sysctls", "spec.securityContext.sysctls"),
    ("restricted volume types", "spec.volumes"),
    ("hostPath volumes", "spec.volumes[].hostPath"),
    ("procMount", "securityContext.procMount"),
];

/// The fields an admission refusal of a pod names, comma-separated; for Pod Security, from its check names (for
/// host namespaces, the one named in parentheses, e.g. `spec.hostNetwork`). `"fields not named"` when no known
/// check appears (another admission controller's refusal: its message says what it wants).
pub fn refused_fields(message: &str) -> String {
    let Some((_, checks)) = message.split_once("violates PodSecurity") else {
        return "fields not named".into();
    };
    let mut fields: Vec<String> = Vec::new();
    for (check, field) in POD_SECURITY_CHECKS {
        if !checks.contains(check) {
            continue;
        }
        let field = if check == "host namespaces" {
            ["hostNetwork", "hostPID", "hostIPC"]
                .iter()
                .filter(|name| checks.contains(&format!("{name}=true")))
                .map(|name| format!("spec.{name}"))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            field.to_owned()
        };
        if !field.is_empty() && !fields.contains(&field) {
            fields.push(field);
        }
    }
    if fields.is_empty() {
        "fields not named".into()
    } else {
        fields.join(", ")
    }
}

/// Waiting reasons of a container that waiting will not cure: the image cannot be pulled or named, or its
/// configuration cannot be made into a container. Not CrashLoopBackOff: a hostNetwork server crashes while the
/// port is still held by the previous run's pod (deleted with grace 0, its process not yet gone) and then starts.
const HOPELESS: [&str; 7] = [
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// A container of the pod in a hopeless state: `(image, reason: message)` on one line.
pub fn hopeless(pod: &Pod) -> Option<(String, String)> {
    let status = pod.status.as_ref()?;
    let containers = status.init_container_statuses.iter().flatten();
    containers
        .chain(status.container_statuses.iter().flatten())
        .find_map(|c| {
            let waiting = c.state.as_ref()?.waiting.as_ref()?;
            let reason = waiting.reason.as_deref()?;
            if !HOPELESS.contains(&reason) {
                return None;
            }
            let mut text = reason.to_owned();
            if let Some(message) = waiting.message.as_deref() {
                text.push_str(&format!(": {message}"));
            }
            Some((c.image.clone(), one_line(&text)))
        })
}

/// `text` with its line breaks and runs of blanks folded to single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_security_refusals_name_their_fields() {
        let host = r#"pods "metadata" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPort (container "server" uses hostPort 32000)"#;
        assert_eq!(refused_fields(host), "spec.hostNetwork, ports[].hostPort");
        let root = r#"pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)"#;
        assert_eq!(
            refused_fields(root),
            "securityContext.allowPrivilegeEscalation, securityContext.runAsNonRoot"
        );
        assert_eq!(
            refused_fields("admission webhook \"x\" denied the request: no"),
            "fields not named"
        );
    }

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": {"name": "p"}, "status": status}))
            .unwrap()
    }

    #[test]
    fn image_pull_and_config_errors_are_hopeless_creating_is_not() {
        let pulling = pod(serde_json::json!({"containerStatuses": [{
            "name": "probe", "image": "nope:1", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ErrImagePull", "message": "failed to pull\nnot found"}}}]}));
        assert_eq!(
            hopeless(&pulling),
            Some((
                "nope:1".into(),
                "ErrImagePull: failed to pull not found".into()
            ))
        );
        let creating = pod(serde_json::json!({"containerStatuses": [{
            "name": "probe", "image": "img", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ContainerCreating"}}}]}));
        assert_eq!(hopeless(&creating), None);
        // A crash loop may end (a port still held by a pod being deleted): not hopeless.
        let crashing = pod(serde_json::json!({"containerStatuses": [{
            "name": "server", "image": "img", "imageID": "", "ready": false, "restartCount": 2,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}}]}));
        assert_eq!(hopeless(&crashing), None);
    }
}
