#!/usr/bin/env bash
# debian:bookworm-slim: `mmdebstrap --variant=minbase bookworm` with merged /usr made as debootstrap makes it
# (no usrmerge package, hence no perl), the slim image's dpkg and apt settings, and slimify.sh; imported with
# the official image's default command. Usage: build.sh IMAGE LABEL=VALUE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image=$1 label=$2
command -v mmdebstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mmdebstrap --quiet --variant=minbase --format=tar \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt="$here/dpkg.cfg" --aptopt="$here/apt.conf" \
  --customize-hook="$here/slimify.sh \"\$1\"" \
  bookworm "$work/rootfs.tar" \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main"
docker import --change 'CMD ["bash"]' --change "LABEL $label" "$work/rootfs.tar" "$image" >/dev/null
