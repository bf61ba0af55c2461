// The reference executor, its comparison helpers and random inputs.
#pragma once

#include "nnrewrite/exec/compare.hpp"
#include "nnrewrite/exec/equivalence.hpp"
#include "nnrewrite/exec/executor.hpp"
#include "nnrewrite/exec/random.hpp"
