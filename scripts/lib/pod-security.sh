# Owns the cluster-wide Pod Security Admission defaults: with --pod-security LEVEL the API server gets an
# AdmissionConfiguration making LEVEL the default enforce (and audit, warn) level of every namespace without
# labels of its own; kube-system is exempt. Namespaces can still opt out with pod-security.kubernetes.io labels.
# shellcheck shell=bash

POD_SECURITY_CONFIG=$CONF_DIR/admission.yaml
POD_SECURITY_EXEMPT_NAMESPACES=kube-system

# Arguments for kube-apiserver (none when the level is upstream's default).
pod_security_apiserver_args() {
  [ "$POD_SECURITY" != none ] || return 0
  mkdir -p "$CONF_DIR"
  cat >"$POD_SECURITY_CONFIG" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: "$POD_SECURITY"
      enforce-version: latest
      audit: "$POD_SECURITY"
      audit-version: latest
      warn: "$POD_SECURITY"
      warn-version: latest
    exemptions:
      usernames: []
      runtimeClasses: []
      namespaces: [$POD_SECURITY_EXEMPT_NAMESPACES]
EOF
  echo "--admission-control-config-file $POD_SECURITY_CONFIG"
}

pod_security_summary() {
  if [ "$POD_SECURITY" = none ]; then
    echo "none (upstream default: privileged)"
  else
    echo "$POD_SECURITY (default enforce/audit/warn for every namespace; exempt: $POD_SECURITY_EXEMPT_NAMESPACES)"
  fi
}
