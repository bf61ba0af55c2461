// The rewrite engine: matchers, patterns, the rewriter and the drivers.
#pragma once

#include "nnrewrite/pattern/matchers.hpp"
#include "nnrewrite/rewrite/driver.hpp"
#include "nnrewrite/rewrite/pattern.hpp"
#include "nnrewrite/rewrite/result.hpp"
#include "nnrewrite/rewrite/rewriter.hpp"
