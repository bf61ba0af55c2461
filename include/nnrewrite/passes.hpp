// Cleanup and analysis passes: dead nodes, constant folding, identity removal,
// value-info inference.
#pragma once

#include "nnrewrite/passes/cleanup.hpp"
