#!/usr/bin/env bash
# A signed APT repository in the Kubernetes package repository's layout (<root>/v<minor>/deb/, flat,
# Release.key beside InRelease), holding stand-in kubeadm, kubelet, kubectl, cri-tools and
# kubernetes-cni built with dpkg-deb: each installs a script printing its version (kubelet also a
# unit). For tests only (molecule offline): no Kubernetes binaries are reachable in this workplace.
#
#   k8s_standin_repo.sh ROOT VERSION ARCH      e.g. /tmp/k8s-repo 1.31.4 amd64
# Writes ROOT/v<minor>/deb/ and ROOT/key.sha256 (the sha256 of Release.key). Reruns rebuild nothing.
set -euo pipefail
root=$1 version=$2 arch=$3
minor=${version%.*}
repo=$root/v$minor/deb
[ -f "$repo/InRelease" ] && [ -f "$root/key.sha256" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$repo"

standin() {  # name version depends
  local name=$1 ver=$2 depends=$3 dir=$work/$1
  mkdir -p "$dir/DEBIAN" "$dir/usr/bin"
  printf '#!/bin/sh\n# stand-in for %s (tests only)\necho "%s v%s"\n' "$name" "$name" "${ver%%-*}" > "$dir/usr/bin/$name"
  chmod 0755 "$dir/usr/bin/$name"
  {
    echo "Package: $name"
    echo "Version: $ver"
    echo "Architecture: $arch"
    echo "Maintainer: aiplatform.cluster tests <tests@invalid>"
    [ -n "$depends" ] && echo "Depends: $depends"
    echo "Description: stand-in for $name (tests only)"
  } > "$dir/DEBIAN/control"
  if [ "$name" = kubelet ]; then
    mkdir -p "$dir/lib/systemd/system"
    printf '[Unit]\nDescription=stand-in kubelet\n[Service]\nType=oneshot\nExecStart=/usr/bin/kubelet\n[Install]\nWantedBy=multi-user.target\n' \
      > "$dir/lib/systemd/system/kubelet.service"
  fi
  dpkg-deb --root-owner-group -Zgzip --build "$dir" "$repo/${name}_${ver}_${arch}.deb" >/dev/null
}
standin cri-tools "$minor.1-1.1" ""
standin kubernetes-cni "1.5.1-1.1" ""
standin kubectl "$version-1.1" ""
standin kubelet "$version-1.1" "kubernetes-cni"
standin kubeadm "$version-1.1" "cri-tools (>= $minor.0), kubernetes-cni"
# An older patch beside it: the bundle must take the pinned one.
standin kubeadm "$minor.0-1.1" "cri-tools (>= $minor.0), kubernetes-cni"

export GNUPGHOME=$work/gnupg
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'stand-in Kubernetes repository (tests only)' ed25519 sign never 2>/dev/null
gpg --batch --export --armor > "$repo/Release.key"
(cd "$repo" && apt-ftparchive packages . > Packages && apt-ftparchive release . > Release)
gpg --batch --yes --clearsign -o "$repo/InRelease" "$repo/Release"
sha256sum "$repo/Release.key" | cut -d' ' -f1 > "$root/key.sha256"
