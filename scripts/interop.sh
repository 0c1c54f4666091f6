#!/usr/bin/env bash
# A real Stylus client against our node: cargo-stylus 0.10.10 (Offchain Labs' CLI) runs
# `check` and `deploy --no-verify` on the vault program against a fresh `tidepool-node`,
# deploys the same code again, which must find it already activated, and caches the program
# through the node's CacheManager (`cache status`, `cache bid`, a second bid refused).
#
# - cargo-stylus is installed once, into $TIDEPOOL_TOOLS/cargo-stylus-0.10.10 (default
#   <repo>/.tools); it is a large build (wasmer, alloy): 57 minutes measured on 2 cores
#   shared with other builds, so scripts/test.sh runs this only once it is installed (see
#   README, "A real Stylus client").
# - cargo-stylus builds a contract with its own `cargo build --release` and flags, which
#   cannot work with this project's wasm toolchain (Debian's rustc needs -Zbuild-std and
#   our `contract` profile), so it is given the wasm `tidepool build` makes (`--wasm-file`).
#   It still processes, compresses, checks, deploys and activates that wasm itself.
# - The node runs on a free port; cargo-stylus signs with the node's first dev key. It is
#   built here (dev profile) unless $TIDEPOOL_NODE_BIN names one already built.
#
# Usage: scripts/interop.sh [--verbose] [--if-installed]
#   --verbose       cargo-stylus's debug log (what it reads and sends)
#   --if-installed  skip (successfully, saying so) when cargo-stylus is not installed yet
#                   instead of installing it: how scripts/test.sh runs it
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version=0.10.10
tools="${TIDEPOOL_TOOLS:-$root/.tools}"
prefix="$tools/cargo-stylus-$version"
verbose=()
if_installed=false
for arg in "$@"; do
  case "$arg" in
    --verbose) verbose=(--verbose) ;;
    --if-installed) if_installed=true ;;
    *) echo "interop: unknown argument $arg" >&2; exit 2 ;;
  esac
done

log() { printf 'interop: %s\n' "$*" >&2; }

# --- cargo-stylus, once -------------------------------------------------------------------
if [ -x "$prefix/bin/cargo-stylus" ] && "$prefix/bin/cargo-stylus" stylus --version | grep -q " $version\$"; then
  log "cargo-stylus $version already in $prefix"
elif $if_installed; then
  log "skipped: cargo-stylus $version is not in $prefix (scripts/interop.sh installs it once)"
  exit 0
else
  log "installing cargo-stylus $version into $prefix (a long build)"
  started=$(date +%s)
  # The lint wrapper scripts/test.sh sets is for our crates, not for a tool built here.
  env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS -u RUSTFLAGS \
    cargo install --locked --version "$version" cargo-stylus --root "$prefix"
  log "installed in $(( $(date +%s) - started )) s"
fi
export PATH="$prefix/bin:$PATH"

# --- the program ----------------------------------------------------------------------------
wasm=target/wasm/vault.wasm
if [ ! -f "$wasm" ]; then
  bash scripts/setup.sh
  cargo run -q -p tidepool-cli -- build --program vault
fi

# --- the node -------------------------------------------------------------------------------
node_bin="${TIDEPOOL_NODE_BIN:-}"
if [ -z "$node_bin" ]; then
  cargo build -q -p tidepool-node --bin tidepool-node
  node_bin=target/debug/tidepool-node
fi
work="$(mktemp -d)"
node_pid=""
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
"$node_bin" --port 0 > "$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 100); do
  grep -q '^Listening on ' "$work/node.log" && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log" >&2; exit 1; }
  sleep 0.1
done
addr="$(sed -n 's/^Listening on //p' "$work/node.log")"
[ -n "$addr" ] || { log "the node did not start"; cat "$work/node.log" >&2; exit 1; }
url="http://$addr"
key="$(sed -n 's/^(0) \(0x[0-9a-fA-F]\{64\}\)$/\1/p' "$work/node.log" | head -1)"
[ -n "$key" ] || { log "no dev key in the node's banner"; exit 1; }
log "tidepool-node at $url"

# --- the client -----------------------------------------------------------------------------
log "cargo stylus check (new code: codehashVersion must revert, activation simulated)"
cargo stylus check "${verbose[@]}" -e "$url" --wasm-file "$wasm" 2>&1 | tee "$work/check.log"
grep -q 'wasm data fee' "$work/check.log" || { log "check did not simulate the activation"; exit 1; }

deploy() {
  cargo stylus deploy "${verbose[@]}" -e "$url" --wasm-file "$wasm" --no-verify \
    --private-key "$key" 2>&1 | tee "$1"
  grep -q 'deployed code at address' "$1" || { log "no deployment reported"; exit 1; }
}
log "cargo stylus deploy --no-verify (CREATE, then activateProgram)"
deploy "$work/deploy.log"
grep -q 'wasm already activated' "$work/deploy.log" && { log "new code reported active"; exit 1; }

log "cargo stylus deploy again (same code hash: codehashVersion must now answer)"
deploy "$work/redeploy.log"
grep -q 'wasm already activated' "$work/redeploy.log" || { log "not reported active"; exit 1; }

program="$(sed 's/\x1b\[[0-9;]*m//g' "$work/deploy.log" \
  | grep -o 'deployed code at address: *0x[0-9a-fA-F]\{40\}' | grep -o '0x[0-9a-fA-F]\{40\}' | head -1)"
[ -n "$program" ] || { log "no address in the deploy log"; exit 1; }
cache() { cargo stylus cache "$@" "${verbose[@]}" -e "$url" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }
log "cargo stylus cache status, bid 0, status again, bid again (the CacheManager)"
cache status --address "$program" | tee "$work/status.log"
grep -q 'is not yet cached' "$work/status.log" || { log "a new program reported cached"; exit 1; }
cache bid "$program" 0 --private-key "$key" | tee "$work/bid.log"
grep -q 'Successfully cached' "$work/bid.log" || { log "the bid did not cache the program"; exit 1; }
cache status --address "$program" | tee "$work/status.log"
grep -q '"is cached"' "$work/status.log" || { log "the program is not reported cached"; exit 1; }
cache bid "$program" 0 --private-key "$key" | tee "$work/rebid.log" || true
grep -q 'already cached' "$work/rebid.log" || { log "a second bid was not refused"; exit 1; }

log "ok: cargo-stylus $version checked, deployed, activated and cached the vault on tidepool-node"
