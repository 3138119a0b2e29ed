#!/usr/bin/env bash
# Install what the diagram tests check against: the real Mermaid parser (npm ci of the pinned
# package-lock.json into ./node_modules) and, with --chromium, Debian's chromium to render the
# SVG and the HTML report headless.  Idempotent: a second run only checks a stamp.
# Exit status 0: installed; 75: impossible here (the reason on stderr); anything else: failed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

command -v node >/dev/null || { echo "install.sh: node is required (node 18+)" >&2; exit 75; }
command -v npm >/dev/null || { echo "install.sh: npm is required" >&2; exit 75; }
stamp="$(cat package.json package-lock.json | sha256sum | cut -c1-16)"
if [ "$(cat node_modules/.stepcraft-stamp 2>/dev/null)" != "$stamp" ]; then
  echo "install.sh: npm ci (mermaid, jsdom)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$stamp" > node_modules/.stepcraft-stamp
fi

if [ "${1:-}" = "--chromium" ] && [ ! -x /usr/bin/chromium ]; then
  command -v apt-get >/dev/null || { echo "install.sh: /usr/bin/chromium is missing and there is no apt-get to install it" >&2; exit 75; }
  [ "$(id -u)" = 0 ] || { echo "install.sh: /usr/bin/chromium is missing and installing it needs root" >&2; exit 75; }
  echo "install.sh: apt-get install chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends chromium >&2; }
fi
