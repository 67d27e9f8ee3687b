# Writes the cluster's certificates (openssl, EC P-256) and the kubeconfigs of every client.
# shellcheck shell=bash

_gen_cert() { # name CN O(or "") subjectAltNames(or "") extendedKeyUsage
  local name=$1 cn=$2 org=$3 sans=$4 eku=$5 subj ext
  subj="/CN=$cn"
  [ -n "$org" ] && subj="/O=$org$subj"
  ext=$PKI_DIR/$name.ext
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -n "$sans" ] && echo "subjectAltName=$sans"
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI_DIR/$name.key" 2>/dev/null
  openssl req -new -key "$PKI_DIR/$name.key" -subj "$subj" -out "$PKI_DIR/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$PKI_DIR/$name.crt" 2>/dev/null || die "signing $name failed"
  rm -f "$PKI_DIR/$name.csr" "$ext"
}

_kubeconfig() { # file cert-name user
  local file=$1 cert=$2 user=$3
  cat >"$file" <<KC
apiVersion: v1
kind: Config
clusters:
- name: netreach
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: $(base64 -w0 "$PKI_DIR/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$PKI_DIR/$cert.crt")
    client-key-data: $(base64 -w0 "$PKI_DIR/$cert.key")
contexts:
- name: netreach
  context: {cluster: netreach, user: $user}
current-context: netreach
KC
  chmod 600 "$file"
}

# write_certs NODE_IP: (re)creates the PKI unless one exists for this node address already.
write_certs() {
  local nip=$1
  mkdir -p "$PKI_DIR" "$CONF_DIR"
  chmod 700 "$PKI_DIR"
  if [ -f "$PKI_DIR/.complete" ] && [ "$(cat "$PKI_DIR/.complete")" = "$nip" ]; then
    log "certificates: reusing $PKI_DIR"
    return 0
  fi
  log "certificates: writing a new CA and component certificates in $PKI_DIR"
  rm -f "$PKI_DIR"/*
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI_DIR/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI_DIR/ca.key" -subj "/CN=netreach-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI_DIR/ca.crt" 2>/dev/null || die "creating the CA failed"
  local sans="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sans="$sans,DNS:localhost,DNS:$NODE_NAME,IP:127.0.0.1,IP:$SERVICE_IP,IP:$nip"
  _gen_cert apiserver kube-apiserver "" "$sans" serverAuth
  _gen_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "" clientAuth
  _gen_cert admin netreach-admin system:masters "" clientAuth
  _gen_cert controller-manager system:kube-controller-manager "" "" clientAuth
  _gen_cert scheduler system:kube-scheduler "" "" clientAuth
  _gen_cert kubelet "system:node:$NODE_NAME" system:nodes "" clientAuth
  _gen_cert kubelet-serving "$NODE_NAME" "" "DNS:$NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$nip" serverAuth
  _gen_cert kube-proxy system:kube-proxy "" "" clientAuth
  # kube-router and Cilium get cluster-admin rights through system:masters: acceptable for a throwaway local cluster.
  _gen_cert kube-router netreach-kube-router system:masters "" clientAuth
  _gen_cert cilium netreach-cilium system:masters "" clientAuth
  # Service-account token signing key pair.
  openssl genrsa -out "$PKI_DIR/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
  _kubeconfig "$KUBECONFIG_ADMIN" admin netreach-admin
  _kubeconfig "$CONF_DIR/controller-manager.kubeconfig" controller-manager system:kube-controller-manager
  _kubeconfig "$CONF_DIR/scheduler.kubeconfig" scheduler system:kube-scheduler
  _kubeconfig "$CONF_DIR/kubelet.kubeconfig" kubelet "system:node:$NODE_NAME"
  _kubeconfig "$CONF_DIR/kube-proxy.kubeconfig" kube-proxy system:kube-proxy
  _kubeconfig "$CONF_DIR/kube-router.kubeconfig" kube-router netreach-kube-router
  _kubeconfig "$CONF_DIR/cilium.kubeconfig" cilium netreach-cilium
  echo "$nip" >"$PKI_DIR/.complete"
}
