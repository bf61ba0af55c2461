#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build everything, run every test.
#   scripts/test.sh [PRESET]   PRESET: ci (default), dev, asan, clang, clang-asan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --workflow --preset "${1:-ci}"
