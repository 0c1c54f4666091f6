#!/usr/bin/env bash
# Builds every contract to Nitro-valid wasm and deployable code (target/wasm/<name>.wasm and
# <name>.code), checking each against Arbitrum's activation rules and printing a size table.
# Installs the wasm toolchain first if it is missing. Extra arguments go to `tidepool build`
# (e.g. `--contract vault`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo run --release -q -p tidepool-cli -- build "$@"
