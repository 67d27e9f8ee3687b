# Owns the IPv6 half of a dual-stack cluster (--ip-family dual): ULA ranges for pods, Services and the outside
# host (all kept on this machine), the per-family CIDR lists the components are given, the IPv6 egress guard and
# the outside host's IPv6 servers. With --ip-family ipv4 every function here reduces to the IPv4 values.
# shellcheck shell=bash

# ULA ranges (fd00::/8) that overlap nothing the host has; the node gets the first /64 of the cluster range.
CLUSTER_CIDR6=fd10:244::/56
POD_CIDR6=fd10:244::/64
POD_GATEWAY6=fd10:244::1
SERVICE_CIDR6=fd10:96::/112
OUTSIDE_NET6=fd10:251::/64
OUTSIDE_GW6=fd10:251::1
OUTSIDE_METADATA_ADDR6=fd10:251::10
OUTSIDE_INTERNET_ADDR6=fd10:251::20
# Like the IPv4 guard route: the outside range can never take the default route off the machine.
OUTSIDE_GUARD_NET6=fd10:251::/48

dual_stack() { [ "$IP_FAMILY" = dual ]; }

# The node's IPv6 address: the global address of the interface holding the IPv6 default route (no packet is sent).
node_ip6() {
  local dev ip
  dev=$(ip -6 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
  [ -n "$dev" ] && ip=$(ip -6 -o addr show dev "$dev" scope global | awk '{print $4; exit}' | cut -d/ -f1)
  if [ -z "${ip:-}" ]; then
    ip=$(ip -6 -o addr show scope global | awk '$2 !~ /^(netreach|nr-|cni|veth)/ {print $4; exit}' | cut -d/ -f1)
  fi
  [ -n "$ip" ] || die "--ip-family dual: this machine has no global IPv6 address for the node"
  echo "$ip"
}

# Comma-separated per-family lists, IPv4 first (the primary family).
service_cidrs() { if dual_stack; then echo "$SERVICE_CIDR,$SERVICE_CIDR6"; else echo "$SERVICE_CIDR"; fi; }
cluster_cidrs() { if dual_stack; then echo "$CLUSTER_CIDR,$CLUSTER_CIDR6"; else echo "$CLUSTER_CIDR"; fi; }
# The controller-manager refuses a mask flag of a family the cluster does not have.
node_cidr_mask_args() { if dual_stack; then echo "--node-cidr-mask-size-ipv4 24 --node-cidr-mask-size-ipv6 64"; else echo "--node-cidr-mask-size-ipv4 24"; fi; }
node_ips() { if dual_stack; then echo "$1,$(node_ip6)"; else echo "$1"; fi; } # node-ipv4

# kube-router v2.1.0 (the only v2 the Go module proxy serves) cannot police IPv6: its ip6tables rules name the
# IPv4-style ipset (KUBE-SRC-…) while the IPv6 set is inet6:KUBE-SRC-…, so every ip6tables-restore holding a rule
# with a set (a selector peer, an IPv6 ipBlock) fails (kube-router #1653, fixed by #1654 after v2.1.0), the previous
# IPv6 rules stay, and as the families are restored in map order the failure can skip the IPv4 restore too. So on a
# dual-stack cluster it polices IPv4 only, unless CLUSTER_KUBE_ROUTER_IPV6=true asks for its broken IPv6 mode (to
# look at the bug; docs/conformance.md, "IPv6 on kube-router", has what it does).
kube_router_ipv6() { if dual_stack && [ "${CLUSTER_KUBE_ROUTER_IPV6:-false}" = true ]; then echo true; else echo false; fi; }
kube_router_service_cidrs() { if [ "$(kube_router_ipv6)" = true ]; then service_cidrs; else echo "$SERVICE_CIDR"; fi; }

# host-local IPAM ranges and routes for the bridge CNI config.
cni_ranges_json() {
  printf '[[{"subnet": "%s", "gateway": "%s"}]' "$POD_CIDR" "$POD_GATEWAY"
  dual_stack && printf ', [{"subnet": "%s", "gateway": "%s"}]' "$POD_CIDR6" "$POD_GATEWAY6"
  printf ']'
}
cni_routes_json() {
  printf '[{"dst": "0.0.0.0/0"}'
  dual_stack && printf ', {"dst": "::/0"}'
  printf ']'
}

# IPv6 forwarding (saved and restored with the other host sysctls by prepare_host/cleanup) and the IPv6 guard.
prepare_host6() {
  dual_stack || return 0
  [ "$(sysctl -n net.ipv6.conf.all.disable_ipv6 2>/dev/null)" = 0 ] || die "--ip-family dual: IPv6 is disabled on this machine"
  command -v ip6tables >/dev/null || die "--ip-family dual: ip6tables is missing"
  sysctl -qw net.ipv6.conf.all.forwarding=1
  # The IPv4 egress guard (lib/outside.sh) again, with ip6tables over the IPv6 pod range.
  iptables() { ip6tables "$@"; }
  CLUSTER_CIDR=$CLUSTER_CIDR6 install_egress_guard
  OUTSIDE_NET=$OUTSIDE_NET6 install_outside_guard
  unset -f iptables
  log "egress guard: installed for IPv6 ($CLUSTER_CIDR6) too"
}

# The outside host's IPv6 addresses and their HTTP servers (after start_outside_host made the netns and veth).
start_outside_host6() {
  dual_stack || return 0
  ip -6 route replace unreachable "$OUTSIDE_GUARD_NET6" metric 4000
  # No duplicate address detection: the addresses are usable at once, and nothing else is on this link.
  ip addr replace "$OUTSIDE_GW6/64" dev "$OUTSIDE_VETH_HOST" nodad
  ip -n "$OUTSIDE_NS" addr replace "$OUTSIDE_METADATA_ADDR6/64" dev "$OUTSIDE_VETH_NS" nodad
  ip -n "$OUTSIDE_NS" addr replace "$OUTSIDE_INTERNET_ADDR6/64" dev "$OUTSIDE_VETH_NS" nodad
  ip -n "$OUTSIDE_NS" -6 route replace default via "$OUTSIDE_GW6" dev "$OUTSIDE_VETH_NS"
  _outside_server outside-metadata6 "[$OUTSIDE_METADATA_ADDR6]:80" metadata
  _outside_server outside-internet6 "[$OUTSIDE_INTERNET_ADDR6]:80" internet
  wait_for "outside host HTTP (IPv6)" 20 _outside_serving6 || die "the outside host does not serve HTTP over IPv6"
}

_outside_serving6() { _serves "http://[$OUTSIDE_METADATA_ADDR6]/" metadata && _serves "http://[$OUTSIDE_INTERNET_ADDR6]/" internet; }

# The outside host's server processes (status and `up`'s liveness check).
outside_servers() { if dual_stack; then echo "outside-metadata outside-internet outside-agent outside-metadata6 outside-internet6"; else echo "outside-metadata outside-internet outside-agent"; fi; }

outside_addrs6() { if dual_stack; then echo "$OUTSIDE_METADATA_ADDR6 $OUTSIDE_INTERNET_ADDR6"; fi; }

# Removes what only the IPv6 half makes (processes are stopped, the netns and veth deleted by cleanup_all).
cleanup_ipv6() {
  stop_pid outside-metadata6 outside-internet6
  ip -6 route del unreachable "$OUTSIDE_GUARD_NET6" metric 4000 2>/dev/null || true
  conntrack -f ipv6 -D -s "$CLUSTER_CIDR6" >/dev/null 2>&1 || true
}
