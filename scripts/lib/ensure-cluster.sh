# Decides which cluster the entry points use: the configured one if it answers, else the local one (started here).
# shellcheck shell=bash

ensure_cluster() { # netreach-binary
  local netreach=$1 local_kubeconfig
  local_kubeconfig=$(scripts/cluster env | sed -n 's/^export KUBECONFIG=//p')
  # With no kubeconfig of the user's, a running local cluster is the configured one.
  if [ -z "${KUBECONFIG:-}" ] && [ ! -f "$HOME/.kube/config" ] && [ -f "$local_kubeconfig" ]; then
    export KUBECONFIG=$local_kubeconfig
  fi
  if "$netreach" ping >/dev/null 2>&1; then
    echo "using the cluster of ${KUBECONFIG:-$HOME/.kube/config}" >&2
  else
    echo "no reachable cluster configured: bringing up the local one (scripts/cluster up)" >&2
    scripts/cluster up
    export KUBECONFIG=$local_kubeconfig
  fi
  if [ "${KUBECONFIG:-}" = "$local_kubeconfig" ]; then
    export NETREACH_LOCAL_CLUSTER=1
    eval "$(scripts/cluster env)"
  fi
}
