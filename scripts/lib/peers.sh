# Builds the peers netreach is compared with (scripts/peers): upstream's NetworkPolicy e2e tests and Cyclonus,
# into the version-keyed cache beside the cluster's binaries.
# shellcheck shell=bash

CYCLONUS_VERSION=${CYCLONUS_VERSION:-v0.5.6}
E2E_NETPOL_BIN_DIR=$NETREACH_CACHE/bin/e2e-netpol-$K8S_VERSION
CYCLONUS_BIN_DIR=$NETREACH_CACHE/bin/cyclonus-$CYCLONUS_VERSION

# Upstream's e2e framework and netpol package, behind the small entry point in tools/e2e-netpol (only that
# package's tests; upstream's e2e.test would compile every e2e package and the cloud providers), and Ginkgo's CLI.
build_e2e_netpol() { # repo-root
  [ -f "$E2E_NETPOL_BIN_DIR/.complete" ] && return 0
  log "building the NetworkPolicy e2e tests of Kubernetes $K8S_VERSION"
  local work=$NETREACH_CACHE/work/e2e-netpol-$K8S_VERSION
  kubernetes_wrapper_module "$work" e2enetpol
  cp "$1/tools/e2e-netpol/netpol_test.go" "$work/"
  mkdir -p "$work/out"
  (
    cd "$work"
    CGO_ENABLED=0 go test -c -mod=mod -trimpath -ldflags "-s -w" -o "$work/out/e2e-netpol.test" .
    # Ginkgo's CLI at the version Kubernetes pins, to run the specs on parallel nodes as upstream's CI does.
    CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" -o "$work/out/ginkgo" github.com/onsi/ginkgo/v2/ginkgo
  ) || die "building the e2e NetworkPolicy tests failed"
  rm -f "$work"/netpol_test.go
  _install_built "$work/out" "$E2E_NETPOL_BIN_DIR"
}

build_cyclonus() {
  build_go_main "$CYCLONUS_BIN_DIR" cyclonus "github.com/mattfenwick/cyclonus@$CYCLONUS_VERSION" \
    github.com/mattfenwick/cyclonus/cmd/cyclonus
}
