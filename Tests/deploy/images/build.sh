#!/usr/bin/env bash
# Makes the base images that Dockerfile and docker-compose.yml name, under those names, on a machine that
# reaches no image registry (README.md in this folder says why and what each reproduces).
#
#   Tests/deploy/images/build.sh          build what is missing or out of date, print one line per image
#
# Each stand-in carries the label org.clientele.stand-in=<key>, the key being a digest of its recipe (and of
# what it copies from this machine). An image whose key matches is kept, so the slow one (Swift, 3.3 GB) is
# built once per machine and toolchain. An image of that name WITHOUT the label is a real one (pulled on a
# machine that reaches a registry): it is left alone and used as it is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
label=org.clientele.stand-in
toolchain=${SWIFT_TOOLCHAIN:-/opt/swift}
mirror=${SWIFT_PACKAGE_MIRROR:-/opt/swift-packages}

say() { printf 'images: %s\n' "$*"; }
digest() { sha256sum | cut -c1-16; }
recipe_key() { (cd "$here" && tar -c --sort=name --mtime=@0 --owner=0 --group=0 "$@" | digest); }
current_key() { docker image inspect -f "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true; }
# Runs a command with its output kept aside, shown only when it fails.
quietly() {
  local log status=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  [ "$status" = 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}

# True when $1 must be (re)built for key $2; false for an up-to-date stand-in or a real image. Remembers the
# image being replaced (replaced_id) and starts the clock (started).
needs_build() {
  local image=$1 key=$2 have
  started=$SECONDS
  replaced_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  [ -n "$replaced_id" ] || return 0
  have=$(current_key "$image")
  if [ -z "$have" ] || [ "$have" = "<no value>" ]; then
    say "$image: a real image (no $label label), used as it is"
    return 1
  fi
  if [ "$have" = "$key" ]; then
    say "$image: up to date ($key)"
    return 1
  fi
  return 0
}

# After a rebuild: drop the image it replaced (a stale Swift stand-in holds 4 GB) and say how long it took.
built() {
  local image=$1 id
  id=$(docker image inspect -f '{{.Id}}' "$image")
  if [ -n "$replaced_id" ] && [ "$replaced_id" != "$id" ]; then docker image rm "$replaced_id" >/dev/null 2>&1 || true; fi
  say "$image: built in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=si)B)"
}

# --- debian:bookworm-slim: mmdebstrap's minbase with the slim image's dpkg and apt settings ---------------
debian_image=debian:bookworm-slim
debian_key=$(recipe_key debian)
if needs_build "$debian_image" "$debian_key"; then
  say "$debian_image: mmdebstrap --variant=minbase bookworm"
  quietly "$here/debian/build.sh" "$debian_image" "$label=$debian_key"
  built "$debian_image"
fi
debian_id=$(docker image inspect -f '{{.Id}}' "$debian_image")

# --- postgres:15, axllent/mailpit, edoburu/pgbouncer: Dockerfiles on the slim base -----------------------
# Built in the background while the Swift image is made (apt downloads against a disk copy: both go faster).
build_services() {
  local spec folder image key
  for spec in postgres:postgres:15 mailpit:axllent/mailpit:latest pgbouncer:edoburu/pgbouncer:latest; do
    folder=${spec%%:*}
    image=${spec#*:}
    key=$( { recipe_key "$folder"; echo "$debian_id"; } | digest)
    if needs_build "$image" "$key"; then
      say "$image: docker build $folder/"
      quietly docker build --label "$label=$key" -t "$image" "$here/$folder"
      built "$image"
    fi
  done
}
build_services &
services_pid=$!

# --- the Swift build image: the official image's packages, this machine's toolchain and package mirror ---
# Its tag is the Dockerfile's default SWIFT_IMAGE, which must name the toolchain we build and test with.
swift_image=$(sed -n 's/^ARG SWIFT_IMAGE=//p' "$root/Dockerfile")
toolchain_version=$("$toolchain/usr/bin/swift" --version 2>/dev/null | sed -n 's/^Swift version \([0-9.]*\).*/\1/p' | head -1)
case "$swift_image" in
  swift:"$toolchain_version"-bookworm) ;;
  *) echo "images: the Dockerfile's SWIFT_IMAGE is $swift_image but $toolchain carries Swift $toolchain_version;" \
          "make them agree (the image must build with the toolchain the tests use)" >&2; exit 1 ;;
esac
mirror_state=$(find "$mirror" -maxdepth 3 \( -name packed-refs -o -path '*/refs/tags' \) -printf '%p %s %T@\n' 2>/dev/null \
  | sort | digest)
swift_key=$( { recipe_key swift; echo "$debian_id $toolchain_version $mirror_state"; git config --system --get-regexp '^url\.' || true; } | digest)
if needs_build "$swift_image" "$swift_key"; then
  say "$swift_image: packages of the official image, then $toolchain (Swift $toolchain_version) and $mirror"
  quietly docker build -t clientele-standin/swift-packages "$here/swift"
  name=clientele-standin-swift-$$
  docker rm -f "$name" >/dev/null 2>&1 || true
  # One copy of the toolchain, straight from this machine's disk (a build context would copy 3.3 GB twice).
  quietly docker run --name "$name" --network none \
    -v "$toolchain/usr:/toolchain:ro" -v "$mirror:/mirror:ro" -v "$here/swift/install-toolchain.sh:/install:ro" \
    -e REWRITES="$(git config --system --get-regexp '^url\.' || true)" -e MIRROR="$mirror" \
    clientele-standin/swift-packages /install
  docker commit --change 'CMD ["bash"]' --change "LABEL $label=$swift_key" "$name" "$swift_image" >/dev/null
  docker rm "$name" >/dev/null
  docker image rm clientele-standin/swift-packages >/dev/null 2>&1 || true
  built "$swift_image"
fi


wait "$services_pid" || { echo "images: building postgres, mailpit or pgbouncer failed" >&2; exit 1; }
