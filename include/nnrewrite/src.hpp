// Separate compilation (after Boost.Asio's BOOST_ASIO_SEPARATE_COMPILATION):
// define NNREWRITE_SEPARATE_COMPILATION for every file of your program that uses
// nnrewrite, and include this header in exactly one .cpp file. The executor's
// kernels and the drivers, passes and executor for nnrewrite::model are then
// compiled once, in that file, instead of in every file that runs them.
// Templates over your own IR are still instantiated where you use them; only the
// kernels (which do not depend on the graph type) and `model` are shared.
#pragma once

#ifndef NNREWRITE_SEPARATE_COMPILATION
#error "define NNREWRITE_SEPARATE_COMPILATION for the whole program before using <nnrewrite/src.hpp>"
#endif

#include "nnrewrite/nnrewrite.hpp"

namespace nnrewrite {
namespace exec {
template kernel_registry& default_kernels<void>();
template std::vector<tensor> evaluate_op<model>(const model&, vertex_t<model>, const std::vector<const tensor*>&,
                                               const kernel_registry&, std::int64_t);
template tensor_map execute<model>(const model&, const tensor_map&, const execute_options&);
}  // namespace exec
template rewrite_result apply_patterns_greedily<model>(model&, const pattern_set<model>&, const driver_config&);
template rewrite_result apply_patterns_once<model>(model&, const pattern_set<model>&, const driver_config&);
template void populate_cleanup_patterns<model>(pattern_set<model>&, fold_options);
template rewrite_result cleanup<model>(model&, const driver_config&, fold_options);
template std::size_t infer_value_infos<model>(model&);
template std::size_t remove_dead_nodes<model>(model&);
template rewrite_result streamline::streamline<model>(model&, const streamline::streamline_options&);
template rewrite_result streamline::streamline_plus<model>(model&, const streamline::streamline_options&);
}  // namespace nnrewrite
