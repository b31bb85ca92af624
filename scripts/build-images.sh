#!/usr/bin/env bash
# Build the base images of the molecule scenarios and the lab with debootstrap + docker import.
# No registry is reachable here, so nothing is pulled: each image is a debootstrapped root
# file system with systemd as PID 1, python3 for Ansible, sudo and sshd for the lab.
#
#   scripts/build-images.sh [debian12] [ubuntu2204] [ubuntu2404]   (default: all three)
#
# Recipes: images/common.conf (packages, masked units) and images/<name>.conf (suite).
# Cache: every image carries a label with the hash of this script and its two recipe files
# and is rebuilt only when one of them changes. Under .cache/images/: the root file system
# tarball of each recipe (a lost image is re-imported in seconds) and debootstrap's .deb
# cache per suite (a recipe change downloads only what is new). Debian 12 must build; an
# Ubuntu image whose archive does not answer is skipped with a message.
#
# Ubuntu: Debian 12 ships no Ubuntu archive keyring package, so Ubuntu roots are bootstrapped
# with --no-check-gpg (packages are not signature-checked). These images are test fixtures
# for this machine only; never use them elsewhere. Mirrors: debootstrap's defaults.
# Containers of these images stop cleanly with --stop-signal SIGRTMIN+3 (docker import
# cannot set STOPSIGNAL on this Docker version).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RECIPES="$ROOT/images"
CACHE="$ROOT/.cache/images"
mkdir -p "$CACHE"

log() { printf '[images] %s\n' "$*"; }

# One build at a time on this machine (several checkouts may share the Docker engine).
exec 9>"$CACHE/.lock"
flock 9

# Debian 12's debootstrap has no script for noble: it is built like gutsy and later.
ensure_suite_script() {
  local suite=$1
  if [ ! -e "/usr/share/debootstrap/scripts/$suite" ] && [ -e /usr/share/debootstrap/scripts/gutsy ]; then
    ln -s gutsy "/usr/share/debootstrap/scripts/$suite"
  fi
}

# debootstrap can leave /proc (and more) of the new root mounted (seen with noble through the gutsy
# script): unmount everything below the root, deepest first, before it is archived or removed.
unmount_below() {
  local dir mnt
  dir=$(realpath "$1")
  awk -v top="$dir/" 'index($2, top) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r mnt; do
    umount "$mnt" || umount -l "$mnt"
  done
}

prepare_root() {
  local dir=$1 unit
  for unit in $MASK; do ln -sf /dev/null "$dir/etc/systemd/system/$unit"; done
  # Each container gets its own machine id and sshd host keys at first boot.
  : >"$dir/etc/machine-id"
  rm -f "$dir/var/lib/dbus/machine-id" "$dir"/etc/ssh/ssh_host_*
  mkdir -p "$dir/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$dir/etc/systemd/system/ssh.service.d/keys.conf"
  echo 'APT::Install-Recommends "false";' >"$dir/etc/apt/apt.conf.d/90-no-recommends"
  # Like an installed Ubuntu: the -updates and -security suites too (jammy's release
  # containerd is 1.5; its -updates has a current one).
  if [ "$FAMILY" = ubuntu ]; then
    local base
    base=$(awk '/^deb /{print $2; exit}' "$dir/etc/apt/sources.list")
    printf 'deb %s %s-updates %s\ndeb %s %s-security %s\n' "$base" "$SUITE" "${COMPONENTS//,/ }" \
      "$base" "$SUITE" "${COMPONENTS//,/ }" >>"$dir/etc/apt/sources.list"
  fi
  chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/tmp/* "$dir"/var/log/*.log
}

build_one() {
  local name=$1 tag="aiplatform/base:$1" hash tarball SUITE FAMILY COMPONENTS PACKAGES MASK
  if [ ! -f "$RECIPES/$name.conf" ]; then
    log "unknown image $name (no $RECIPES/$name.conf)"; return 1
  fi
  # shellcheck source=/dev/null
  . "$RECIPES/common.conf"
  # shellcheck source=/dev/null
  . "$RECIPES/$name.conf"
  hash=$(cat "$0" "$RECIPES/common.conf" "$RECIPES/$name.conf" | sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{ index .Config.Labels "aiplatform.recipe" }}' "$tag" 2>/dev/null)" = "$hash" ]; then
    log "$tag is up to date (recipe $hash)"
    return 0
  fi
  tarball="$CACHE/$name-$hash.tar"
  if [ ! -s "$tarball" ]; then
    local dir opts=(--variant=minbase "--components=$COMPONENTS" "--cache-dir=$CACHE/debs-$SUITE")
    mkdir -p "$CACHE/debs-$SUITE"
    dir=$(mktemp -d "$CACHE/root-$name.XXXX")
    ensure_suite_script "$SUITE"
    if [ "$FAMILY" = ubuntu ]; then opts+=(--no-check-gpg); fi
    log "debootstrap $SUITE into $dir (a few minutes; log: $CACHE/$name.log)"
    if ! debootstrap "${opts[@]}" --include="$(printf '%s' "$PACKAGES" | tr -s ' \n' ,)" "$SUITE" "$dir" >"$CACHE/$name.log" 2>&1; then
      unmount_below "$dir"
      rm -rf "$dir"
      if [ "$FAMILY" = ubuntu ]; then
        log "SKIP $tag: debootstrap of $SUITE failed (archive unreachable?); see $CACHE/$name.log"
        return 0
      fi
      log "FAILED $tag: see $CACHE/$name.log"; tail -n 20 "$CACHE/$name.log" >&2; return 1
    fi
    unmount_below "$dir"
    prepare_root "$dir"
    tar -C "$dir" --exclude='./proc/*' --exclude='./sys/*' -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$dir"
    # Keep only the tarball of the current recipe.
    find "$CACHE" -maxdepth 1 -name "$name-*.tar" ! -name "$(basename "$tarball")" -delete
  fi
  log "importing $tag"
  docker import \
    --change 'CMD ["/sbin/init"]' \
    --change 'ENV container=docker' \
    --change "LABEL aiplatform.recipe=$hash" \
    "$tarball" "$tag" >/dev/null
  log "$tag built (recipe $hash)"
}

command -v debootstrap >/dev/null 2>&1 || {
  log "installing debootstrap from the OS packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(debian12 ubuntu2204 ubuntu2404)
for image in "${images[@]}"; do build_one "$image"; done
