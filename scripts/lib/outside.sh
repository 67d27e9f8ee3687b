# Owns the "outside" host (our own netns behind a veth, HTTP on two addresses, the outside source's agent) and the
# two guards: pod egress, and the outside host's own forwarded traffic.
# Pods reach the outside host through the node (routed; the bridge plugin masquerades pod sources).
# shellcheck shell=bash

OUTSIDE_WWW=$NETREACH_STATE/outside

start_outside_host() {
  # Guard first: while the cluster is up, the outside range can never take the default route off the machine.
  ip route replace unreachable "$OUTSIDE_GUARD_NET" metric 4000
  if ! ip netns list | grep -qw "$OUTSIDE_NS"; then
    ip netns add "$OUTSIDE_NS"
  fi
  if ! ip link show "$OUTSIDE_VETH_HOST" >/dev/null 2>&1; then
    ip link add "$OUTSIDE_VETH_HOST" type veth peer name "$OUTSIDE_VETH_NS" netns "$OUTSIDE_NS"
  fi
  ip addr replace "$OUTSIDE_GW/24" dev "$OUTSIDE_VETH_HOST"
  ip link set "$OUTSIDE_VETH_HOST" up
  ip -n "$OUTSIDE_NS" link set lo up
  ip -n "$OUTSIDE_NS" addr replace "$OUTSIDE_METADATA_ADDR/24" dev "$OUTSIDE_VETH_NS"
  ip -n "$OUTSIDE_NS" addr replace "$OUTSIDE_INTERNET_ADDR/24" dev "$OUTSIDE_VETH_NS"
  ip -n "$OUTSIDE_NS" link set "$OUTSIDE_VETH_NS" up
  ip -n "$OUTSIDE_NS" route replace default via "$OUTSIDE_GW" dev "$OUTSIDE_VETH_NS"
  mkdir -p "$OUTSIDE_WWW/metadata" "$OUTSIDE_WWW/internet"
  echo "outside metadata" >"$OUTSIDE_WWW/metadata/index.html"
  echo "outside internet" >"$OUTSIDE_WWW/internet/index.html"
  _outside_server outside-metadata "$OUTSIDE_METADATA_ADDR:80" metadata
  _outside_server outside-internet "$OUTSIDE_INTERNET_ADDR:80" internet
  wait_for "outside host HTTP" 20 _outside_serving || die "the outside host does not serve HTTP"
  start_outside_agent
}

# The outside source: agnhost netexec (the binary lib/agnhost.sh builds) in the outside netns as nobody, its HTTP
# port open to the host's end of the veth only (its /shell and /upload endpoints must not be reachable from pods),
# its UDP server off. Its connections to the pods leave from OUTSIDE_SOURCE_ADDR (the route's src); the outside
# guard lets them reach the pods and nothing else.
start_outside_agent() {
  local ns="ip netns exec $OUTSIDE_NS"
  ip -n "$OUTSIDE_NS" addr replace "$OUTSIDE_SOURCE_ADDR/24" dev "$OUTSIDE_VETH_NS"
  ip -n "$OUTSIDE_NS" route replace "$CLUSTER_CIDR" via "$OUTSIDE_GW" src "$OUTSIDE_SOURCE_ADDR"
  $ns iptables -N NETREACH-AGENT-IN 2>/dev/null || $ns iptables -F NETREACH-AGENT-IN
  $ns iptables -A NETREACH-AGENT-IN -s "$OUTSIDE_GW" -d "$OUTSIDE_SOURCE_ADDR" -j RETURN
  $ns iptables -A NETREACH-AGENT-IN -m comment --comment "netreach: the agent answers the host only" -j DROP
  $ns iptables -C INPUT -p tcp --dport "$OUTSIDE_AGENT_PORT" -j NETREACH-AGENT-IN 2>/dev/null ||
    $ns iptables -I INPUT 1 -p tcp --dport "$OUTSIDE_AGENT_PORT" -j NETREACH-AGENT-IN
  if dual_stack; then
    $ns ip6tables -C INPUT -p tcp --dport "$OUTSIDE_AGENT_PORT" -j DROP 2>/dev/null ||
      $ns ip6tables -I INPUT 1 -p tcp --dport "$OUTSIDE_AGENT_PORT" -j DROP
  fi
  START_MATCH="netexec --http-port=$OUTSIDE_AGENT_PORT" start_bg outside-agent \
    ip netns exec "$OUTSIDE_NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$AGNHOST_BIN_DIR/agnhost" netexec "--http-port=$OUTSIDE_AGENT_PORT" --udp-port=-1
  wait_for "outside source agent" 20 _agent_serving || die "the outside source's agent does not answer"
}

