#!/usr/bin/env bash
# Installs what building Tidepool needs on a fresh Debian machine. Idempotent: each step
# checks before it acts, so running it twice is cheap.
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }

need_apt=()

# The wasm target: use rustup's when installed; otherwise Debian's second toolchain
# (rustc-web) ships a wasm-capable rustc plus library sources for -Zbuild-std.
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "rustup has wasm32-unknown-unknown"
else
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || need_apt+=(rustc-web cargo-web)
  [ -d /usr/lib/rustlib/src/rust/library ] || need_apt+=(rust-web-src)
  command -v rust-lld >/dev/null 2>&1 || need_apt+=(rust-web-llvm lld-22)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# wasm-opt (npm `binaryen`, pinned: the deployable bytes depend on it), which `tidepool
# build` runs over every program, into the tools directory.
binaryen=132.0.0
tools="${TIDEPOOL_TOOLS:-$(cd "$(dirname "$0")/.." && pwd)/.tools}"
have=$(node -p "require('$tools/node_modules/binaryen/package.json').version" 2>/dev/null || true)
if [ "$have" != "$binaryen" ]; then
  command -v npm >/dev/null || { log "npm is required (for binaryen's wasm-opt)"; exit 1; }
  log "installing binaryen $binaryen (wasm-opt) into $tools"
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || echo '{"name":"tidepool-tools","private":true}' > "$tools/package.json"
  (cd "$tools" && npm install --no-audit --no-fund --silent --save-exact "binaryen@$binaryen")
else
  log "binaryen $binaryen (wasm-opt) in $tools"
fi

log "ok"
