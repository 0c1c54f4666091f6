#!/usr/bin/env bash
# The staking web app (web/): installs its npm packages from the committed lockfile (again
# only when the lockfile changed) and builds it into web/dist, which `tidepool up` serves.
#   --test      also runs its unit tests (Vitest) before building
#   --browser   only installs what the browser tests need (Debian's chromium), idempotently
# Without Node.js and npm it says so and exits 3, so the main job can go on without the page.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'web: %s\n' "$*" >&2; }

if [ "${1:-}" = "--browser" ]; then
  if command -v chromium >/dev/null 2>&1; then
    log "chromium $(chromium --version 2>/dev/null | awk '{print $2}') installed"
  else
    log "installing chromium (Debian's package, for the browser tests)"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium >/dev/null
  fi
  exit 0
fi

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  log "Node.js and npm are needed to build the web app (Debian: apt-get install nodejs npm); skipping it"
  exit 3
fi

# npm ci wipes node_modules and reinstalls; a stamp of the lockfile it installed makes a
# second run free.
stamp=web/node_modules/.tidepool-lockfile
want=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  log "installing npm packages (npm ci)"
  (cd web && npm ci --no-audit --no-fund --silent)
  echo "$want" >"$stamp"
else
  log "npm packages installed"
fi

if [ "${1:-}" = "--test" ]; then
  log "unit tests"
  (cd web && npm test --silent)
fi
log "building web/dist"
(cd web && npm run --silent build >/dev/null)
log "built: $(du -sh web/dist | cut -f1) in web/dist"
