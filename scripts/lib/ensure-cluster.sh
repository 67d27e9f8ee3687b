# Decides which cluster the entry points use: the configured one if it answers, else the local one (started here).
# shellcheck shell=bash

ensure_cluster() { # netreach-binary
  local netreach=$1
  if [ -z "${KUBECONFIG:-}" ] && [ -n "$(scripts/cluster env 2>/dev/null | grep KUBECONFIG || true)" ] &&
    scripts/cluster status >/dev/null 2>&1; then
    eval "$(scripts/cluster env)"
  fi
  if { [ -n "${KUBECONFIG:-}" ] || [ -f "$HOME/.kube/config" ]; } && "$netreach" ping >/dev/null 2>&1; then
    echo "using the configured cluster ($("$netreach" ping 2>&1))" >&2
  else
    echo "no reachable cluster configured: bringing up the local one (scripts/cluster up)" >&2
    scripts/cluster up
    eval "$(scripts/cluster env)"
  fi
  if [ "${KUBECONFIG:-}" = "$(scripts/cluster env | sed -n 's/^export KUBECONFIG=//p')" ]; then
    export NETREACH_LOCAL_CLUSTER=1
    eval "$(scripts/cluster env)"
  fi
}
