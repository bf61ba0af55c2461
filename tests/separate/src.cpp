// The one file that compiles nnrewrite's kernels and model instantiations.
#include "nnrewrite/src.hpp"
