#!/usr/bin/env bash
# Builds the local cluster's components from the Go module proxy (docs/cluster.md "Building the
# binaries"), plus the two images the real node needs and cannot pull (no registry here).
# usage: build-binaries.sh COMPONENT OUT_DIR VERSION [STAGING_VERSION]
#   COMPONENT: k8s | k8s-node | etcd | kwok | kwok-stages | coredns | local-path-provisioner | node-images
#   k8s: kube-apiserver, kube-controller-manager, kube-scheduler; k8s-node: kubelet, kube-proxy
#   (both from k8s.io/kubernetes with its staging modules pinned to STAGING_VERSION).
#   kwok-stages copies upstream's stage YAML out of the sigs.k8s.io/kwok module
#   (no compiling): node/fast, node/heartbeat-with-lease and pod/fast, flattened as a__b__c.yaml.
#   node-images writes two OCI image archives for `ctr images import`: pause.tar (the pod
#   sandbox, a tiny static Go program written here) and busybox.tar (Debian's busybox-static,
#   the shell image of the volume provisioner's helper pods).
# Called by runtime/cluster/ensure-binaries.ts, which verifies the result and writes a stamp.
# Go's own errors go to stderr unchanged so the caller can show them.
# Each component gets its own throwaway main module so MVS cannot move one's dependencies
# through another's replaces (Go modules reference, "Minimal version selection").
set -euo pipefail
comp=$1; out=$2; ver=$3; stg=${4:-}
# the image references node-images writes (runtime/cluster/versions.ts passes them)
PAUSE_IMAGE=${PAUSE_IMAGE:-edgemu.local/pause:$ver}; BUSYBOX_IMAGE=${BUSYBOX_IMAGE:-edgemu.local/busybox:$ver}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath
work=$(mktemp -d "${TMPDIR:-/tmp}/edgemu-build-$comp.XXXXXX")
# a failed build leaves neither a half-written version dir nor the scratch module behind
trap 'rm -rf "$work" "$out.partial"' EXIT
mkdir -p "$out.partial"
cd "$work"
step() { printf '[build %s] %s\n' "$comp" "$*"; }
k8s_tools() {
  # k8s.io/kubernetes replaces its staging modules with ./staging paths; a module outside the
  # repository must pin each of them to the matching v0.X.Y tag instead
  go mod init local.invalid/k8s-bins >/dev/null 2>&1
  go mod edit -go=1.26.0 -godebug=default=go1.26
  step "reading the staging module list from k8s.io/kubernetes@$ver"
  gomod=$(go mod download -json "k8s.io/kubernetes@$ver" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  # every `k8s.io/x => ./staging/src/k8s.io/x` replace becomes `k8s.io/x => k8s.io/x@$stg`
  mods=$(grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" | awk '{print $1}' | sort -u)
  [ -n "$mods" ] || { echo "no staging replaces found in $gomod" >&2; exit 1; }
  for m in $mods; do go mod edit -replace="$m=$m@$stg"; done
  step "resolving modules (this downloads several hundred MB the first time)"
  local tools=() c
  for c in "$@"; do tools+=("k8s.io/kubernetes/cmd/$c@$ver"); done
  go get -tool "${tools[@]}"
  go mod tidy
  major=$(echo "$ver" | sed -E 's/^v([0-9]+)\..*/\1/'); minor=$(echo "$ver" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')
  d=$(date -u +%FT%TZ); ldf="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitVersion=$ver -X $p.gitTreeState=clean -X $p.buildDate=$d"
  done
  for c in "$@"; do
    step "compiling $c (minutes on 2 cores)"
    go build -ldflags="$ldf" -o "$out.partial/$c" "k8s.io/kubernetes/cmd/$c"
  done
}

# go_tool MODULE_PATH PACKAGE BINARY [LDFLAGS]: one main package of a module, as a tool
go_tool() {
  go mod init "local.invalid/$comp-bin" >/dev/null 2>&1
  go mod edit -go=1.26.0
  step "resolving $1@$ver"
  go get -tool "$2@$ver"
  go mod tidy
  step "compiling $3"
  go build -ldflags="-s -w ${4:-}" -o "$out.partial/$3" "$2"
}

# oci_image ROOTFS REF OUT CONFIG_JSON: a one-layer OCI image layout, tarred (what
# `ctr images import` reads; the ref goes in the io.containerd.image.name annotation)
oci_image() {
  local rootfs=$1 ref=$2 dest=$3 cfgbody=$4 d arch ldig lsize cdig csize mdig msize
  d=$(mktemp -d "$work/oci.XXXXXX"); mkdir -p "$d/blobs/sha256"
  arch=$(go env GOARCH)
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$d/layer" .
  ldig=$(sha256sum "$d/layer" | cut -d' ' -f1); lsize=$(stat -c %s "$d/layer"); mv "$d/layer" "$d/blobs/sha256/$ldig"
  printf '{"architecture":"%s","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$arch" "$cfgbody" "$ldig" >"$d/cfg"
  cdig=$(sha256sum "$d/cfg" | cut -d' ' -f1); csize=$(stat -c %s "$d/cfg"); mv "$d/cfg" "$d/blobs/sha256/$cdig"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cdig" "$csize" "$ldig" "$lsize" >"$d/man"
  mdig=$(sha256sum "$d/man" | cut -d' ' -f1); msize=$(stat -c %s "$d/man"); mv "$d/man" "$d/blobs/sha256/$mdig"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$mdig" "$msize" "$arch" "$ref" "${ref##*:}" >"$d/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$d" -cf "$dest" oci-layout index.json blobs
}

case "$comp" in
  k8s) k8s_tools kube-apiserver kube-controller-manager kube-scheduler ;;
  k8s-node) k8s_tools kubelet kube-proxy ;;
  etcd)
    go mod init local.invalid/etcd-bin >/dev/null 2>&1
    go mod edit -go=1.26.0
    step "resolving go.etcd.io/etcd/server/v3@$ver"
    go get -tool "go.etcd.io/etcd/server/v3@$ver"
    go mod tidy
    step "compiling etcd"
    go build -ldflags='-s -w' -o "$out.partial/etcd" go.etcd.io/etcd/server/v3
    ;;
  kwok)
    go mod init local.invalid/kwok-bin >/dev/null 2>&1
    go mod edit -go=1.26.0
    step "resolving sigs.k8s.io/kwok@$ver"
    go get -tool "sigs.k8s.io/kwok/cmd/kwok@$ver"
    go mod tidy
    step "compiling kwok"
    go build -ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$ver" -o "$out.partial/kwok" sigs.k8s.io/kwok/cmd/kwok
    ;;
  kwok-stages)
    step "downloading sigs.k8s.io/kwok@$ver (stage files only)"
    dir=$(go mod download -json "sigs.k8s.io/kwok@$ver" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [ -n "$dir" ] && [ -d "$dir/kustomize/stage" ] || { echo "sigs.k8s.io/kwok@$ver has no kustomize/stage directory" >&2; exit 1; }
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      cp "$dir/kustomize/stage/$f" "$out.partial/${f//\//__}"
    done
    chmod -R u+w "$out.partial"
    ;;
  coredns) go_tool github.com/coredns/coredns github.com/coredns/coredns coredns ;;
  local-path-provisioner)
    go_tool github.com/rancher/local-path-provisioner github.com/rancher/local-path-provisioner local-path-provisioner "-X main.VERSION=$ver"
    ;;
  node-images)
    [ -x /bin/busybox ] || { echo "/bin/busybox is missing: install Debian's busybox-static (apt-get install busybox-static)" >&2; exit 1; }
    file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' \
      || { echo "/bin/busybox is not statically linked: install Debian's busybox-static (apt-get install busybox-static)" >&2; exit 1; }
    step "compiling the pause program (the pod sandbox process)"
    go mod init local.invalid/pause >/dev/null 2>&1
    go mod edit -go=1.26.0
    cat >pause.go <<'GO'
// pause: the process that holds a pod's namespaces. It waits for SIGINT/SIGTERM and, as PID 1
// of a pod that shares its PID namespace, reaps orphaned children.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
GO
    mkdir -p rootfs-pause rootfs-busybox/bin rootfs-busybox/tmp rootfs-busybox/etc
    go build -ldflags='-s -w' -o rootfs-pause/pause .
    step "writing the OCI archives $PAUSE_IMAGE and $BUSYBOX_IMAGE"
    oci_image rootfs-pause "$PAUSE_IMAGE" "$out.partial/pause.tar" '{"Entrypoint":["/pause"]}'
    cp /bin/busybox rootfs-busybox/bin/busybox
    for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "rootfs-busybox/bin/$a"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >rootfs-busybox/etc/passwd
    printf 'root:x:0:\nnobody:x:65534:\n' >rootfs-busybox/etc/group
    chmod 1777 rootfs-busybox/tmp
    oci_image rootfs-busybox "$BUSYBOX_IMAGE" "$out.partial/busybox.tar" '{"Env":["PATH=/bin"],"Cmd":["sh"]}'
    ;;
  *) echo "unknown component $comp" >&2; exit 2 ;;
esac
rm -rf "$out"; mv "$out.partial" "$out"
step "done: $out"
