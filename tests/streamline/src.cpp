// The kernels, drivers and passes for nnrewrite::model, compiled once for the
// whole test binary (NNREWRITE_SEPARATE_COMPILATION; see <nnrewrite/src.hpp>).
#include "nnrewrite/src.hpp"
