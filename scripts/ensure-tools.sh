#!/usr/bin/env bash
# The control machine's tools for building an offline bundle (molecule `offline`, make bench):
# skopeo (images), apt-ftparchive from apt-utils (repository index), gpg (signing); and the SSH
# client the lab, molecule `cluster` and the benchmarks connect with. Installed from the OS packages
# when missing. Idempotent; needs root.
set -euo pipefail

missing=()
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v apt-ftparchive >/dev/null 2>&1 || missing+=(apt-utils)
command -v gpg >/dev/null 2>&1 || missing+=(gpg)
{ command -v ssh && command -v ssh-keygen; } >/dev/null 2>&1 || missing+=(openssh-client)
if [ ${#missing[@]} -gt 0 ]; then
  printf '[tools] installing %s from the OS packages\n' "${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
printf '[tools] skopeo %s, apt-ftparchive, gpg, ssh present\n' "$(skopeo --version | awk '{print $3}')"
