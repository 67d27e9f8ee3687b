# Owns teardown: everything `up` made (processes, pods, mounts, netns, bridge, chains, ipsets, cgroups, sysctls).
# It also works when an earlier run died half-way and only its leftovers remain.
# shellcheck shell=bash

# Chains and ipsets of kube-proxy, kube-router, Cilium, kubelet and the CNI plugins (bridge ipMasq, portmap) all start so.
OUR_CHAIN_RE='^(KUBE-|CNI-|NETREACH-|CILIUM_)'
OUR_IPSET_RE='^(KUBE-|kube-router|inet6:KUBE-|inet6:kube-router|cilium_)'

# Pids of processes in the kubepods cgroups (pod sandboxes and containers) of every v1 hierarchy and v2.
_pod_pids() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# Pids of containerd shims that serve our containerd (their command line names its socket).
_shim_pids() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q "^/usr/bin/containerd-shim.* -address $CONTAINERD_SOCK " && echo "${p#/proc/}"
  done
}

_kill_pids() { # signal pids...
  local sig=$1
  shift
  [ $# -gt 0 ] && kill "-$sig" "$@" 2>/dev/null
  return 0
}

_stop_pods() {
  local i pids
  if pid_alive containerd; then
    # Kill every task containerd runs for Kubernetes; the sandboxes' networks are torn down by hand below.
    for i in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$i" >/dev/null 2>&1 || true; done
  fi
  for i in $(seq 1 20); do
    pids=$(_pod_pids)
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    _kill_pids KILL $pids
    sleep 0.5
  done
  [ -z "$(_pod_pids)" ] || log "warning: pod processes left: $(_pod_pids | tr '\n' ' ')"
}

# Unmounts every mount point under the given directories, deepest first.
_umount_under() {
  local dir m
  for dir in "$@"; do
    awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: cannot unmount $m"
    done
  done
}

# Pod network namespaces containerd made (cni-*) that carry our pod addresses, or no address at all.
_remove_pod_netns() {
  local ns prefix=${POD_CIDR%.*}.
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ {print $1}'); do
    if ip -n "$ns" -4 -o addr show 2>/dev/null | awk '$2 != "lo" {print $4}' | grep -q . &&
      ! ip -n "$ns" -4 -o addr show 2>/dev/null | grep -qF " $prefix"; then
      continue # someone else's
    fi
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || { umount -l "/run/netns/$ns" 2>/dev/null; rm -f "/run/netns/$ns"; }
  done
}

# Removes our chains, and every rule jumping to them, from each table of one iptables back end.
_purge_iptables() { # save-command restore-command
  local save=$1 restore=$2 table before after
  command -v "$save" >/dev/null 2>&1 || return 0
  for table in raw mangle nat filter; do
    before=$("$save" -t "$table" 2>/dev/null) || continue
    echo "$before" | grep -Eq -- "(^:|-A |-j |-g )(KUBE-|CNI-|NETREACH-|CILIUM_)" || continue
    after=$(echo "$before" | awk -v re="$OUR_CHAIN_RE" '
      /^:/ { if (substr($1, 2) ~ re) next }
      /^-A / {
        if ($2 ~ re) next
        for (i = 3; i < NF; i++) if (($i == "-j" || $i == "-g" || $i == "--jump" || $i == "--goto") && $(i + 1) ~ re) next
      }
      { print }')
    echo "$after" | "$restore" -w 2>/dev/null || echo "$after" | "$restore" || log "warning: cleaning $table with $restore failed"
  done
}

_purge_ipsets() {
  local s
  command -v ipset >/dev/null 2>&1 || return 0
  # Lists (set of sets) first, so member sets are no longer referenced.
  for s in $(ipset list -n 2>/dev/null | grep -E "$OUR_IPSET_RE"); do ipset flush "$s" 2>/dev/null || true; done
  for s in $(ipset list -n 2>/dev/null | grep -E "$OUR_IPSET_RE"); do
    ipset destroy "$s" 2>/dev/null || log "warning: cannot destroy ipset $s"
  done
}

_remove_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

_restore_sysctls() {
  local saved=$NETREACH_STATE/host-sysctls line
  [ -f "$saved" ] || return 0
  while read -r line; do
    [ -n "$line" ] && sysctl -qw "$line" 2>/dev/null
  done <"$saved"
  return 0
}

# libcni result cache entries of our sandboxes: "<network>-<sandbox id>-eth0" and containerd's own
# "cni-loopback-<sandbox id>-lo".
_remove_cni_cache() {
  local f id
  for f in "$CNI_CACHE_DIR/results/$CNI_NETWORK"-*; do
    [ -e "$f" ] || continue
    id=${f##*/"$CNI_NETWORK"-}
    id=${id%-*}
    rm -f "$f" "$CNI_CACHE_DIR/results/cni-loopback-$id-lo"
  done
}

_remove_created_paths() {
  local p
  [ -f "$NETREACH_STATE/created-paths" ] || return 0
  while read -r p; do
    case $p in
      /run/netns)
        # Only once no namespace is left in it (someone else may have made one since).
        if [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then umount /run/netns 2>/dev/null; rmdir /run/netns 2>/dev/null; fi ;;
      /var/lib/cni) rm -rf /var/lib/cni ;; # libcni's cache only ever held our sandboxes' results
      /var/log/containers)
        find "$p" -depth -type d -empty -delete 2>/dev/null ;; # our entries are gone; keep anything else
      /run/containerd)
        # Shim sockets (always under /run/containerd/s) of our shims, which are dead by now.
        if [ -z "$(_shim_pids)" ] && ! [ -S /run/containerd/containerd.sock ]; then rm -rf /run/containerd; fi ;;
      /var/lib/kubelet)
        if ! grep -q " /var/lib/kubelet" /proc/self/mounts; then rm -rf /var/lib/kubelet; fi ;;
    esac
  done <"$NETREACH_STATE/created-paths"
  return 0
}

