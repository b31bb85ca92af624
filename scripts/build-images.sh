#!/usr/bin/env bash
# Build the base images of the molecule scenarios and the lab with debootstrap + docker import.
# No registry is reachable here, so nothing is pulled: each image is a debootstrapped root
# file system with systemd as PID 1, python3 for Ansible, sudo and sshd for the lab.
#
#   scripts/build-images.sh [debian12] [ubuntu2204] [ubuntu2404]   (default: all three)
#
# Cache: every image carries the hash of this script as a label and is rebuilt only when the
# script changes; the root file system tarball is kept under .cache/images/ so that a lost
# image is re-imported in seconds. Debian 12 must build; an Ubuntu image whose archive does
# not answer is skipped with a message (debootstrap uses its default Ubuntu mirror).
#
# Ubuntu: Debian 12 ships no Ubuntu archive keyring, so Ubuntu roots are bootstrapped with
# --no-check-gpg. These images exist only for tests on this machine; never use them elsewhere.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE="$ROOT/.cache/images"
RECIPE_HASH=$(sha256sum "$0" | cut -c1-16)
PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,openssh-server,iproute2,procps,ca-certificates,gnupg,curl,cron,kmod,iputils-ping,less
mkdir -p "$CACHE"

log() { printf '[images] %s\n' "$*"; }

suite_of() {
  case "$1" in
    debian12) echo "bookworm debian" ;;
    ubuntu2204) echo "jammy ubuntu" ;;
    ubuntu2404) echo "noble ubuntu" ;;
    *) echo "unknown image $1" >&2; return 1 ;;
  esac
}

# Debian 12's debootstrap has no script for noble: it is built like gutsy and later.
ensure_suite_script() {
  local suite=$1
  if [ ! -e "/usr/share/debootstrap/scripts/$suite" ] && [ -e /usr/share/debootstrap/scripts/gutsy ]; then
    ln -s gutsy "/usr/share/debootstrap/scripts/$suite"
  fi
}

# Units that cannot work in a container (no udev, no consoles, read-only kernel interfaces).
MASK="systemd-udevd.service systemd-udev-trigger.service systemd-udevd-control.socket systemd-udevd-kernel.socket
getty@.service serial-getty@.service console-getty.service getty-static.service systemd-remount-fs.service
sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-fs-fuse-connections.mount
systemd-modules-load.service systemd-firstboot.service systemd-sysctl.service e2scrub_reap.service
apt-daily.timer apt-daily-upgrade.timer motd-news.timer systemd-networkd-wait-online.service"

prepare_root() {
  local dir=$1
  for unit in $MASK; do ln -sf /dev/null "$dir/etc/systemd/system/$unit"; done
  : >"$dir/etc/machine-id"
  rm -f "$dir/var/lib/dbus/machine-id"
  # sshd: host keys are made at first boot (each container its own).
  rm -f "$dir"/etc/ssh/ssh_host_*
  mkdir -p "$dir/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$dir/etc/systemd/system/ssh.service.d/keys.conf"
  echo 'APT::Install-Recommends "false";' >"$dir/etc/apt/apt.conf.d/90-no-recommends"
  chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/tmp/* "$dir"/var/log/*.log
}

build_one() {
  local name=$1 tag="aiplatform/base:$1" suite family tarball
  read -r suite family <<<"$(suite_of "$name")"
  if [ "$(docker image inspect -f '{{ index .Config.Labels "aiplatform.recipe" }}' "$tag" 2>/dev/null)" = "$RECIPE_HASH" ]; then
    log "$tag is up to date ($RECIPE_HASH)"
    return 0
  fi
  tarball="$CACHE/$name-$RECIPE_HASH.tar"
  if [ ! -s "$tarball" ]; then
    local dir opts=()
    dir=$(mktemp -d "$CACHE/root-$name.XXXX")
    ensure_suite_script "$suite"
    if [ "$family" = ubuntu ]; then opts+=(--no-check-gpg --components=main,universe); fi
    log "debootstrap $suite into $dir (a few minutes)"
    if ! debootstrap --variant=minbase "${opts[@]}" --include="$PACKAGES" "$suite" "$dir" >"$CACHE/$name.log" 2>&1; then
      rm -rf "$dir"
      if [ "$family" = ubuntu ]; then
        log "SKIP $tag: debootstrap of $suite failed (archive unreachable?); see $CACHE/$name.log"
        return 0
      fi
      log "FAILED $tag: see $CACHE/$name.log"; tail -n 20 "$CACHE/$name.log" >&2; return 1
    fi
    prepare_root "$dir"
    tar -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$dir"
    rm -f "$CACHE/$name"-*.tar.old
    find "$CACHE" -maxdepth 1 -name "$name-*.tar" ! -name "$(basename "$tarball")" -delete
  fi
  log "importing $tag"
  docker import \
    --change 'CMD ["/sbin/init"]' \
    --change 'ENV container=docker' \
    --change "LABEL aiplatform.recipe=$RECIPE_HASH" \
    "$tarball" "$tag" >/dev/null
  log "$tag built"
}

command -v debootstrap >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(debian12 ubuntu2204 ubuntu2404)
for image in "${images[@]}"; do build_one "$image"; done
