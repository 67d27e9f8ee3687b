# Shared settings (addresses, paths, names) and helpers (logging, pid files, waiting) of the local cluster.
# shellcheck shell=bash

# Everything the running cluster owns lives under the state directory (outside the clone) and /run/netreach-cluster.
NETREACH_STATE=${NETREACH_STATE:-/var/lib/netreach-cluster}
NETREACH_RUN=/run/netreach-cluster
PKI_DIR=$NETREACH_STATE/pki
LOG_DIR=$NETREACH_STATE/logs
PID_DIR=$NETREACH_STATE/pids
CONF_DIR=$NETREACH_STATE/config
KUBECONFIG_ADMIN=$NETREACH_STATE/admin.kubeconfig
CONTAINERD_ROOT=$NETREACH_STATE/containerd
CONTAINERD_STATE=$NETREACH_RUN/containerd
CONTAINERD_SOCK=$NETREACH_RUN/containerd.sock
KUBELET_ROOT=$NETREACH_STATE/kubelet
CNI_CONF_DIR=$NETREACH_STATE/cni/net.d
# containerd's CNI plugin directory: Debian's plugins for kube-router's bridge network, our own for Cilium's.
CNI_BIN_DIR=$NETREACH_STATE/cni/bin
CNI_IPAM_DIR=$NETREACH_STATE/cni/ipam
CNI_NETWORK=netreach
# libcni keeps its result cache here whatever containerd is told; only our network's entries are removed.
CNI_CACHE_DIR=/var/lib/cni

# Host paths a component creates regardless of its settings; `down` removes those that `up` found missing.
HOST_PATHS_WE_MAY_CREATE="/run/netns /run/containerd /var/lib/kubelet /var/lib/cni /var/log/containers"

NODE_NAME=netreach-node
CLUSTER_CIDR=10.244.0.0/16
# The controller-manager hands the first (only) node the first /24 of CLUSTER_CIDR.
POD_CIDR=10.244.0.0/24
POD_GATEWAY=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
# Narrower than the default 30000-32767 on purpose: kube-router's KUBE-ROUTER-INPUT chain RETURNs (never
# filters) pod traffic to a local address on a NodePort-range port, so a hostNetwork fixture on e.g. 32000
# would escape egress policies. Keeping 32000-32767 outside the range keeps those ports policed.
NODEPORT_RANGE=30000-31999
BRIDGE=netreach0

# The "outside" host: a netns of our own behind a veth pair; these addresses exist only inside it.
OUTSIDE_NS=netreach-outside
OUTSIDE_VETH_HOST=nr-out0
OUTSIDE_VETH_NS=nr-out1
OUTSIDE_NET=10.251.0.0/24
OUTSIDE_GW=10.251.0.1
OUTSIDE_METADATA_ADDR=10.251.0.10
OUTSIDE_INTERNET_ADDR=10.251.0.20
# The outside source: connections to the pods leave the outside netns from this address, made by an agnhost netexec
# agent there that netreach asks on its /dial endpoint (http://ADDR:PORT, reachable from the host only).
OUTSIDE_SOURCE_ADDR=10.251.0.30
OUTSIDE_AGENT_PORT=8081
# Guard route: traffic for the outside range never leaves through the default route, even if the veth is down.
OUTSIDE_GUARD_NET=10.251.0.0/16

EGRESS_GUARD_CHAIN=NETREACH-EGRESS-GUARD
OUTSIDE_GUARD_CHAIN=NETREACH-OUTSIDE-GUARD

IMAGE_PAUSE=localhost/netreach/pause:v1
IMAGE_PROBE=localhost/netreach/probe:v1
IMAGE_SERVER=localhost/netreach/server:v1