cleanup_all() {
  # 1. Node agents, then the pods, then the runtime.
  stop_pid kube-router cilium-agent kube-proxy kubelet
  _stop_pods
  stop_pid containerd
  # shellcheck disable=SC2046
  _kill_pids KILL $(_shim_pids)
  _stop_pods
  # 2. Control plane.
  stop_pid kube-scheduler kube-controller-manager
  stop_pid cilium-operator kube-apiserver
  stop_pid etcd
  # 3. Outside host.
  stop_pid outside-metadata outside-internet outside-agent
  cleanup_ipv6
  if ip netns list 2>/dev/null | grep -qw "$OUTSIDE_NS"; then
    ip netns pids "$OUTSIDE_NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$OUTSIDE_NS" 2>/dev/null || log "warning: cannot delete netns $OUTSIDE_NS"
  fi
  ip link del "$OUTSIDE_VETH_HOST" 2>/dev/null || true
  ip route del unreachable "$OUTSIDE_GUARD_NET" metric 4000 2>/dev/null || true
  cleanup_smoke_leftovers
  # 4. Pod networking: netns, bridge, CNI state.
  _remove_pod_netns
  ip link del "$BRIDGE" 2>/dev/null || true
  cleanup_cilium
  _remove_cni_cache
  # 5. Mounts (kubelet volumes, container rootfs, sandbox shm) and the directories holding them.
  _umount_under "$KUBELET_ROOT" "$CONTAINERD_STATE" "$CONTAINERD_ROOT" "$NETREACH_RUN" "$NETREACH_STATE"
  # 6. Firewall state of kube-proxy, kube-router, kubelet and the CNI plugins, in every back end.
  _purge_iptables iptables-save iptables-restore
  _purge_iptables ip6tables-save ip6tables-restore
  _purge_iptables iptables-legacy-save iptables-legacy-restore
  _purge_iptables ip6tables-legacy-save ip6tables-legacy-restore
  _purge_ipsets
  conntrack -D -s "$CLUSTER_CIDR" >/dev/null 2>&1 || true
  _remove_cgroups
  # 7. Pod log links kubelet left in /var/log/containers, host paths we created, host settings, then our state.
  find /var/log/containers -maxdepth 1 -type l -lname "$NETREACH_STATE/*" -delete 2>/dev/null || true
  _remove_created_paths
  _restore_sysctls
  if awk -v s="$NETREACH_STATE" -v r="$NETREACH_RUN" 'index($2, s) == 1 || index($2, r) == 1 {found = 1} END {exit !found}' /proc/self/mounts; then
    log "warning: mounts remain under $NETREACH_STATE or $NETREACH_RUN; keeping them"
    return 1
  fi
  rm -rf "$NETREACH_RUN" "$NETREACH_STATE"
}

# The netns and veth the smoke test makes to check the egress guard, should it have died half-way.
cleanup_smoke_leftovers() {
  ip netns del netreach-guardtest 2>/dev/null || true
  ip link del nr-gt0 2>/dev/null || true
}
