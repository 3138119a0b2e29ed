#!/usr/bin/env bash
# Installs the pinned reference implementation (jsonata 2.0.6) used by
# tests/differential.rs. Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