# The NetworkPolicy enforcer: kube-router (default) or cilium, chosen by `up --enforcer`, kept in the state dir.
ENFORCERS="kube-router cilium"
ENFORCER_FILE=$NETREACH_STATE/enforcer
current_enforcer() { cat "$ENFORCER_FILE" 2>/dev/null || echo kube-router; }
enforcer_components() { # enforcer
  case $1 in
    cilium) echo "cilium-operator cilium-agent" ;;
    *) echo kube-router ;;
  esac
}
BASE_COMPONENTS="etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy"
components() { echo "$BASE_COMPONENTS $(enforcer_components "$(current_enforcer)")"; }

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

kubectl_() { "$K8S_BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctr_() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# The node's address: the IPv4 address of the interface holding the default route (no packet is sent).
node_ip() {
  local dev ip
  dev=$(ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
  if [ -n "$dev" ]; then
    ip=$(ip -4 -o addr show dev "$dev" scope global | awk '{print $4; exit}' | cut -d/ -f1)
  fi
  if [ -z "${ip:-}" ]; then
    ip=$(ip -4 -o addr show scope global | awk '$2 !~ /^(netreach|nr-|cni|veth)/ {print $4; exit}' | cut -d/ -f1)
  fi
  [ -n "$ip" ] || die "cannot find the node's IPv4 address"
  echo "$ip"
}

pid_alive() { # name -> 0 when its pid file names a live process running the expected binary
  local f=$PID_DIR/$1.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && ! _gone "$pid" || return 1
  # Guard against pid reuse: the command line must still mention the component's binary.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(cat "$PID_DIR/$1.cmd" 2>/dev/null || echo "$1")"
}

# [START_MATCH=str] start_bg NAME BINARY ARGS...: run detached (own session, survives this script), log and pid file in the state dir.
start_bg() {
  local name=$1
  shift
  mkdir -p "$LOG_DIR" "$PID_DIR"
  if pid_alive "$name"; then
    log "$name already running (pid $(cat "$PID_DIR/$name.pid"))"
    return 0
  fi
  # What the process's command line must contain for pid_alive (default: the binary's path).
  printf '%s' "${START_MATCH:-$1}" >"$PID_DIR/$name.cmd"
  # No inherited descriptor may leak into a daemon: neither fd 9 (the up/down lock) nor a caller's lock (e.g.
  # `flock /run/netreach-dev.lock scripts/cluster up`), or the daemon would hold that lock for its lifetime.
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null
  ) &
  echo $! >"$PID_DIR/$name.pid"
  log "started $name (pid $!)"
}

# A process is gone once /proc has no entry or only a zombie awaiting its reaper (PID 1 reaps slowly here).
_gone() { [ ! -d "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# stop_pid NAME...: TERM all of them, wait up to 15 s, then KILL those left; forgets their pid files.
stop_pid() {
  local name pid pids="" i left
  for name in "$@"; do
    if pid_alive "$name"; then
      pid=$(cat "$PID_DIR/$name.pid")
      kill -TERM "$pid" 2>/dev/null || true
      pids="$pids $name:$pid"
    fi
  done
  for i in $(seq 1 60); do
    left=""
    for pid in $pids; do _gone "${pid#*:}" || left="$left $pid"; done
    [ -z "$left" ] && break
    sleep 0.25
  done
  for pid in $left; do
    log "${pid%%:*} (pid ${pid#*:}) ignored TERM; killing"
    kill -KILL "${pid#*:}" 2>/dev/null || true
  done
  for pid in $pids; do log "stopped ${pid%%:*} (pid ${pid#*:})"; done
  for name in "$@"; do rm -f "$PID_DIR/$name.pid" "$PID_DIR/$name.cmd"; done
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: poll COMMAND every second until it succeeds.
wait_for() {
  local what=$1 timeout=$2 start
  shift 2
  start=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 1
  done
  log "$what: ok after $(($(date +%s) - start))s"
}

# Checks that a component named in a failed wait is still alive, and prints its log tail either way.
explain_failure() { # name
  local name=$1
  if pid_alive "$name"; then log "$name is running; last log lines:"; else log "$name is NOT running; last log lines:"; fi
  tail -n 30 "$LOG_DIR/$name.log" >&2 2>/dev/null || true
}
