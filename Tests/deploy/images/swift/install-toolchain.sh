#!/bin/sh
# Runs inside the stand-in Swift image while it is made, with this machine's toolchain mounted at /toolchain
# and its package mirror at /mirror. The toolchain goes to /usr, where the official image unpacks it; the
# mirror to the path it has here ($MIRROR), with the same `git config --system` url rewrites ($REWRITES, one
# "key value" a line), so `swift package resolve` inside `docker build` needs no network.
set -eu
cp -a /toolchain/. /usr/
chmod -R o+r /usr/lib/swift
mkdir -p "$(dirname "$MIRROR")"
cp -a /mirror "$MIRROR"
printf '%s\n' "$REWRITES" | while read -r key value; do
  [ -z "$key" ] || git config --system --add "$key" "$value"
done
swift --version
