#!/usr/bin/env bash
# Installs the Debian 12 packages nnrewrite builds and tests with, if missing.
# Root runs apt-get directly; anyone else goes through sudo.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev
  libboost-graph-dev libeigen3-dev libfmt-dev catch2
  graphviz libbenchmark-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata libcli11-dev nlohmann-json3-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "nnrewrite: installing missing packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
