#!/usr/bin/env bash
# The main job: builds every contract to Nitro-valid deployable code (checked against
# Arbitrum's activation rules, with a size table), starts the local Stylus node, deploys the
# whole protocol to it, serves the staking web app, prints its URL, the addresses, the chain
# id, the RPC URL and a `cast` line, and keeps serving until Ctrl-C. Installs the wasm toolchain first if it is missing.
# Extra arguments go to `tidepool up` (e.g. `--port 8548`, `--skip-build`).
#
# The dev profile is deliberate: `scripts/test.sh` builds the same crates the same way, so
# running one after the other compiles once.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# The staking web app `tidepool up` serves; without Node.js the chain runs without the page
# (`up` says so where it prints the URLs).
bash scripts/web.sh || echo "build: the web app was not built; the chain runs without it" >&2
cargo run -q -p tidepool-cli -- up "$@"
