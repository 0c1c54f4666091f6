#!/usr/bin/env bash
# Installs the npm-packaged tools the node's tests use, into <workspace>/.tools (or
# $TIDEPOOL_TOOLS): `cast` and `anvil` (Foundry 1.7.1) for the end-to-end and differential
# tests, and solcjs (npm `solc`) that compiles the Solidity test contracts. Versions are exact
# so that recompiling the committed Solidity artifacts gives the same bytes everywhere.
# Idempotent: installs only what is missing or at another version.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
tools="${TIDEPOOL_TOOLS:-$root/.tools}"
foundry=1.7.1
solc="$(cat "$root/crates/node/tests/solidity/SOLC_VERSION")"
mkdir -p "$tools"

have_foundry() {
  [ -x "$tools/node_modules/@foundry-rs/$1-linux-amd64/bin/$1" ] ||
    [ -n "$(find "$tools/node_modules/@foundry-rs/$1-linux-amd64" -type f -name "$1" 2>/dev/null | head -1)" ]
}
installed_version() {
  node -p "require('$tools/node_modules/$1/package.json').version" 2>/dev/null || true
}

wanted=()
have_foundry cast || wanted+=("@foundry-rs/cast-linux-amd64@$foundry")
have_foundry anvil || wanted+=("@foundry-rs/anvil-linux-amd64@$foundry")
[ "$(installed_version solc)" = "$solc" ] || wanted+=("solc@$solc")

if [ ${#wanted[@]} -eq 0 ]; then
  echo "install-tools: cast, anvil ($foundry) and solc ($solc) already in $tools" >&2
  exit 0
fi
command -v npm >/dev/null || { echo "install-tools: npm is required" >&2; exit 1; }
cd "$tools"
[ -f package.json ] || echo '{"name":"tidepool-tools","private":true}' > package.json
npm install --no-audit --no-fund --silent --save-exact "${wanted[@]}"
find "$tools/node_modules/@foundry-rs" -type f \( -name cast -o -name anvil \) -exec chmod +x {} +
# npm trusts its own lock file over what is on disk; make sure the pin really holds.
got="$(installed_version solc)"
if [ "$got" != "$solc" ]; then
  echo "install-tools: solc $solc wanted, ${got:-nothing} installed in $tools" >&2
  exit 1
fi
echo "install-tools: installed ${wanted[*]} into $tools" >&2
