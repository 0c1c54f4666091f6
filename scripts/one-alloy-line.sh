#!/usr/bin/env bash
# Fails if the workspace compiles any alloy crate in two versions (issue 15: one alloy line).
# It reads what cargo would build (`cargo tree --duplicates`), not Cargo.lock: cargo also
# locks optional dependencies named only by a weak feature (`dep?/feature`), so revm's
# database crate puts an alloy-eips 2.x that is never compiled into the lock file.
#
# One pair is known and allowed: alloy-eip7928, a small standalone crate of EIP-7928 types,
# which revm 43 requires at 0.4 and alloy-eips 1.8 (the line stylus-sdk 0.10.10's test crate
# requires) at 0.3. It goes away when either moves.
set -euo pipefail
cd "$(dirname "$0")/.."
allowed='^alloy-eip7928$'
# `name version` of every crate cargo would compile (a crate built for the host and for the
# target with other features is still one version), then the names with two versions.
versions="$(cargo tree --workspace --target all -e normal,build,dev --prefix none \
  --format '{p}' | awk '/^alloy/ {print $1, $2}' | sort -u)"
dups="$(printf '%s\n' "$versions" | awk '{print $1}' | uniq -d)"
bad="$(printf '%s\n' "$dups" | grep -v -E "$allowed" | grep . || true)"
if [ -n "$bad" ]; then
  echo "one-alloy-line: compiled in more than one version:" >&2
  printf '%s\n' "$versions" | grep -E "^($(printf '%s' "$bad" | paste -sd'|')) " >&2
  exit 1
fi
echo "one-alloy-line: $(printf '%s\n' "$versions" | wc -l) alloy crates, each in one version${dups:+, except the allowed $(printf '%s' "$dups" | paste -sd' ')}"
