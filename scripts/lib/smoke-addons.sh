# Smoke checks of the cluster's add-ons, sourced by scripts/smoke-test (uses its NS, probe, pass, fail, expect_ok,
# eventually): cluster DNS and the agnhost image (TCP and UDP).
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