# (netexec's /healthz stays 412 with its UDP server off: /hostname says it serves.)
_agent_serving() { curl -fsS --max-time 2 "$(outside_agent_url)/hostname" >/dev/null; }

outside_agent_url() { echo "http://$OUTSIDE_SOURCE_ADDR:$OUTSIDE_AGENT_PORT"; }

# _outside_server NAME LISTEN ROLE: busybox httpd in the outside netns on LISTEN ([ADDR]:PORT) serving ROLE's page.
_outside_server() {
  START_MATCH="httpd -f -p $2" start_bg "$1" ip netns exec "$OUTSIDE_NS" /bin/busybox httpd -f -p "$2" -h "$OUTSIDE_WWW/$3"
}

# _serves URL ROLE: the outside host's ROLE page answers at URL.
_serves() { curl -fsS --max-time 2 "$1" | grep -q "outside $2"; }

_outside_serving() { _serves "http://$OUTSIDE_METADATA_ADDR/" metadata && _serves "http://$OUTSIDE_INTERNET_ADDR/" internet; }

# Pod traffic may be forwarded only onto the pod network (kube-router: the pod bridge; Cilium: the pods' lxc veths
# and cilium_host) or the outside veth: anything else would leave the machine, so it is dropped. In mangle FORWARD,
# because the enforcers' filter chains ACCEPT policy-compliant traffic early.
install_egress_guard() {
  local pod_ifaces=$BRIDGE dev
  [ "$(current_enforcer)" = cilium ] && pod_ifaces="lxc+ cilium_host"
  iptables -t mangle -N "$EGRESS_GUARD_CHAIN" 2>/dev/null || iptables -t mangle -F "$EGRESS_GUARD_CHAIN"
  # The outside source's agent runs commands on request (netexec /shell): pods never reach it (masqueraded, they
  # would arrive from the host's end of the veth, which the agent's own filter lets in). IPv4 only: over IPv6 the
  # agent's port is closed inside the netns.
  case $CLUSTER_CIDR in
    *:*) ;;
    *) iptables -t mangle -A "$EGRESS_GUARD_CHAIN" -d "$OUTSIDE_SOURCE_ADDR" -p tcp --dport "$OUTSIDE_AGENT_PORT" -j DROP ;;
  esac
  for dev in $pod_ifaces; do iptables -t mangle -A "$EGRESS_GUARD_CHAIN" -o "$dev" -j RETURN; done
  iptables -t mangle -A "$EGRESS_GUARD_CHAIN" -o "$OUTSIDE_VETH_HOST" -j RETURN
  iptables -t mangle -A "$EGRESS_GUARD_CHAIN" -m comment --comment "netreach: pod traffic never leaves the machine" -j DROP
  iptables -t mangle -C FORWARD -s "$CLUSTER_CIDR" -j "$EGRESS_GUARD_CHAIN" 2>/dev/null ||
    iptables -t mangle -I FORWARD 1 -s "$CLUSTER_CIDR" -j "$EGRESS_GUARD_CHAIN"
  log "egress guard: pod traffic may only go to ${pod_ifaces// /, } and $OUTSIDE_VETH_HOST"
}

# The outside host's own forwarded traffic (the agent's connections, the servers' replies) may go only onto the pod
# network: anything else (the default route, another interface) is dropped. Beside the unreachable guard route, this
# keeps the agent, which dials what netreach asks, from reaching anything but the pods.
install_outside_guard() {
  local pod_ifaces=$BRIDGE dev
  [ "$(current_enforcer)" = cilium ] && pod_ifaces="lxc+ cilium_host"
  iptables -t mangle -N "$OUTSIDE_GUARD_CHAIN" 2>/dev/null || iptables -t mangle -F "$OUTSIDE_GUARD_CHAIN"
  for dev in $pod_ifaces; do iptables -t mangle -A "$OUTSIDE_GUARD_CHAIN" -o "$dev" -j RETURN; done
  iptables -t mangle -A "$OUTSIDE_GUARD_CHAIN" -m comment --comment "netreach: the outside host reaches only the pods" -j DROP
  iptables -t mangle -C FORWARD -s "$OUTSIDE_NET" -j "$OUTSIDE_GUARD_CHAIN" 2>/dev/null ||
    iptables -t mangle -I FORWARD 1 -s "$OUTSIDE_NET" -j "$OUTSIDE_GUARD_CHAIN"
  log "outside guard: traffic from $OUTSIDE_NET may only go to ${pod_ifaces// /, }"
}

outside_addrs() { echo "$OUTSIDE_METADATA_ADDR $OUTSIDE_INTERNET_ADDR"; }
