# Installs the Debian packages the local cluster needs (apt-get update once, only when something is missing).
# shellcheck shell=bash

# package:command pairs; a package is installed when its command is missing.
CLUSTER_PACKAGES="containerd:containerd runc:runc containernetworking-plugins:/usr/lib/cni/bridge iptables:iptables
ipset:ipset catatonit:catatonit busybox-static:/bin/busybox curl:curl openssl:openssl conntrack:conntrack
iproute2:ip procps:pkill kmod:modprobe util-linux:setsid ca-certificates:/etc/ssl/certs/ca-certificates.crt"

# Cilium compiles its datapath with clang (LLVM >= 18.1; Debian 12 has 19); bpftool shows what it loaded.
CILIUM_PACKAGES="clang-19:/usr/lib/llvm-19/bin/clang bpftool:bpftool"

ensure_packages() { # [extra package:command pairs]
  local missing="" pair pkg cmd
  for pair in $CLUSTER_PACKAGES "$@"; do
    pkg=${pair%%:*}
    cmd=${pair#*:}
    case $cmd in
      /*) [ -e "$cmd" ] || missing="$missing $pkg" ;;
      *) command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg" ;;
    esac
  done
  # busybox-static (not the dynamic busybox) is what the images copy.
  if [ -x /bin/busybox ] && ldd /bin/busybox >/dev/null 2>&1; then missing="$missing busybox-static"; fi
  [ -n "$missing" ] || return 0
  log "installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null || die "apt-get install$missing failed"
}

ensure_go() {
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH=/usr/local/go/bin:$PATH; fi
  command -v go >/dev/null 2>&1 || die "Go (>= 1.24) is needed to build the pinned binaries; none is on PATH"
}
