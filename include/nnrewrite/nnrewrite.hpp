// Umbrella header: everything but the ONNX module (nnrewrite/onnx/...).
#pragma once

#include "nnrewrite/error.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/io/dot.hpp"
#include "nnrewrite/io/text.hpp"
#include "nnrewrite/ir/attribute.hpp"
#include "nnrewrite/ir/concepts.hpp"
#include "nnrewrite/ir/data_type.hpp"
#include "nnrewrite/ir/model.hpp"
#include "nnrewrite/ir/op_schema.hpp"
#include "nnrewrite/ir/queries.hpp"
#include "nnrewrite/ir/tensor.hpp"
#include "nnrewrite/ir/topological_order.hpp"
#include "nnrewrite/ir/traits.hpp"
#include "nnrewrite/ir/value_info.hpp"
#include "nnrewrite/ir/verify.hpp"
