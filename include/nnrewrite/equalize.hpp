// Channel equalization: the pairing engine, scale policies, calibration and the
// update (see equalize/pairing.hpp and equalize/equalize.hpp).
#pragma once

#include "nnrewrite/equalize/equalize.hpp"
#include "nnrewrite/equalize/pairing.hpp"
#include "nnrewrite/equalize/quantize.hpp"
#include "nnrewrite/target/onnx_float.hpp"
#include "nnrewrite/target/sima_mla.hpp"
