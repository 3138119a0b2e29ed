#!/usr/bin/env bash
# Install moto's server mode (moto_server, an S3-compatible server) into ./.venv, every
# version pinned by requirements.lock. Idempotent: a second run only checks a stamp.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
  || { echo "install.sh: python >= 3.9 required" >&2; exit 1; }
stamp="$(cat requirements.lock | sha256sum | cut -c1-16)-$("$PY" --version | tr ' ' '-')"
if [ "$(cat .venv/.stepcraft-stamp 2>/dev/null)" != "$stamp" ]; then
  echo "install.sh: python venv .venv (moto[server])"
  rm -rf .venv
  "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  echo "$stamp" > .venv/.stepcraft-stamp
fi
echo "install.sh: ok (moto $(.venv/bin/python -c 'import moto; print(moto.__version__)'))"
