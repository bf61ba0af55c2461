#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build the nnrewrite tool, and
# run its main job on the bundled model (FINN's TFC MNIST network,
# models/finn_tfc_w1a1.onnx): streamline it, check the result against the original
# on 1000 random UINT8 images, write build/tfc_streamlined.onnx and show what is in it.
# Arguments, if any, replace that and go straight to the tool: scripts/run.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci --target nnrewrite_tool >/dev/null
tool=build/ci/tools/nnrewrite
if [ $# -gt 0 ]; then exec "$tool" "$@"; fi
"$tool" streamline models/finn_tfc_w1a1.onnx -o build/tfc_streamlined.onnx --target fpga-dataflow --verify 1000
"$tool" info build/tfc_streamlined.onnx
