// The built-in kernels and the registry that holds them.
#pragma once

#include "nnrewrite/exec/kernel.hpp"
#include "nnrewrite/exec/kernels/conv.hpp"
#include "nnrewrite/exec/kernels/elementwise.hpp"
#include "nnrewrite/exec/kernels/linalg.hpp"
#include "nnrewrite/exec/kernels/pool.hpp"
#include "nnrewrite/exec/kernels/qonnx.hpp"
#include "nnrewrite/exec/kernels/reduce.hpp"
#include "nnrewrite/exec/kernels/shape.hpp"

namespace nnrewrite::exec {

// Every op the reference executor runs. Add your own with default_kernels().add(...).
// A template so that the kernels are compiled only in files that run the executor.
template <class = void>
kernel_registry& default_kernels() {
  static kernel_registry r = [] {
    namespace k = kernels;
    using R = tensor::reduction;
    kernel_registry reg;
    for (auto [op, fn] : std::initializer_list<std::pair<const char*, kernel_fn>>{
             {"Add", k::add<>}, {"Sub", k::sub<>}, {"Mul", k::mul<>}, {"Div", k::div<>}, {"Pow", k::pow<>},
             {"Equal", k::equal<>}, {"Less", k::less<>}, {"Greater", k::greater<>}, {"And", k::logical_and<>},
             {"Or", k::logical_or<>}, {"Where", k::where<>},
             {"Max", k::variadic<0>}, {"Min", k::variadic<1>}, {"Sum", k::variadic<2>}, {"Mean", k::variadic<3>},
             {"Relu", k::relu<>}, {"LeakyRelu", k::leaky_relu<>}, {"PRelu", k::prelu<>}, {"Sigmoid", k::sigmoid<>},
             {"HardSigmoid", k::hard_sigmoid<>}, {"HardSwish", k::hard_swish<>}, {"Clip", k::clip<>},
             {"Tanh", k::math<std::tanh>}, {"Exp", k::math<std::exp>}, {"Log", k::math<std::log>},
             {"Sqrt", k::math<std::sqrt>}, {"Abs", k::math<k::abs_of>}, {"Neg", k::math<k::neg_of>},
             {"Reciprocal", k::math<k::reciprocal_of>}, {"Floor", k::math<std::floor>}, {"Ceil", k::math<std::ceil>},
             {"Round", k::math<k::round_half_even>}, {"Erf", k::math<std::erf>}, {"Sign", k::math<k::sign_of>},
             {"Identity", k::identity<>}, {"Dropout", k::identity<>}, {"Cast", k::cast<>},
             {"MatMul", k::matmul<>}, {"Gemm", k::gemm<>}, {"Conv", k::conv<>}, {"ConvTranspose", k::conv_transpose<>},
             {"MaxPool", k::max_pool<>}, {"AveragePool", k::average_pool<>},
             {"GlobalAveragePool", k::global_pool<R::mean>}, {"GlobalMaxPool", k::global_pool<R::max>},
             {"BatchNormalization", k::batch_norm<>}, {"Softmax", k::softmax<>}, {"TopK", k::top_k<>},
             {"ReduceMean", k::reduce<R::mean>}, {"ReduceMax", k::reduce<R::max>}, {"ReduceMin", k::reduce<R::min>},
             {"ReduceSum", k::reduce<R::sum>},
             {"Reshape", k::reshape<>}, {"Flatten", k::flatten<>}, {"Squeeze", k::squeeze<>}, {"Unsqueeze", k::unsqueeze<>},
             {"Transpose", k::transpose<>}, {"Expand", k::expand<>}, {"Concat", k::concat<>}, {"Split", k::split<>},
             {"Slice", k::slice<>}, {"Pad", k::pad<>}, {"Gather", k::gather<>}, {"Shape", k::shape_of<>},
             {"ConstantOfShape", k::constant_of_shape<>}, {"Constant", k::constant<>}, {"Resize", k::resize<>},
             {"Upsample", k::upsample<>}})
      reg.add("", op, fn);
    for (auto [op, fn] : std::initializer_list<std::pair<const char*, kernel_fn>>{
             {"MultiThreshold", k::multithreshold<>}, {"Quant", k::quant<>}, {"IntQuant", k::quant<>},
             {"BipolarQuant", k::bipolar_quant<>}, {"Trunc", k::trunc<>}, {"Im2Col", k::im2col<>},
             {"MaxPoolNHWC", k::max_pool_nhwc<>}})
      reg.add("qonnx.custom_op.general", op, fn);
    return reg;
  }();
  return r;
}

#ifdef NNREWRITE_SEPARATE_COMPILATION
// Compiled once, in the file that includes <nnrewrite/src.hpp>.
extern template kernel_registry& default_kernels<void>();
#endif

}  // namespace nnrewrite::exec
