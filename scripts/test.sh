#!/usr/bin/env bash
# The test command (CI runs it through .ci/run): installs what is missing, then checks
# formatting, lints, builds and validates every contract's wasm, checks the generated ABI
# files, and runs every test, the web app's in a browser included. Each step is announced; the first failure stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
# Each step with the seconds since the start, so a slow step shows in CI's log.
step() { printf '\n==> [%d s] %s\n' "$((SECONDS - started))" "$*"; }

# A CI run starts from a fresh clone and is never rebuilt incrementally: skip writing
# incremental caches (less disk, somewhat faster builds on 2 cores).
if [ "${CI:-}" = "true" ]; then
  export CARGO_INCREMENTAL=0
fi

step "setup (wasm toolchain)"
bash scripts/setup.sh

# The test tools (cast, anvil, solc), the client libraries (web3.py, viem, ethers) and the
# browser for the web app's tests (Debian's chromium) are downloads, not compilation: they
# install beside the build (about 2 min on a fresh machine) and are waited for before the
# first step that needs them.
step "test tools and client libraries, installing in the background"
tools_log=$(mktemp)
(bash crates/node/scripts/install-tools.sh && bash crates/node/scripts/clients.sh --install-only \
  && bash scripts/web.sh --browser) >"$tools_log" 2>&1 &
tools_pid=$!
pids=("$tools_pid")
logs=("$tools_log")
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -f "${logs[@]}"' EXIT

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

# Lint while building: clippy-driver (a rustc with clippy's lints) compiles the workspace's
# own crates for every cargo command below, so the lint pass and the test build share one
# compilation of the tree. `cargo clippy` would instead check every dependency a second time
# in check mode (about 700 CPU-seconds on a fresh clone). CLIPPY_ARGS is how cargo-clippy
# hands its `-- -D warnings` to the driver. Deps are compiled by plain rustc either way.
export RUSTC_WORKSPACE_WRAPPER
if ! RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null)"; then
  echo "test: clippy-driver not found; rust-toolchain.toml's clippy component is needed" >&2
  exit 1
fi
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

step "clippy -D warnings while building the tidepool command (cargo build -p tidepool-cli)"
cargo build -p tidepool-cli

# The wasm build has its own target directory (target/wasm) and toolchain, so it runs beside
# the rest of the native build: each program's final link-time optimisation is one
# single-threaded rustc, and the native build's tail (big crates, links) leaves a core idle.
step "tidepool build (wasm, Nitro activation rules, size limit), in the background"
wasm_log=$(mktemp)
cargo run -q -p tidepool-cli -- build >"$wasm_log" 2>&1 &
wasm_pid=$!
pids+=("$wasm_pid")
logs+=("$wasm_log")

# `--all-targets` would add `--benches`, which builds each cdylib program shell's lib as a
# bench harness (it has no `main`); the workspace has no bench targets of its own.
step "clippy -D warnings while building every target (cargo build --workspace --lib --bins --tests)"
cargo build --workspace --lib --bins --tests

# What follows until the wasm build is waited for needs only the native build, so it runs
# while the wasm build's last programs (one single-threaded link-time optimisation each)
# still compile.
step "one alloy line (no alloy crate compiled in two versions)"
bash scripts/one-alloy-line.sh

step "test tools and client libraries installed"
if ! wait "$tools_pid"; then
  cat "$tools_log"
  echo "test: installing the test tools or client libraries failed" >&2
  exit 1
fi
cat "$tools_log"

step "Solidity artifacts match their sources (test contracts, local deposit contract; pinned solcjs)"
node crates/node/tests/solidity/compile.js --check

# The page's own checks: TypeScript (strict) and Vitest (formatting, parsing, error
# decoding, the withdrawal and rewards arithmetic), then the bundle `tidepool up` serves.
step "web app: npm packages, unit tests, type check and build (scripts/web.sh --test)"
bash scripts/web.sh --test

