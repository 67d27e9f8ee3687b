# Builds the local OCI images (pause, probe, server) as hand-made image-layout tars and imports them into containerd.
# shellcheck shell=bash

IMAGE_DIR=$NETREACH_STATE/images
_LAYOUT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

_sha256() { sha256sum "$1" | cut -d' ' -f1; }
_size() { stat -c %s "$1"; }

# A skeleton root with busybox-static and a link for each of its applets (sh, sleep, httpd, printf, mkdir, ...).
_rootfs_busybox() { # dir
  local dir=$1 applet
  mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/root" "$dir/run" "$dir/var"
  chmod 1777 "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

# Copies a dynamic executable and every library ldd lists (plus the loader) to the same paths under dir.
_copy_with_libs() { # dir binary
  local dir=$1 bin=$2 lib
  mkdir -p "$dir$(dirname "$bin")"
  cp -L "$bin" "$dir$bin"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
}

# _oci_image ref rootfs config-json-fragment -> writes $IMAGE_DIR/<name>.tar, prints the manifest digest.
_oci_image() {
  local ref=$1 rootfs=$2 cfg=$3 name out layout layer_digest layer_size cfg_digest cfg_size man_digest man_size
  name=$(echo "$ref" | tr '/:' '__')
  out=$IMAGE_DIR/$name
  layout=$out.layout
  rm -rf "$layout" && mkdir -p "$layout/blobs/sha256"
  # Deterministic layer: sorted names, fixed times and owners, no pax time headers.
  tar -C "$rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -cf "$layout/layer.tar" .
  layer_digest=$(_sha256 "$layout/layer.tar")
  layer_size=$(_size "$layout/layer.tar")
  mv "$layout/layer.tar" "$layout/blobs/sha256/$layer_digest"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$cfg" "$layer_digest" >"$layout/config.json"
  cfg_digest=$(_sha256 "$layout/config.json")
  cfg_size=$(_size "$layout/config.json")
  mv "$layout/config.json" "$layout/blobs/sha256/$cfg_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cfg_digest" "$cfg_size" "$layer_digest" "$layer_size" >"$layout/manifest.json"
  man_digest=$(_sha256 "$layout/manifest.json")
  man_size=$(_size "$layout/manifest.json")
  mv "$layout/manifest.json" "$layout/blobs/sha256/$man_digest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$man_digest" "$man_size" "$ref" "${ref##*:}" >"$layout/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  tar -C "$layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -cf "$out.tar" .
  rm -rf "$layout"
  echo "sha256:$man_digest"
}

# _import ref digest: imports $IMAGE_DIR/<name>.tar unless containerd already holds ref at that digest.
_import() {
  local ref=$1 digest=$2 name have
  name=$(echo "$ref" | tr '/:' '__')
  have=$(ctr_ images ls "name==$ref" 2>/dev/null | awk 'NR > 1 {print $3}')
  if [ "$have" = "$digest" ]; then
    log "image $ref: already imported ($digest)"
    return 0
  fi
  ctr_ images import --platform linux/amd64 "$IMAGE_DIR/$name.tar" >/dev/null || die "importing $ref failed"
  log "image $ref: imported ($digest)"
}

build_images() {
  local work digest
  mkdir -p "$IMAGE_DIR"
  work=$(mktemp -d "$IMAGE_DIR/build.XXXXXX")
  (
    umask 022
    mkdir -p "$work/pause" "$work/probe" "$work/server"
    # pause: Debian's static catatonit in pause mode.
    cp /usr/bin/catatonit "$work/pause/pause"
    # probe: busybox + curl and the libraries it links.
    _rootfs_busybox "$work/probe"
    _copy_with_libs "$work/probe" /usr/bin/curl
    # server: busybox (httpd); the harness gives its own command, the default one serves $BODY on $PORT.
    _rootfs_busybox "$work/server"
  )
  digest=$(_oci_image "$IMAGE_PAUSE" "$work/pause" '{"Entrypoint":["/pause","-P"]}')
  IMAGE_PAUSE_DIGEST=$digest
  _import "$IMAGE_PAUSE" "$digest"
  digest=$(_oci_image "$IMAGE_PROBE" "$work/probe" \
    '{"Env":["PATH='"$_LAYOUT_PATH"'"],"Cmd":["sh","-c","trap \"exit 0\" TERM INT; while :; do sleep 3600 & wait $!; done"],"WorkingDir":"/"}')
  _import "$IMAGE_PROBE" "$digest"
  # shellcheck disable=SC2016
  digest=$(_oci_image "$IMAGE_SERVER" "$work/server" \
    '{"Env":["PATH='"$_LAYOUT_PATH"'","BODY=netreach server","PORT=8080"],"Cmd":["sh","-c","mkdir -p /www && printf \"%s\\n\" \"$BODY\" > /www/index.html && exec httpd -f -p \"$PORT\" -h /www"],"WorkingDir":"/"}')
  _import "$IMAGE_SERVER" "$digest"
  rm -rf "$work"
}
