#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and run the main job.
# (Until the command-line tool lands, the main job is the example that builds a
# small quantized graph, verifies it and prints it in the text format.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci --target quantized_graph
exec build/ci/examples/quantized_graph "$@"
