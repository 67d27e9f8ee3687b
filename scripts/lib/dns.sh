# Owns cluster DNS: CoreDNS built from its Go module with only the plugins below, its image, and its kube-system
# Deployment behind the `kube-dns` Service. No `forward` plugin: names outside the cluster domain get SERVFAIL and
# no query ever leaves the machine.
# shellcheck shell=bash

COREDNS_BIN_DIR=$NETREACH_CACHE/bin/coredns-$COREDNS_VERSION
# In CoreDNS's own execution order (its plugin.cfg); nothing that talks to anything but the API server.
COREDNS_PLUGINS="ready health errors cache kubernetes"
IMAGE_COREDNS=localhost/netreach/coredns:$COREDNS_VERSION
CLUSTER_DOMAIN=cluster.local
# The conventional `.10` of the service CIDR.
CLUSTER_DNS_IP=10.96.0.10

build_coredns() {
  [ -f "$COREDNS_BIN_DIR/.complete" ] && return 0
  log "building CoreDNS $COREDNS_VERSION (plugins: $COREDNS_PLUGINS)"
  local work=$NETREACH_CACHE/work/coredns-$COREDNS_VERSION p
  _wrapper_module "$work" corednsbuild
  # CoreDNS's own main imports every plugin; this one imports and orders only ours.
  {
    printf 'package main\n\nimport (\n\t"github.com/coredns/coredns/core/dnsserver"\n\t"github.com/coredns/coredns/coremain"\n'
    for p in $COREDNS_PLUGINS; do printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "$p"; done
    printf ')\n\nfunc init() {\n\tdnsserver.Directives = []string{'
    for p in $COREDNS_PLUGINS; do printf '"%s", ' "$p"; done
    printf '}\n}\n\nfunc main() { coremain.Run() }\n'
  } >"$work/main.go"
  (
    cd "$work"
    go mod edit -require="github.com/coredns/coredns@$COREDNS_VERSION"
    CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" -o "$work/out/coredns" .
  ) || die "building CoreDNS failed"
  _install_built "$work/out" "$COREDNS_BIN_DIR"
}

build_coredns_image() {
  local work digest
  mkdir -p "$IMAGE_DIR"
  work=$(mktemp -d "$IMAGE_DIR/coredns.XXXXXX")
  (
    umask 022
    mkdir -p "$work/etc/coredns" "$work/tmp"
    chmod 1777 "$work/tmp"
    cp "$COREDNS_BIN_DIR/coredns" "$work/coredns"
  )
  digest=$(_oci_image "$IMAGE_COREDNS" "$work" '{"Entrypoint":["/coredns"],"Cmd":["-conf","/etc/coredns/Corefile"],"WorkingDir":"/","User":"65532:65532"}')
  _import "$IMAGE_COREDNS" "$digest"
  rm -rf "$work"
}

# The Corefile: the kubernetes plugin answers the cluster domain and reverse zones; anything else has no next
# plugin, so CoreDNS answers SERVFAIL itself.
_corefile() {
  cat <<EOF
.:53 {
    errors
    health {
        lameduck 2s
    }
    ready
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        pods insecure
        ttl 30
    }
    cache 30
}
EOF
}

deploy_cluster_dns() {
  local corefile
  corefile=$(_corefile | sed 's/^/    /')
  kubectl_ apply -f - >/dev/null <<EOF || die "deploying CoreDNS failed"
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns", labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects:
- {kind: ServiceAccount, name: coredns, namespace: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
$corefile
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      terminationGracePeriodSeconds: 5
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
        # Port 53 without root or capabilities (a namespaced, "safe" sysctl).
        sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "53"}]
      containers:
      - name: coredns
        image: $IMAGE_COREDNS
        imagePullPolicy: IfNotPresent
        args: ["-conf", "/etc/coredns/Corefile"]
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
          periodSeconds: 2
        livenessProbe:
          httpGet: {path: /health, port: 8080}
          initialDelaySeconds: 10
        resources:
          limits: {memory: 170Mi}
          requests: {cpu: 50m, memory: 40Mi}
        volumeMounts:
        - {name: config, mountPath: /etc/coredns, readOnly: true}
      volumes:
      - name: config
        configMap: {name: coredns}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS, kubernetes.io/cluster-service: "true"}
spec:
  selector: {k8s-app: kube-dns}
  clusterIP: $CLUSTER_DNS_IP
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
EOF
  kubectl_ -n kube-system rollout status deployment/coredns --timeout=120s >/dev/null || {
    kubectl_ -n kube-system get pods -l k8s-app=kube-dns -o wide >&2
    kubectl_ -n kube-system logs -l k8s-app=kube-dns --tail 20 >&2 || true
    die "CoreDNS did not become ready"
  }
  log "cluster DNS: kube-system/kube-dns at $CLUSTER_DNS_IP (CoreDNS $COREDNS_VERSION, no upstream forwarding)"
}
