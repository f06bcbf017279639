#!/usr/bin/env bash
# Package.versions pins every package of the dependency graph (direct and transitive) to the version the
# tests ran with, for the image: Package.resolved itself cannot be committed here, because its commit ids
# are those of the machine's package mirror, not GitHub's (and it is git-ignored for that reason).
#
#   scripts/package-versions.sh write      Package.resolved (written by `swift build`) -> Package.versions
#   scripts/package-versions.sh resolved   Package.versions -> a Package.resolved for whatever git serves the
#                                          package URLs where it runs (GitHub, or a mirror through git's
#                                          insteadOf), on stdout; the Dockerfile builds with it and
#                                          `--force-resolved-versions`, so the image gets exactly these.
# After changing a dependency: `swift build`, then `scripts/package-versions.sh write`, and commit the result
# (Tests/api/test_compose.py fails while the two disagree).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
write)
  {
    echo "# identity location version: every package the image builds (scripts/package-versions.sh)"
    jq -r '.pins[] | "\(.identity) \(.location) \(.state.version // error("\(.identity) is pinned to no version"))"' \
      Package.resolved | sort
  } > Package.versions
  ;;
resolved)
  printf '{\n  "pins" : ['
  separator=
  while read -r identity location version; do
    case "$identity" in ''|'#'*) continue ;; esac
    revision=
    for tag in "$version" "v$version"; do
      # An annotated tag's commit is its peeled (^{}) entry; a lightweight tag is the commit itself.
      revision=$(git ls-remote --tags "$location" "refs/tags/$tag" "refs/tags/$tag^{}" \
        | sort -k2 | awk 'END { print $1 }')
      [ -z "$revision" ] || break
    done
    [ -n "$revision" ] || { echo "package-versions: $location has no tag $version" >&2; exit 1; }
    printf '%s\n    {\n      "identity" : "%s",\n      "kind" : "remoteSourceControl",\n      "location" : "%s",\n      "state" : {\n        "revision" : "%s",\n        "version" : "%s"\n      }\n    }' \
      "$separator" "$identity" "$location" "$revision" "$version"
    separator=,
  done < Package.versions
  printf '\n  ],\n  "version" : 2\n}\n'
  ;;
*)
  sed -n '2,13s/^# \{0,1\}//p' "$0" >&2
  exit 2
  ;;
esac
