# Owns the Cilium enforcer (`up --enforcer cilium`): its CNI config, bpffs, operator and agent, and their removal.
# Cilium runs as host processes beside kube-proxy (kube-proxy-replacement off), native routing over the node's pod
# CIDR (no tunnel: one node), legacy host routing (pod traffic crosses netfilter, so the egress guard holds).
# shellcheck shell=bash

# Defaults of Cilium itself: the CNI plugin finds the agent's socket under this directory, whatever the agent is told.
CILIUM_RUN=/var/run/cilium
BPFFS=/sys/fs/bpf
# Cilium's links, lxc<hash> host-side veths included (lxc_health is never made: health checking is off).
CILIUM_LINK_RE='^(cilium_(host|net|vxlan)|lxc[0-9a-f]{12})$'
# Host-wide settings the agent rewrites (pkg/datapath/loader/base.go); `down` puts the values found before back.
CILIUM_SYSCTLS="net.core.bpf_jit_enable net.ipv4.conf.all.rp_filter net.ipv4.fib_multipath_use_neigh kernel.timer_migration"
# The agent sets this one to 1, which the kernel never lets anyone undo (2 -> 1 is one-way until reboot); the agent
# ignores a failure to write it, so it runs with the file read-only in a mount namespace of its own.
CILIUM_LOCKED_SYSCTL=/proc/sys/kernel/unprivileged_bpf_disabled
# Cilium's `--policy-cidr-match-mode` (empty: its default, ipBlocks match neither pods nor nodes; `nodes`, `pods` or
# `pods,nodes`, which its documentation asks for full ClusterNetworkPolicy conformance). `up` records it.
CILIUM_CIDR_MATCH_MODE=${NETREACH_CILIUM_CIDR_MATCH_MODE:-}
CILIUM_CIDR_MATCH_MODE_FILE=$NETREACH_STATE/cilium-cidr-match-mode
cilium_cidr_match_mode() { cat "$CILIUM_CIDR_MATCH_MODE_FILE" 2>/dev/null; }
# The channel of the ClusterNetworkPolicy CRD `up` installs (network-policy-api's config/crd/<channel>). Cilium 1.20.2
# reads both channels' fields (pkg/k8s/cluster_network_policy.go: egress `nodes`, `destinationNamedPort`), so the
# default is experimental; `standard` makes the battery's experimental suites skip with the reason.
CNP_CHANNEL=${NETREACH_CNP_CHANNEL:-experimental}
CILIUM_AGENT_HEALTH_PORT=9879
CILIUM_OPERATOR_HEALTH_PORT=9234

write_cilium_cni_config() {
  mkdir -p "$CNI_CONF_DIR" "$CNI_BIN_DIR"
  ln -sf "$CILIUM_BIN_DIR/cilium-cni" "$CNI_BIN_DIR/cilium-cni"
  # containerd sets up each sandbox's loopback with the plugin of the same directory.
  ln -sf /usr/lib/cni/loopback "$CNI_BIN_DIR/loopback"
  cat >"$CNI_CONF_DIR/10-$CNI_NETWORK.conflist" <<EOF
{
  "cniVersion": "0.3.1",
  "name": "$CNI_NETWORK",
  "plugins": [
    {"type": "cilium-cni", "enable-debug": false, "log-file": "$LOG_DIR/cilium-cni.log"}
  ]
}
EOF
}

# bpffs (mounted by us when missing; `down` unmounts it again) and the host values Cilium changes.
_cilium_prepare_host() {
  if ! mountpoint -q "$BPFFS"; then
    mount -t bpf bpf "$BPFFS" || die "cannot mount bpffs on $BPFFS"
    echo "$BPFFS" >>"$NETREACH_STATE/cilium-mounted"
  fi
  local saved=$NETREACH_STATE/cilium-sysctls key
  if [ ! -f "$saved" ]; then
    for key in $CILIUM_SYSCTLS; do echo "$key=$(sysctl -n "$key")"; done >"$saved"
  fi
  [ -e "$CILIUM_RUN" ] || grep -qxF "$CILIUM_RUN" "$NETREACH_STATE/created-paths" 2>/dev/null ||
    echo "$CILIUM_RUN" >>"$NETREACH_STATE/created-paths"
}

