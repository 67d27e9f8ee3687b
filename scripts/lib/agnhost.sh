# Owns upstream's e2e test image agnhost: built from the Kubernetes module (test/images/agnhost) into the cache and
# imported into containerd under upstream's name (what e2e and Cyclonus expect) and a localhost/netreach one.
# shellcheck shell=bash

AGNHOST_BIN_DIR=$NETREACH_CACHE/bin/agnhost-$K8S_VERSION
IMAGE_AGNHOST=localhost/netreach/agnhost:$AGNHOST_TAG
IMAGE_AGNHOST_UPSTREAM=registry.k8s.io/e2e-test-images/agnhost:$AGNHOST_TAG
# Other upstream names served by the same image: Cyclonus v0.5.6 pulls agnhost:2.43
# (pkg/connectivity/probe/pod.go) and uses only `connect` and `serve-hostname`, which 2.56 keeps;
# network-policy-api v0.2.0's conformance pods (conformance/base) pull 2.45 and use `connect`, `serve-hostname`,
# `netexec` and `porter`, all in 2.56.
IMAGE_AGNHOST_ALIASES="registry.k8s.io/e2e-test-images/agnhost:2.43 registry.k8s.io/e2e-test-images/agnhost:2.45"

build_agnhost() {
  [ -f "$AGNHOST_BIN_DIR/.complete" ] && return 0
  log "building agnhost $AGNHOST_TAG from k8s.io/kubernetes $K8S_VERSION"
  local work=$NETREACH_CACHE/work/agnhost-$K8S_VERSION src tag
  kubernetes_wrapper_module "$work" agnhostbuild
  src=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')
  # The tag must be the one this Kubernetes version's e2e framework pulls, or upstream tools would not find it.
  tag=$(sed -n 's/.*configs\[Agnhost\] = Config{[^,]*, "agnhost", "\([^"]*\)"}.*/\1/p' "$src/test/utils/image/manifest.go")
  [ "$tag" = "$AGNHOST_TAG" ] || die "k8s.io/kubernetes $K8S_VERSION's e2e framework uses agnhost:$tag, versions.sh says $AGNHOST_TAG"
  mkdir -p "$work/out"
  (
    cd "$work"
    CGO_ENABLED=0 go build -mod=mod -trimpath -ldflags "-s -w" -o "$work/out/agnhost" \
      k8s.io/kubernetes/test/images/agnhost
  ) || die "building agnhost failed"
  # porter serves TLS with the key pair shipped beside its sources; the image carries them like upstream's.
  cp "$src/test/images/agnhost/porter/localhost.crt" "$src/test/images/agnhost/porter/localhost.key" "$work/out/"
  chmod 644 "$work/out/localhost.crt" "$work/out/localhost.key"
  _install_built "$work/out" "$AGNHOST_BIN_DIR"
}

# Upstream's layout (test/images/agnhost/Dockerfile): /agnhost (+ /agnhost-2), /uploads, porter's key pair, user 1000
# and group 50000; busybox stands in for the Alpine base's shell tools.
build_agnhost_image() {
  local work digest
  mkdir -p "$IMAGE_DIR"
  work=$(mktemp -d "$IMAGE_DIR/agnhost.XXXXXX")
  (
    umask 022
    _rootfs_busybox "$work"
    cp "$AGNHOST_BIN_DIR/agnhost" "$work/agnhost"
    ln -s agnhost "$work/agnhost-2"
    cp "$AGNHOST_BIN_DIR/localhost.crt" "$AGNHOST_BIN_DIR/localhost.key" "$work/"
    mkdir -p "$work/uploads"
    # Upstream's Alpine base has bash, and network-policy-api's pods start their servers with `/bin/bash -c`:
    # busybox has no bash applet, so `bash` runs its POSIX shell (enough for `-c "/agnhost ..."`).
    printf '#!/bin/sh\nexec /bin/sh "$@"\n' >"$work/bin/bash"
    chmod 755 "$work/bin/bash"
    echo "user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh" >>"$work/etc/passwd"
    printf 'user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n' >>"$work/etc/group"
  )
  local cfg='{"Env":["PATH='"$_LAYOUT_PATH"'"],"Entrypoint":["/agnhost"],"Cmd":["pause"],"WorkingDir":"/","ExposedPorts":{"80/tcp":{},"8080/tcp":{},"8081/tcp":{},"9376/tcp":{},"5000/tcp":{}}}'
  digest=$(_oci_image "$IMAGE_AGNHOST" "$work" "$cfg")
  _import "$IMAGE_AGNHOST" "$digest"
  local ref
  for ref in $IMAGE_AGNHOST_UPSTREAM $IMAGE_AGNHOST_ALIASES; do
    digest=$(_oci_image "$ref" "$work" "$cfg")
    _import "$ref" "$digest"
  done
  rm -rf "$work"
}
