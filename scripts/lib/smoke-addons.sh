# Smoke checks of the cluster's add-ons, sourced by scripts/smoke-test (uses its NS, probe, pass, fail, expect_ok,
# eventually, egress_except_policy): cluster DNS, the agnhost image (TCP and UDP), and the IPv6 half of a dual-stack
# cluster.
# shellcheck shell=bash

# nslookup NAME from the probe pod -> prints busybox nslookup's output (exit code on the last line).
_lookup() {
  # shellcheck disable=SC2016
  kubectl -n "$NS" exec probe -- sh -c 'nslookup "$1" 2>&1; echo "rc=$?"' sh "$1"
}

smoke_dns() {
  say "cluster DNS: kube-dns at $NETREACH_CLUSTER_DNS_IP, no upstream forwarding"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: server, namespace: $NS}
spec:
  selector: {app: server}
  ports: [{port: $POD_PORT, targetPort: $POD_PORT}]
EOF
  local svc_ip out
  svc_ip=$(kubectl -n "$NS" get service server -o jsonpath='{.spec.clusterIP}')
  out=$(kubectl -n "$NS" exec probe -- cat /etc/resolv.conf)
  if echo "$out" | grep -qx "nameserver $NETREACH_CLUSTER_DNS_IP" && echo "$out" | grep -q "search $NS.svc.$NETREACH_CLUSTER_DOMAIN"; then
    pass "pod resolv.conf names $NETREACH_CLUSTER_DNS_IP and the cluster search path"
  else
    fail "pod resolv.conf: $(echo "$out" | tr '\n' ';')"
  fi
  out=$(_lookup "kubernetes.default.svc.$NETREACH_CLUSTER_DOMAIN")
  if echo "$out" | grep -q "Address: ${NETREACH_SERVICE_IP:-10.96.0.1}\$"; then
    pass "kubernetes.default.svc resolves to ${NETREACH_SERVICE_IP:-10.96.0.1}"
  else
    fail "kubernetes.default.svc: $(echo "$out" | tr '\n' ';')"
  fi
  out=$(_lookup "server.$NS.svc.$NETREACH_CLUSTER_DOMAIN")
  if echo "$out" | grep -q "Address: $svc_ip\$"; then pass "server.$NS.svc resolves to its ClusterIP $svc_ip"; else fail "server.$NS.svc: $(echo "$out" | tr '\n' ';')"; fi
  # The short name through the search path, then kube-proxy to the pod.
  expect_ok "Service by short name" "http://server:$POD_PORT/" "pod server"
  # A name outside the cluster domain: no forward plugin, so CoreDNS itself answers SERVFAIL.
  out=$(_lookup "example.com.")
  if echo "$out" | grep -q "SERVFAIL" && echo "$out" | grep -q "rc=1"; then
    pass "outside name example.com: SERVFAIL from the cluster DNS (nothing forwarded)"
  else
    fail "outside name example.com: $(echo "$out" | tr '\n' ';')"
  fi
}

# agnhost connect from the agnhost client pod -> "<exit code> <stderr>".
_connect() { # protocol host:port
  # shellcheck disable=SC2016
  kubectl -n "$NS" exec agnhost-client -- sh -c '/agnhost connect --timeout=3s --protocol="$1" "$2" 2>&1; echo "rc=$?"' sh "$1" "$2" | tr '\n' ' '
}

smoke_agnhost() {
  say "agnhost ($NETREACH_AGNHOST_IMAGE): netexec serves TCP and UDP; connect tells allowed from refused"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: netexec, namespace: $NS, labels: {app: netexec}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: netexec
    image: $NETREACH_AGNHOST_IMAGE
    imagePullPolicy: IfNotPresent
    args: ["netexec", "--http-port=8080", "--udp-port=8081"]
---
apiVersion: v1
kind: Pod
metadata: {name: agnhost-client, namespace: $NS, labels: {app: agnhost-client}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: agnhost
    image: $NETREACH_AGNHOST_UPSTREAM_IMAGE
    imagePullPolicy: IfNotPresent
EOF
  if ! kubectl -n "$NS" wait --for=condition=Ready pod/netexec pod/agnhost-client --timeout=60s >/dev/null; then
    fail "agnhost pods Ready"
    return
  fi
  local ip out
  ip=$(kubectl -n "$NS" get pod netexec -o jsonpath='{.status.podIP}')
  out=$(_connect tcp "$ip:8080")
  case $out in "rc=0 ") pass "agnhost connect tcp $ip:8080: allowed (exit 0)" ;; *) fail "agnhost connect tcp $ip:8080: '$out'" ;; esac
  out=$(_connect udp "$ip:8081")
  case $out in "rc=0 ") pass "agnhost connect udp $ip:8081: allowed (exit 0)" ;; *) fail "agnhost connect udp $ip:8081: '$out'" ;; esac
  out=$(_connect udp "$ip:8082")
  case $out in REFUSED:*rc=1*) pass "agnhost connect udp $ip:8082 (no listener): $out" ;; *) fail "agnhost connect udp $ip:8082: '$out'" ;; esac
}