step "tidepool abi --check (abi/ matches the contracts)"
cargo run -q -p tidepool-cli -- abi --check

step "tidepool build finished"
if ! wait "$wasm_pid"; then
  cat "$wasm_log"
  echo "test: tidepool build failed" >&2
  exit 1
fi
cat "$wasm_log"

step "tidepool build again compiles nothing (the main job's second start takes seconds)"
# Cargo announces each crate it compiles with a "Compiling" line on stderr; a fresh tree has
# none. A build that recompiles every time (as one did, when two contracts' builds undid each
# other) fails here instead of costing minutes at every start of scripts/build.sh.
if ! again=$(cargo run -q -p tidepool-cli -- build 2>&1 >/dev/null); then
  printf '%s\n' "$again" >&2
  exit 1
fi
if grep -E '^ +Compiling ' <<<"$again"; then
  echo "test: a second tidepool build compiled the crates above" >&2
  exit 1
fi

# cargo-nextest (on this kind of machine) runs the tests of every test binary from one pool,
# three at a time: the end-to-end tests mostly wait on block times, frames and daemons, so
# they overlap the CPU-bound ones instead of following them binary by binary (about 130 s
# against 215 s with `cargo test` on 2 cores). It builds with the same package selection, so
# nothing is compiled again. It does not run doc-tests; the workspace has none that run (its
# examples are `ignore`). Without nextest, `cargo test --workspace` runs the same tests.
if command -v cargo-nextest >/dev/null 2>&1; then
  step "cargo nextest run --workspace --test-threads 3"
  cargo nextest run --workspace --test-threads 3
else
  step "cargo test --workspace (cargo-nextest not installed)"
  cargo test --workspace
fi

# web3.py, viem and ethers (installed above) against the node binary built above: about 6 s.
step "client libraries against the node (crates/node/scripts/clients.sh)"
TIDEPOOL_NODE_BIN="$PWD/target/debug/tidepool-node" bash crates/node/scripts/clients.sh
# The main job as a user starts it, with its committee reporting every 48 s frame, and the
# web app driven in headless Chromium: a dev account stakes, wraps, unwraps, requests a
# withdrawal, waits for the daemons' report to finalize it and claims; an injected EIP-6963
# wallet stakes and requests with a typed-data permit; paused staking shows its message.
# About 2.5 min, most of it the wait for a report. Screenshots: web/test-results/.
step "web app in Chromium against the main job (tidepool up; web/e2e/run.mjs)"
up_log=$(mktemp)
logs+=("$up_log")
target/debug/tidepool up --skip-build --port 18547 --beacon-port 15052 --daemon-port 19101 \
  --web-port 18080 --frame-epochs 3 >"$up_log" 2>&1 &
up_pid=$!
pids+=("$up_pid")
for _ in $(seq 1 180); do
  grep -q '^Serving' "$up_log" && break
  kill -0 "$up_pid" 2>/dev/null || break
  sleep 1
done
if ! grep -q '^Serving' "$up_log"; then
  cat "$up_log"
  echo "test: tidepool up did not start serving" >&2
  exit 1
fi
if ! (cd web && TIDEPOOL_APP_URL=http://127.0.0.1:18080/ TIDEPOOL_RPC=http://127.0.0.1:18547 \
  npm run --silent e2e); then
  tail -40 "$up_log"
  echo "test: the web app's browser tests failed (screenshots in web/test-results/)" >&2
  exit 1
fi
kill "$up_pid" 2>/dev/null || true
wait "$up_pid" 2>/dev/null || true

step "cargo-stylus check and deploy against the node (when cargo-stylus is installed)"
# About a second with the node built above; skipped, saying so, where cargo-stylus has not
# been installed (its one-off install, scripts/interop.sh, is a build of most of an hour).
TIDEPOOL_NODE_BIN=target/debug/tidepool-node bash scripts/interop.sh --if-installed

step "all checks passed in $((SECONDS - started)) s"
