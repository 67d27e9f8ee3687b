# Owns the build of network-policy-api's ClusterNetworkPolicy conformance tests (behind tools/cnp-conformance) into
# the version-keyed cache, and the base manifests they embed.
# shellcheck shell=bash

# The release Cilium v1.20.2 is built against (its go.mod requires sigs.k8s.io/network-policy-api v0.2.0).
NETWORK_POLICY_API_VERSION=${NETWORK_POLICY_API_VERSION:-v0.2.0}
# Keyed by the release and by netreach's entry point and build steps (a change to either is a new build).
cnp_conformance_bin_dir() { # repo-root
  local key
  key=$(cat "$1/tools/cnp-conformance/conformance_test.go" "$1/scripts/lib/cnp-upstream.sh" | sha256sum | cut -c1-12)
  echo "$NETREACH_CACHE/bin/cnp-conformance-$NETWORK_POLICY_API_VERSION-$key"
}

# Whether this kernel can open SCTP sockets (upstream's base pods serve SCTP with `agnhost porter`).
kernel_has_sctp() { [ -d /proc/sys/net/sctp ]; }

# Upstream's base/manifests.yaml without its SCTP server containers (each `agnhost porter` with SERVE_SCTP_PORT_*):
# on a kernel without SCTP they exit at once, and no pod of the suite would ever be ready.
_without_sctp_servers() { # in out
  awk '
    function flush() { if (buf != "" && buf !~ /SERVE_SCTP_PORT_/) printf "%s", buf; buf = "" }
    { match($0, /^ */); indent = RLENGTH }
    /^        - name: / { flush(); buf = $0 "\n"; next }
    buf != "" && indent > 8 { buf = buf $0 "\n"; next }
    { flush(); print }
    END { flush() }' "$1" >"$2"
  ! grep -q SERVE_SCTP_PORT_ "$2" || die "could not take the SCTP servers out of $1"
}

# The base manifests for a one-node cluster: upstream's hostNetwork StatefulSet (centaur, 2 replicas serving the
# same host ports) as ordinary pods listening on their pod IP, so both replicas run; only the node-peer tests use
# it, and they are skipped there.
_one_node_variant() { # in out
  sed -e '/^      hostNetwork: true$/d' -e 's/fieldPath: status.hostIP$/fieldPath: status.podIP/' "$1" >"$2"
  ! grep -qE 'hostNetwork: true|status.hostIP' "$2" || die "could not make the one-node variant of $1"
}

build_cnp_conformance() { # repo-root
  CNP_CONFORMANCE_BIN_DIR=$(cnp_conformance_bin_dir "$1")
  [ -f "$CNP_CONFORMANCE_BIN_DIR/.complete" ] && return 0
  log "building network-policy-api $NETWORK_POLICY_API_VERSION's conformance tests"
  local work=$NETREACH_CACHE/work/cnp-conformance-$NETWORK_POLICY_API_VERSION src t0=$SECONDS
  _wrapper_module "$work" cnpconformance
  (cd "$work" && go mod edit -require="sigs.k8s.io/network-policy-api@$NETWORK_POLICY_API_VERSION") || die "go mod edit failed"
  src=$(cd "$work" && go mod download -json "sigs.k8s.io/network-policy-api@$NETWORK_POLICY_API_VERSION" |
    sed -n 's/.*"Dir": "\(.*\)",*/\1/p')
  [ -f "$src/conformance/base/manifests.yaml" ] || die "no conformance/base in sigs.k8s.io/network-policy-api@$NETWORK_POLICY_API_VERSION"
  cp -r "$src/conformance/base" "$work/base"
  chmod -R u+w "$work/base"
  mkdir -p "$work/out"
  if kernel_has_sctp; then
    : >"$work/out/no-sctp"
  else
    _without_sctp_servers "$src/conformance/base/manifests.yaml" "$work/base/manifests.yaml"
    echo "built without upstream's SCTP servers: this kernel has no SCTP (CONFIG_IP_SCTP unset)" >"$work/out/no-sctp"
  fi
  _one_node_variant "$work/base/manifests.yaml" "$work/base/manifests-one-node.yaml"
  cp "$1/tools/cnp-conformance/conformance_test.go" "$work/"
  (
    cd "$work"
    CGO_ENABLED=0 go test -c -mod=mod -trimpath -ldflags "-s -w" -o "$work/out/cnp-conformance.test" .
  ) || die "building the ClusterNetworkPolicy conformance tests failed"
  echo "$((SECONDS - t0))" >"$work/out/build-seconds"
  rm -rf "$work/base" "$work/conformance_test.go"
  _install_built "$work/out" "$CNP_CONFORMANCE_BIN_DIR"
  log "built in $((SECONDS - t0)) s: $CNP_CONFORMANCE_BIN_DIR"
}