# The IPv6 half: pod to pod, to the node and to the outside host over IPv6, and an IPv6 ipBlock except.
smoke_ipv6() {
  [ "${NETREACH_IP_FAMILY:-ipv4}" = dual ] || { say "IPv6: skipped (cluster is ${NETREACH_IP_FAMILY:-ipv4}; scripts/cluster up --ip-family dual)"; return 0; }
  local server6 node6 meta6 inet6
  server6=$(kubectl -n "$NS" get pod server -o jsonpath='{.status.podIPs[1].ip}')
  node6=$NETREACH_NODE_IP6
  read -r meta6 inet6 _ <<<"$NETREACH_OUTSIDE_ADDRS6"
  say "IPv6: server pod $server6, node $node6, outside: $NETREACH_OUTSIDE_ADDRS6"
  case $server6 in *:*) pass "server pod has an IPv6 address $server6" ;; *) fail "server pod has no IPv6 address ('$server6')"; return ;; esac
  expect_ok "IPv6 pod to pod" "http://[$server6]:$POD_PORT/" "pod server"
  expect_ok "IPv6 pod to hostNetwork server on the node" "http://[$node6]:$HOST_PORT/" "host server"
  expect_ok "IPv6 pod to outside (metadata)" "http://[$meta6]/" "outside metadata"
  expect_ok "IPv6 pod to outside (internet)" "http://[$inet6]/" "outside internet"
  # kube-router v2.1.0 polices IPv6 only when asked (lib/ipv6.sh: its IPv6 mode is broken upstream).
  if [ "$(id -u)" = 0 ] && ! ip6tables -S KUBE-ROUTER-FORWARD >/dev/null 2>&1; then
    say "IPv6 except: not checked: kube-router polices IPv4 only on this cluster (v2.1.0's IPv6 NetworkPolicy is broken:"
    say "  cloudnativelabs/kube-router#1653, #1665; see scripts/README.md, Dual-stack)"
    return 0
  fi
  say "IPv6: egress ::/0 except $meta6/128"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-metadata6, namespace: $NS}
spec:
  podSelector: {matchLabels: {app: probe}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: "::/0", except: ["$meta6/128"]}
    - ipBlock: {cidr: 0.0.0.0/0}
EOF
  eventually blocked "IPv6 except outside address" "http://[$meta6]/" "outside metadata"
  expect_ok "other IPv6 outside address stays open" "http://[$inet6]/" "outside internet"
  expect_ok "IPv6 pod to pod stays open" "http://[$server6]:$POD_PORT/" "pod server"
  expect_ok "IPv4 outside stays open" "http://${NETREACH_OUTSIDE_ADDRS%% *}/" "outside metadata"
  kubectl -n "$NS" delete networkpolicy deny-metadata6 >/dev/null
  eventually open "IPv6 policy deleted" "http://[$meta6]/" "outside metadata"
}

# The IPv6 egress guard: like the IPv4 check in smoke-test, with a netns of our own standing in for "off the machine".
smoke_guard6() {
  [ "${NETREACH_IP_FAMILY:-ipv4}" = dual ] && [ "$(id -u)" = 0 ] || return 0
  ip netns del netreach-guardtest 2>/dev/null; ip link del nr-gt0 2>/dev/null
  ip netns add netreach-guardtest
  ip link add nr-gt0 type veth peer name nr-gt1 netns netreach-guardtest
  ip addr add fd10:252::1/64 dev nr-gt0 nodad && ip link set nr-gt0 up
  ip -n netreach-guardtest addr add fd10:252::2/64 dev nr-gt1 nodad && ip -n netreach-guardtest link set nr-gt1 up
  guard_drops6() { ip6tables -t mangle -L NETREACH-EGRESS-GUARD -v -x -n 2>/dev/null | awk '$3 == "DROP" {print $1}'; }
  local before after out
  before=$(guard_drops6)
  out=$(probe "http://[fd10:252::2]:80/")
  after=$(guard_drops6)
  if [ "${out%% *}" = 28 ] && [ "$after" -gt "$before" ]; then
    pass "IPv6 guard: fd10:252::2 via nr-gt0 dropped (curl exit 28, guard drops $before -> $after)"
  else
    fail "IPv6 guard: fd10:252::2 via nr-gt0 gave '$out', guard drops $before -> $after"
  fi
  ip netns del netreach-guardtest
  ip link del nr-gt0 2>/dev/null
}
