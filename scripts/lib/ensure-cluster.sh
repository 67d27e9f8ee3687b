# Decides which cluster the entry points use. A configured cluster ($KUBECONFIG, else ~/.kube/config) is used and
# must answer: if it does not, exit 2 with a hint, and nothing is started. Only when no cluster is configured at all
# is the local one used: the running one, else started here (scripts/cluster up).
# shellcheck shell=bash

ensure_cluster() { # netreach-binary
  local netreach=$1 local_kubeconfig configured why
  local_kubeconfig=$(scripts/cluster env | sed -n 's/^export KUBECONFIG=//p')
  configured=${KUBECONFIG:-}
  if [ -z "$configured" ] && [ -f "$HOME/.kube/config" ]; then
    configured=$HOME/.kube/config
  fi
  if [ -n "$configured" ]; then
    if ! why=$("$netreach" ping 2>&1 >/dev/null); then
      echo "error: the configured cluster ($configured) does not answer: ${why#error: }" >&2
      echo "hint: start it, or use the local cluster: scripts/cluster up && eval \"\$(scripts/cluster env)\"" \
        "(or unset KUBECONFIG and move ~/.kube/config away, and this script starts it)" >&2
      exit 2
    fi
    echo "using the cluster of $configured" >&2
  else
    export KUBECONFIG=$local_kubeconfig
    if [ -f "$local_kubeconfig" ] && "$netreach" ping >/dev/null 2>&1; then
      echo "no cluster configured: using the running local one" >&2
    else
      echo "no cluster configured: bringing up the local one (scripts/cluster up)" >&2
      scripts/cluster up
    fi
  fi
  if [ "${KUBECONFIG:-}" = "$local_kubeconfig" ]; then
    export NETREACH_LOCAL_CLUSTER=1
    eval "$(scripts/cluster env)"
  fi
}
