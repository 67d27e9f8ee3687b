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

build_all() {
  mkdir -p "$NETREACH_CACHE"
  build_etcd
  build_kube_router
  build_kubernetes
}
