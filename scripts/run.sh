#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build the nnrewrite tool, and
# run it on the bundled model (FINN's TFC MNIST network, models/finn_tfc_w1a1.onnx):
# what is in it, then three runs of the reference executor on random UINT8 images.
# Arguments, if any, replace that and go straight to the tool: scripts/run.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci --target nnrewrite_tool >/dev/null
tool=build/ci/tools/nnrewrite
if [ $# -gt 0 ]; then exec "$tool" "$@"; fi
"$tool" info models/finn_tfc_w1a1.onnx
"$tool" run models/finn_tfc_w1a1.onnx --random 3
