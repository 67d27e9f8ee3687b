# Owns the components: configures, starts (in the background) and waits for etcd, control plane, containerd, kubelet,
# kube-proxy, kube-router (Cilium has lib/cilium.sh).
# shellcheck shell=bash

# Host settings the node needs; the values found before the first `up` are kept so `down` can put them back.
prepare_host() {
  mkdir -p "$NETREACH_STATE" "$NETREACH_RUN" "$CONF_DIR" "$LOG_DIR" "$PID_DIR"
  local saved=$NETREACH_STATE/host-sysctls key
  if [ ! -f "$saved" ]; then
    for key in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv6.conf.all.forwarding; do
      [ -e "/proc/sys/${key//.//}" ] && echo "$key=$(sysctl -n "$key")"
    done >"$saved"
  fi
  # Paths some component writes whatever it is told (kubelet's device-plugins dir and pod log links, the
  # containerd shims' sockets, libcni's cache, the netns mount): those missing now are ours to remove in `down`.
  local p
  for p in $HOST_PATHS_WE_MAY_CREATE; do
    [ -e "$p" ] || grep -qxF "$p" "$NETREACH_STATE/created-paths" 2>/dev/null || echo "$p" >>"$NETREACH_STATE/created-paths"
  done
  [ -e /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null || true
  [ -e /proc/sys/net/bridge ] || die "bridge netfilter (br_netfilter) is not available in this kernel"
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  # The shared /run/netns mount must exist before containerd creates pod network namespaces.
  if [ ! -d /run/netns ] || ! mountpoint -q /run/netns; then
    ip netns add netreach-probe-mount && ip netns del netreach-probe-mount
  fi
}

start_etcd() {
  mkdir -p "$NETREACH_STATE/etcd"
  chmod 700 "$NETREACH_STATE/etcd"
  # --unsafe-no-fsync: a throwaway test cluster does not need durable writes, and CI disks are slow.
  start_bg etcd "$ETCD_BIN_DIR/etcd" --name netreach --data-dir "$NETREACH_STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster netreach=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381 \
    --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
  wait_for "etcd health" 60 curl -fsS --max-time 2 http://127.0.0.1:2379/health || { explain_failure etcd; die "etcd did not start"; }
}

start_apiserver() { # node-ip
  local nip=$1
  # shellcheck disable=SC2046 # pod_security_apiserver_args prints zero or two words
  start_bg kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
    --etcd-servers http://127.0.0.1:2379 \
    --advertise-address "$nip" --bind-address 0.0.0.0 --secure-port 6443 \
    --client-ca-file "$PKI_DIR/ca.crt" \
    --tls-cert-file "$PKI_DIR/apiserver.crt" --tls-private-key-file "$PKI_DIR/apiserver.key" \
    --kubelet-client-certificate "$PKI_DIR/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI_DIR/sa.pub" --service-account-signing-key-file "$PKI_DIR/sa.key" \
    --service-cluster-ip-range "$(service_cidrs)" --service-node-port-range "$NODEPORT_RANGE" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction $(pod_security_apiserver_args) \
    --allow-privileged=true --anonymous-auth=true --profiling=false \
    --endpoint-reconciler-type lease --event-ttl 1h
  wait_for "kube-apiserver readyz" 120 kubectl_ get --raw /readyz || { explain_failure kube-apiserver; die "kube-apiserver did not become ready"; }
}

start_controller_manager() {
  # shellcheck disable=SC2046 # node_cidr_mask_args prints one flag per family
  start_bg kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
    --kubeconfig "$CONF_DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$CONF_DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$CONF_DIR/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr "$(cluster_cidrs)" $(node_cidr_mask_args) \
    --service-cluster-ip-range "$(service_cidrs)" \
    --cluster-signing-cert-file "$PKI_DIR/ca.crt" --cluster-signing-key-file "$PKI_DIR/ca.key" \
    --root-ca-file "$PKI_DIR/ca.crt" --service-account-private-key-file "$PKI_DIR/sa.key" \
    --configure-cloud-routes=false --profiling=false
}

start_scheduler() {
  start_bg kube-scheduler "$K8S_BIN_DIR/kube-scheduler" \
    --kubeconfig "$CONF_DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$CONF_DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig "$CONF_DIR/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false
}

_default_sa_ready() { kubectl_ -n default get serviceaccount default && kubectl_ -n default get configmap kube-root-ca.crt; }

write_cni_config() {
  mkdir -p "$CNI_CONF_DIR" "$CNI_IPAM_DIR"
  cat >"$CNI_CONF_DIR/10-$CNI_NETWORK.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": $(cni_ranges_json),
        "routes": $(cni_routes_json)
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

start_containerd() {
  mkdir -p "$CONTAINERD_ROOT" "$CONTAINERD_STATE"
  cat >"$CONF_DIR/containerd.toml" <<EOF
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"
oom_score = 0

[grpc]
  address = "$CONTAINERD_SOCK"

[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CONTAINERD_ROOT/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$IMAGE_PAUSE"
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$NETREACH_RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$(cni_bin_dir)"
    conf_dir = "$CNI_CONF_DIR"
    max_conf_num = 1
EOF
  start_bg containerd /usr/bin/containerd --config "$CONF_DIR/containerd.toml"
  wait_for "containerd socket" 60 ctr --address "$CONTAINERD_SOCK" version || { explain_failure containerd; die "containerd did not start"; }
}

start_kubelet() { # node-ip
  local nip=$1
  mkdir -p "$KUBELET_ROOT" "$NETREACH_STATE/pod-logs"
  # Pods use the cluster DNS (lib/dns.sh); hostNetwork pods and `dnsPolicy: Default` get no DNS server (the host's
  # resolver is outside): their lookups fail fast.
  echo "nameserver 127.0.0.1" >"$CONF_DIR/pod-resolv.conf"
  cat >"$CONF_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI_DIR/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$PKI_DIR/kubelet-serving.crt"
tlsPrivateKeyFile: "$PKI_DIR/kubelet-serving.key"
address: "$nip"
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
cgroupDriver: cgroupfs
containerRuntimeEndpoint: "unix://$CONTAINERD_SOCK"
failSwapOn: false
failCgroupV1: false
oomScoreAdj: 0
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
evictionPressureTransitionPeriod: 10s
podLogsDir: "$NETREACH_STATE/pod-logs"
resolvConf: "$CONF_DIR/pod-resolv.conf"
clusterDNS: ["$CLUSTER_DNS_IP"]
clusterDomain: "$CLUSTER_DOMAIN"
maxPods: 110
serializeImagePulls: false
registerNode: true
staticPodPath: ""
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
shutdownGracePeriod: 0s
EOF
  start_bg kubelet "$K8S_BIN_DIR/kubelet" --config "$CONF_DIR/kubelet.yaml" \
    --kubeconfig "$CONF_DIR/kubelet.kubeconfig" --root-dir "$KUBELET_ROOT" \
    --hostname-override "$NODE_NAME" --node-ip "$(node_ips "$nip")" --v 1
  wait_for "node $NODE_NAME registered" 120 kubectl_ get node "$NODE_NAME" || { explain_failure kubelet; die "kubelet did not register the node"; }
  wait_for "node pod CIDR" 60 _node_has_pod_cidr || { explain_failure kube-controller-manager; die "the node got no pod CIDR"; }
  local cidr
  cidr=$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.spec.podCIDR}')
  [ "$cidr" = "$POD_CIDR" ] || die "node pod CIDR is $cidr, the CNI config expects $POD_CIDR"
}

cni_bin_dir() { if [ "$(current_enforcer)" = cilium ]; then echo "$CNI_BIN_DIR"; else echo /usr/lib/cni; fi; }

_node_has_pod_cidr() { [ -n "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.spec.podCIDR}')" ]; }

start_kube_proxy() {
  # 0 for the conntrack settings = leave the host's values alone; no localhost NodePorts = no route_localnet change.
  start_bg kube-proxy "$K8S_BIN_DIR/kube-proxy" --kubeconfig "$CONF_DIR/kube-proxy.kubeconfig" \
    --hostname-override "$NODE_NAME" --proxy-mode iptables --cluster-cidr "$(cluster_cidrs)" \
    --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0 \
    --oom-score-adj 0 --iptables-localhost-nodeports=false \
    --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256
  wait_for "kube-proxy healthz" 60 curl -fsS --max-time 2 http://127.0.0.1:10256/healthz || { explain_failure kube-proxy; die "kube-proxy did not become healthy"; }
}

start_kube_router() {
  # Firewall only: kube-router enforces NetworkPolicy; pod networking is the bridge CNI, services are kube-proxy's.
  start_bg kube-router "$KUBE_ROUTER_BIN_DIR/kube-router" --kubeconfig "$CONF_DIR/kube-router.kubeconfig" \
    --hostname-override "$NODE_NAME" --run-firewall=true --run-router=false --run-service-proxy=false \
    --run-loadbalancer=false --enable-cni=false --enable-ipv6="$(kube_router_ipv6)" \
    --service-cluster-ip-range "$(kube_router_service_cidrs)" --service-node-port-range "$NODEPORT_RANGE" \
    --health-port 20244 --metrics-port 0 --iptables-sync-period 1m
  wait_for "kube-router healthz" 60 curl -fsS --max-time 2 http://127.0.0.1:20244/healthz || { explain_failure kube-router; die "kube-router did not become healthy"; }
  wait_for "kube-router netpol chains" 60 iptables -t filter -S KUBE-ROUTER-FORWARD || { explain_failure kube-router; die "kube-router installed no firewall chains"; }
}

_node_ready() {
  [ "$(kubectl_ get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# Node Ready, the enforcer running, and `kubectl exec` through apiserver -> kubelet -> containerd working.
wait_cluster_usable() {
  wait_for "node Ready" 120 _node_ready || { explain_failure kubelet; die "node did not become Ready"; }
  wait_for "default service account" 60 _default_sa_ready || { explain_failure kube-controller-manager; die "no default service account"; }
  kubectl_ apply -f - >/dev/null <<EOF || die "creating the readiness-check namespace failed"
apiVersion: v1
kind: Namespace
metadata: {name: netreach-system}
EOF
  wait_for "netreach-system service account" 60 kubectl_ -n netreach-system get serviceaccount default || die "no service account in netreach-system"
  kubectl_ -n netreach-system delete pod exec-check --ignore-not-found --wait=true >/dev/null 2>&1 || true
  kubectl_ apply -f - >/dev/null <<EOF || die "creating the exec-check pod failed"
apiVersion: v1
kind: Pod
metadata: {name: exec-check, namespace: netreach-system}
spec:
  terminationGracePeriodSeconds: 1
  # Admissible at Pod Security "restricted" (cluster up --pod-security restricted).
  securityContext: {runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: probe
    image: $IMAGE_PROBE
    imagePullPolicy: IfNotPresent
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
  if ! kubectl_ -n netreach-system wait --for=condition=Ready pod/exec-check --timeout=120s >/dev/null; then
    kubectl_ -n netreach-system describe pod exec-check >&2 || true
    explain_failure kubelet
    die "the exec-check pod did not become Ready"
  fi
  local out
  out=$(kubectl_ -n netreach-system exec exec-check -- sh -c 'echo exec-ok; curl --version | head -n1')
  case $out in
    exec-ok*) log "kubectl exec works: $(echo "$out" | tail -n1)" ;;
    *) explain_failure kubelet; die "kubectl exec failed: $out" ;;
  esac
  kubectl_ -n netreach-system delete pod exec-check --wait=false >/dev/null
}
