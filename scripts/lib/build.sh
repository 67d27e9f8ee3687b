# Builds the pinned upstream binaries from Go modules into the version-keyed cache (reused when present).
# shellcheck shell=bash

# A wrapper module: upstream main modules with `replace` directives cannot be `go install`ed directly, so a
# throwaway module requires them and builds their packages instead.
_wrapper_module() { # dir module-path
  local dir=$1
  rm -rf "$dir" && mkdir -p "$dir"
  printf 'module netreach.local/%s\n\ngo 1.24\n' "$2" >"$dir/go.mod"
}

_install_built() { # staging-dir final-dir
  touch "$1/.complete"
  rm -rf "$2"
  mkdir -p "$(dirname "$2")"
  mv "$1" "$2"
}

# A wrapper module requiring k8s.io/kubernetes at K8S_VERSION: its go.mod replaces each staging module
# `k8s.io/x => ./staging/src/k8s.io/x`, published as k8s.io/x v0.<minor>.<patch>, so the wrapper does the same.
kubernetes_wrapper_module() { # dir module-path
  local work=$1
  _wrapper_module "$work" "$2"
  local gomod
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes@$K8S_VERSION"
  local staging=v0.${K8S_VERSION#v1.}
  {
    printf 'require k8s.io/kubernetes %s\n' "$K8S_VERSION"
    awk '/=> \.\/staging\// { print "replace " $1 " => " $1 " '"$staging"'" }' "$gomod"
  } >>"$work/go.mod"
}

build_kubernetes() {
  [ -f "$K8S_BIN_DIR/.complete" ] && return 0
  log "building Kubernetes $K8S_VERSION (cold: tens of minutes on 2 cores)"
  local work=$NETREACH_CACHE/work/kubernetes-$K8S_VERSION
  kubernetes_wrapper_module "$work" k8sbuild
  local pkg=k8s.io/component-base/version cpkg=k8s.io/client-go/pkg/version minor
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  local ldflags="-s -w"
  for p in $pkg $cpkg; do
    ldflags="$ldflags -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags="$ldflags -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  local out=$work/out
  mkdir -p "$out"
  (
    cd "$work"
    local targets=""
    for c in $K8S_COMPONENTS; do targets="$targets k8s.io/kubernetes/cmd/$c"; done
    # shellcheck disable=SC2086
    CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "$ldflags" -o "$out/" $targets
  ) || die "building Kubernetes failed"
  _install_built "$out" "$K8S_BIN_DIR"
}

# One main package of a Go module that go install cannot take as is, built in a wrapper module into bin-dir.
build_go_main() { # bin-dir name module@version package
  [ -f "$1/.complete" ] && return 0
  log "building $2 (${3#*@})"
  local work=$NETREACH_CACHE/work/$(basename "$1")
  _wrapper_module "$work" "${2}build"
  (
    cd "$work"
    go mod edit -require="$3"
    CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" -o "$work/out/$2" "$4"
  ) || die "building $2 failed"
  _install_built "$work/out" "$1"
}

build_etcd() {
  build_go_main "$ETCD_BIN_DIR" etcd "go.etcd.io/etcd/server/v3@$ETCD_VERSION" go.etcd.io/etcd/server/v3
}

build_kube_router() {
  build_go_main "$KUBE_ROUTER_BIN_DIR" kube-router "github.com/cloudnativelabs/kube-router/v2@$KUBE_ROUTER_VERSION" \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
}

# Cilium's agent, operator (generic IPAM flavour), CNI plugin and debug CLI, plus the datapath C sources (bpf/)
# the agent compiles with clang at run time. Each binary is built (and timed) on its own.
build_cilium() {
  [ -f "$CILIUM_BIN_DIR/.complete" ] && return 0
  log "building Cilium $CILIUM_VERSION (cold: tens of minutes on 2 cores)"
  local work=$NETREACH_CACHE/work/cilium-$CILIUM_VERSION mod=github.com/cilium/cilium
  _wrapper_module "$work" ciliumbuild
  local gomod
  gomod=$(cd "$work" && go mod download -json "$mod@$CILIUM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
  [ -f "$gomod" ] || die "could not download $mod@$CILIUM_VERSION"
  {
    printf 'require %s %s\n' "$mod" "$CILIUM_VERSION"
    grep '^replace ' "$gomod"
    printf 'replace github.com/osrg/gobgp/v4 => github.com/osrg/gobgp/v4 %s\n' "$CILIUM_GOBGP_VERSION"
    printf 'replace sigs.k8s.io/mcs-api/controllers => ./mcs-api-controllers\n'
  } >>"$work/go.mod"
  # The proxy serves no version of sigs.k8s.io/mcs-api/controllers (its own module inside mcs-api). The operator
  # uses one string constant of it (multi-cluster services, unused here): a local module provides just that.
  mkdir -p "$work/mcs-api-controllers"
  printf 'module sigs.k8s.io/mcs-api/controllers\n\ngo 1.24\n' >"$work/mcs-api-controllers/go.mod"
  cat >"$work/mcs-api-controllers/controllers.go" <<'EOF'
// Package controllers stands in for sigs.k8s.io/mcs-api/controllers, which the Go module proxy does not serve.
package controllers

// DerivedServiceAnnotation names, on a ServiceImport, the Service derived from it (the MCS API's annotation key).
const DerivedServiceAnnotation = "multicluster.kubernetes.io/derived-service"
EOF
  local ldflags="-s -w -X '$mod/pkg/version.ciliumVersion=${CILIUM_VERSION#v} netreach-build'"
  local out=$work/out bin pkg tags t0
  mkdir -p "$out"
  for bin in cilium-agent:daemon cilium-operator-generic:operator cilium-cni:plugins/cilium-cni cilium-dbg:cilium-dbg; do
    pkg=$mod/${bin#*:}
    bin=${bin%%:*}
    tags=osusergo
    [ "$bin" = cilium-operator-generic ] && tags=osusergo,ipam_provider_operator
    t0=$(date +%s)
    (cd "$work" && CGO_ENABLED=0 go build -mod=mod -trimpath -tags "$tags" -ldflags "$ldflags" -o "$out/$bin" "$pkg") ||
      die "building $bin failed"
    log "built $bin in $(($(date +%s) - t0))s"
  done
  local src
  src=$(cd "$work" && go list -mod=mod -m -f '{{.Dir}}' "$mod")
  cp -r "$src/bpf" "$out/bpf"
  chmod -R u+w "$out/bpf"
  _install_built "$out" "$CILIUM_BIN_DIR"
}

build_all() {
  mkdir -p "$NETREACH_CACHE"
  build_etcd
  build_kube_router
  build_kubernetes
}