start_cilium() {
  _cilium_prepare_host
  echo "$CILIUM_CIDR_MATCH_MODE" >"$CILIUM_CIDR_MATCH_MODE_FILE"
  # CRDs (Cilium's own) are registered by the operator; the agent waits for them.
  start_bg cilium-operator "$CILIUM_BIN_DIR/cilium-operator-generic" \
    --k8s-kubeconfig-path "$CONF_DIR/cilium.kubeconfig" --k8s-namespace kube-system \
    --cluster-name default --ipam kubernetes --identity-allocation-mode crd \
    --enable-metrics=false --operator-api-serve-addr "127.0.0.1:$CILIUM_OPERATOR_HEALTH_PORT" \
    --operator-pprof=false --enable-gateway-api-secrets-sync=false \
    --unmanaged-pod-watcher-interval 0 --enable-k8s-cluster-network-policy=true
  wait_for "cilium-operator healthz" 120 curl -fsS --max-time 2 "http://127.0.0.1:$CILIUM_OPERATOR_HEALTH_PORT/healthz" ||
    { explain_failure cilium-operator; die "cilium-operator did not become healthy"; }
  _install_cluster_network_policy_crd
  local sysctl=$CILIUM_LOCKED_SYSCTL
  START_MATCH="$CILIUM_BIN_DIR/cilium-agent" start_bg cilium-agent env K8S_NODE_NAME="$NODE_NAME" \
    PATH="/usr/lib/llvm-19/bin:$PATH" \
    unshare --mount --propagation slave sh -c \
    "mount --bind $sysctl $sysctl && mount -o remount,bind,ro $sysctl && exec \"\$0\" \"\$@\"" \
    "$CILIUM_BIN_DIR/cilium-agent" \
    --k8s-kubeconfig-path "$CONF_DIR/cilium.kubeconfig" --k8s-namespace kube-system \
    --lib-dir "$CILIUM_BIN_DIR" --state-dir "$CILIUM_RUN" --bpf-root "$BPFFS" \
    --cgroup-root /sys/fs/cgroup/unified \
    --cluster-name default --cluster-id 0 --identity-allocation-mode crd \
    --enable-ipv4=true --enable-ipv6=false \
    --routing-mode native --ipv4-native-routing-cidr "$CLUSTER_CIDR" \
    --ipam kubernetes --k8s-require-ipv4-pod-cidr=true \
    --kube-proxy-replacement=false --bpf-lb-sock=false \
    --enable-host-legacy-routing=true \
    --enable-ipv4-masquerade=true --enable-bpf-masquerade=false \
    --enable-health-checking=false --enable-endpoint-health-checking=false \
    --enable-hubble=false --enable-l7-proxy=false --enable-envoy-config=false --external-envoy-proxy=false \
    --enable-k8s-cluster-network-policy=true --enable-node-selector-labels=true \
    --cni-exclusive=false --write-cni-conf-when-ready "" \
    --agent-health-port "$CILIUM_AGENT_HEALTH_PORT" --prometheus-serve-addr "" --enable-gops=false \
    ${CILIUM_CIDR_MATCH_MODE:+--policy-cidr-match-mode "$CILIUM_CIDR_MATCH_MODE"}
  # The first start compiles the datapath (bpf_lxc, bpf_host, ...) with clang: minutes on 2 busy cores.
  wait_for "cilium-agent healthz" 600 _cilium_agent_ok || { explain_failure cilium-agent; die "cilium-agent did not become ready"; }
}

_cilium_agent_ok() {
  curl -fsS --max-time 2 "http://127.0.0.1:$CILIUM_AGENT_HEALTH_PORT/healthz" >/dev/null
}

# ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) is not Cilium's: its CRD comes from
# sigs.k8s.io/network-policy-api, the release Cilium is built against (in the Go module cache since the build).
_install_cluster_network_policy_crd() {
  local dir crd
  case $CNP_CHANNEL in
    standard | experimental) ;;
    *) die "NETREACH_CNP_CHANNEL=$CNP_CHANNEL: expected standard or experimental" ;;
  esac
  dir=$(cd "$NETREACH_CACHE/work/cilium-$CILIUM_VERSION" 2>/dev/null && go list -mod=mod -m -f '{{.Dir}}' sigs.k8s.io/network-policy-api 2>/dev/null)
  crd=$dir/config/crd/$CNP_CHANNEL/policy.networking.k8s.io_clusternetworkpolicies.yaml
  if [ -f "$crd" ]; then
    kubectl_ apply --server-side -f "$crd" >/dev/null || log "warning: installing the ClusterNetworkPolicy CRD failed"
  else
    log "warning: no ClusterNetworkPolicy CRD found (network-policy-api not in the module cache)"
  fi
}

# Everything of Cilium's outside the state directories: links, bpffs pins (which hold its maps and programs), sysctls,
# its run directory; its iptables chains and ipsets go with the others in cleanup_all. Safe when nothing is there.
cleanup_cilium() {
  local l
  for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "$CILIUM_LINK_RE"); do
    # Deleting one end of a veth pair (cilium_net/cilium_host) deletes the other.
    ip link show "$l" >/dev/null 2>&1 || continue
    ip link del "$l" 2>/dev/null || log "warning: cannot delete link $l"
  done
  # Pinned maps and program links (tcx attachments) live under these; unpinned programs go with their links.
  rm -rf "$BPFFS/cilium" "$BPFFS/tc/globals"/cilium_* 2>/dev/null
  rmdir "$BPFFS/tc/globals" "$BPFFS/tc" 2>/dev/null
  if [ -f "$NETREACH_STATE/cilium-sysctls" ]; then
    while read -r l; do [ -n "$l" ] && sysctl -qw "$l" 2>/dev/null; done <"$NETREACH_STATE/cilium-sysctls"
  fi
  if [ -f "$NETREACH_STATE/cilium-mounted" ] && mountpoint -q "$BPFFS"; then
    # maps.debug and progs.debug are the kernel's own (bpf_preload) in every bpffs mount.
    [ -z "$(ls -A "$BPFFS" | grep -vxE 'maps\.debug|progs\.debug')" ] && umount "$BPFFS" 2>/dev/null
  fi
  if grep -qxF "$CILIUM_RUN" "$NETREACH_STATE/created-paths" 2>/dev/null; then rm -rf "$CILIUM_RUN"; fi
  return 0
}

# Prints what Cilium left on the machine (nothing when clean): the evidence `down` checks.
cilium_leftovers() {
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "$CILIUM_LINK_RE" | sed 's/^/link /'
  ip -4 route show table all 2>/dev/null | grep -E 'cilium_|lxc' | sed 's/^/route /'
  ip rule show 2>/dev/null | grep -E 'lookup (2004|2005)' | sed 's/^/rule /' # L7 proxy tables (off here)
  [ -d "$BPFFS/cilium" ] && echo "bpffs $BPFFS/cilium"
  ls -d "$BPFFS/tc/globals"/cilium_* 2>/dev/null | sed 's/^/bpffs /'
  if command -v bpftool >/dev/null 2>&1; then
    bpftool map show 2>/dev/null | grep -oE 'name cilium_[^ ]*' | sed 's/^/bpf map /'
    bpftool prog show 2>/dev/null | grep -oE 'name (cil_|tail_|__send_drop_no)[^ ]*' | sed 's/^/bpf prog /'
  fi
  local save
  for save in iptables-save iptables-legacy-save; do
    command -v "$save" >/dev/null 2>&1 && "$save" 2>/dev/null | grep -i cilium | sed "s/^/$save: /"
  done
  ipset list -n 2>/dev/null | grep -E '^cilium_' | sed 's/^/ipset /'
  [ -e "$CILIUM_RUN" ] && echo "dir $CILIUM_RUN"
  return 0
}
