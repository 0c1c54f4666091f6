#!/usr/bin/env bash
# Acceptance with real client libraries: web3.py, viem and ethers v6 (pinned in
# crates/node/tests/clients) against the tidepool-node binary, checking what their users
# rely on beyond sending: event and block filters, queued nonces, concurrent sends from one
# key, state at an old block, dev-account signing.
#
# Installs the libraries once into $TIDEPOOL_CLIENTS (default <tools>/clients, tools being
# $TIDEPOOL_TOOLS or <workspace>/.tools): `npm ci` from the committed lock file, a venv from
# the pinned requirements; each is redone only when its pin file changes. Uses the built
# node binary ($TIDEPOOL_NODE_BIN, else target/debug/tidepool-node, built if missing).
#
# Usage: clients.sh [--install-only]
#   --install-only  install or update the libraries and stop (scripts/test.sh does this in
#                   the background while it compiles, then runs the checks)
set -euo pipefail
started=$SECONDS
install_only=false
for arg in "$@"; do
  case "$arg" in
    --install-only) install_only=true ;;
    *) echo "clients: unknown argument $arg" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/../../.." && pwd)"
tools="${TIDEPOOL_TOOLS:-$root/.tools}"
clients="${TIDEPOOL_CLIENTS:-$tools/clients}"
src="$root/crates/node/tests/clients"
mkdir -p "$clients"

if ! cmp -s "$src/package-lock.json" "$clients/package-lock.json" || [ ! -d "$clients/node_modules" ]; then
  command -v npm >/dev/null || { echo "clients: npm is required" >&2; exit 1; }
  cp "$src/package.json" "$src/package-lock.json" "$clients/"
  (cd "$clients" && npm ci --no-audit --no-fund --silent)
fi
if ! cmp -s "$src/requirements.txt" "$clients/venv/requirements.txt"; then
  rm -rf "$clients/venv"
  python3 -m venv "$clients/venv"
  "$clients/venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$src/requirements.txt"
  cp "$src/requirements.txt" "$clients/venv/requirements.txt"
fi
if $install_only; then
  echo "clients: web3.py, viem and ethers ready in $clients ($((SECONDS - started)) s)" >&2
  exit 0
fi

node_bin="${TIDEPOOL_NODE_BIN:-$root/target/debug/tidepool-node}"
if [ -z "${TIDEPOOL_NODE_BIN:-}" ]; then
  (cd "$root" && cargo build -q -p tidepool-node --bin tidepool-node)
fi

log="$(mktemp)"
"$node_bin" --port 0 >"$log" 2>&1 &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^Listening on ' "$log" && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
url="http://$(sed -n 's/^Listening on //p' "$log")"
echo "clients: node at $url" >&2

"$clients/venv/bin/python" "$src/web3_check.py" "$url"
NODE_PATH="$clients/node_modules" node "$src/js_check.cjs" "$url"
echo "clients: web3.py, viem and ethers checks passed in $((SECONDS - started)) s" >&2
