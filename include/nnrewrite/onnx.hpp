// The ONNX module (CMake target nnrewrite::onnx): QONNX/ONNX import and export.
// Kept out of the umbrella header: it needs the ONNX library and protobuf.
#pragma once

#include "nnrewrite/onnx/export.hpp"
#include "nnrewrite/onnx/file.hpp"
#include "nnrewrite/onnx/import.hpp"
#include "nnrewrite/onnx/tensor_proto.hpp"
