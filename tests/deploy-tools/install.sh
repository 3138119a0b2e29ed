#!/usr/bin/env bash
# Install the template checkers (cfn-lint, and the AWS SAM CLI for `sam validate --lint`)
# into ./.venv, every version pinned by requirements.lock. Idempotent: a second run only checks a stamp.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
  || { echo "install.sh: python >= 3.9 required" >&2; exit 1; }
stamp="$(cat requirements.lock | sha256sum | cut -c1-16)-$("$PY" --version | tr ' ' '-')"
if [ "$(cat .venv/.stepcraft-stamp 2>/dev/null)" != "$stamp" ]; then
  echo "install.sh: python venv .venv (cfn-lint, aws-sam-cli)"
  rm -rf .venv
  "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m compileall -q .venv/lib >/dev/null 2>&1 || true
  echo "$stamp" > .venv/.stepcraft-stamp
fi
echo "install.sh: ok (cfn-lint $(.venv/bin/cfn-lint --version | awk "{print \$2}"), $(.venv/bin/sam --version))"
