# Pinned versions and the cache layout shared by every script of the local cluster.
# shellcheck shell=bash

K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KUBE_ROUTER_VERSION=${KUBE_ROUTER_VERSION:-v2.1.0}
CILIUM_VERSION=${CILIUM_VERSION:-v1.20.2}
# Cilium pins github.com/osrg/gobgp/v4 at a pseudo-version the Go module proxy does not serve; this release is.
CILIUM_GOBGP_VERSION=${CILIUM_GOBGP_VERSION:-v4.7.0}

# Slow builds live outside the clone so a fresh checkout reuses them; each is keyed by its version.
NETREACH_CACHE=${NETREACH_CACHE:-/var/cache/netreach}
export GOMODCACHE=${GOMODCACHE_OVERRIDE:-$NETREACH_CACHE/go/mod}
export GOCACHE=${GOCACHE_OVERRIDE:-$NETREACH_CACHE/go/build}
export GOFLAGS=-buildvcs=false
export GOTOOLCHAIN=local

K8S_BIN_DIR=$NETREACH_CACHE/bin/kubernetes-$K8S_VERSION
ETCD_BIN_DIR=$NETREACH_CACHE/bin/etcd-$ETCD_VERSION
KUBE_ROUTER_BIN_DIR=$NETREACH_CACHE/bin/kube-router-$KUBE_ROUTER_VERSION
CILIUM_BIN_DIR=$NETREACH_CACHE/bin/cilium-$CILIUM_VERSION

K8S_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl"

# Add-ons built from Go modules too (lib/agnhost.sh, lib/dns.sh).
COREDNS_VERSION=${COREDNS_VERSION:-v1.15.0}
# agnhost is built from the Kubernetes module above; its tag is the one that version's e2e framework names
# (test/utils/image/manifest.go), checked at build time.
AGNHOST_TAG=${AGNHOST_TAG:-2.56}
