#!/usr/bin/env bash
# Installs the npm-packaged `cast` and `anvil` (Foundry 1.7.1) that the node's end-to-end and
# differential tests use, into <workspace>/.tools. Idempotent: does nothing when present.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
tools="${TIDEPOOL_TOOLS:-$root/.tools}"
mkdir -p "$tools"
have() { [ -x "$tools/node_modules/@foundry-rs/$1-linux-amd64/bin/$1" ] || [ -n "$(find "$tools/node_modules/@foundry-rs/$1-linux-amd64" -type f -name "$1" 2>/dev/null | head -1)" ]; }
if have cast && have anvil; then
  echo "install-tools: cast and anvil already in $tools" >&2
  exit 0
fi
command -v npm >/dev/null || { echo "install-tools: npm is required" >&2; exit 1; }
cd "$tools"
[ -f package.json ] || echo '{"name":"tidepool-tools","private":true}' > package.json
npm install --no-audit --no-fund --silent @foundry-rs/cast-linux-amd64@1.7.1 @foundry-rs/anvil-linux-amd64@1.7.1
find "$tools/node_modules/@foundry-rs" -type f \( -name cast -o -name anvil \) -exec chmod +x {} +
echo "install-tools: installed into $tools" >&2
