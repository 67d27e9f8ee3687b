# Smoke checks of the cluster's add-ons, sourced by scripts/smoke-test (uses its NS, say, pass, fail): the agnhost
# image (TCP and UDP).
# shellcheck shell=bash

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
