#!/usr/bin/env bash
# Builds the local control plane from the Go module proxy (k8s-control-plane.md §1, §2, §4).
# usage: build-binaries.sh COMPONENT OUT_DIR VERSION [STAGING_VERSION]
#   COMPONENT: k8s | etcd | kwok | kwok-stages
#   kwok-stages copies upstream's stage YAML (reference §4.3) out of the sigs.k8s.io/kwok module
#   (no compiling): node/fast, node/heartbeat-with-lease and pod/fast, flattened as a__b__c.yaml.
# Called by runtime/cluster/ensure-binaries.ts, which verifies the result and writes a stamp.
# Go's own errors go to stderr unchanged so the caller can show them.
# Each component gets its own throwaway main module so MVS cannot move one's dependencies
# through another's replaces (k8s-control-plane.md §1 "Gotchas").
set -euo pipefail
comp=$1; out=$2; ver=$3; stg=${4:-}
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath
work=$(mktemp -d "${TMPDIR:-/tmp}/edgemu-build-$comp.XXXXXX")
# a failed build leaves neither a half-written version dir nor the scratch module behind
trap 'rm -rf "$work" "$out.partial"' EXIT
mkdir -p "$out.partial"
cd "$work"
step() { printf '[build %s] %s\n' "$comp" "$*"; }
case "$comp" in
  k8s)
    go mod init local.invalid/k8s-bins >/dev/null 2>&1
    go mod edit -go=1.26.0 -godebug=default=go1.26
    step "reading the staging module list from k8s.io/kubernetes@$ver"
    gomod=$(go mod download -json "k8s.io/kubernetes@$ver" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    # every `k8s.io/x => ./staging/src/k8s.io/x` replace becomes `k8s.io/x => k8s.io/x@$stg`
    mods=$(grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" | awk '{print $1}' | sort -u)
    [ -n "$mods" ] || { echo "no staging replaces found in $gomod" >&2; exit 1; }
    for m in $mods; do go mod edit -replace="$m=$m@$stg"; done
    step "resolving modules (this downloads several hundred MB the first time)"
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$ver" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$ver" "k8s.io/kubernetes/cmd/kube-scheduler@$ver"
    go mod tidy
    major=$(echo "$ver" | sed -E 's/^v([0-9]+)\..*/\1/'); minor=$(echo "$ver" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')
    d=$(date -u +%FT%TZ); ldf="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldf="$ldf -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitVersion=$ver -X $p.gitTreeState=clean -X $p.buildDate=$d"
    done
    for c in kube-apiserver kube-controller-manager kube-scheduler; do
      step "compiling $c (minutes on 2 cores)"
      go build -ldflags="$ldf" -o "$out.partial/$c" "k8s.io/kubernetes/cmd/$c"
    done
    ;;
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
  *) echo "unknown component $comp" >&2; exit 2 ;;
esac
rm -rf "$out"; mv "$out.partial" "$out"
step "done: $out"
