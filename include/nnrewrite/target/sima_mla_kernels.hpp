// Reference kernels for the sima_mla target's ops, so the executor can run a
// SiMa-style graph (calibration, the equalized graph checked against the
// original, `nnrewrite equalize --target sima`). Activations are NHWC:
//   ConvAddActivation(x [N,H,W,G*I], W [KH,KW,I,G,O], bias [G*O])
//       {pads = [top, left, bottom, right], activation}   stride 1
//   AddActivation(a, b) {activation}                    same shapes
//   TupleConcatenate(a, b, ...) {axis}                  the last axis only
//   MaxPool2D(x), AvgPool2D(x) {kernel_shape = [2, 2], strides = kernel_shape}
// activation: "none", "linear", "relu", "relu6". Shapes and attributes are
// checked before anything is allocated; errors name the problem.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "nnrewrite/exec/executor.hpp"
#include "nnrewrite/target/sima_mla.hpp"

namespace nnrewrite::target {

namespace sima_kernels {

inline double activate(double v, const std::string& act) {
  if (act == "relu") return std::max(v, 0.0);
  if (act == "relu6") return std::min(std::max(v, 0.0), 6.0);
  return v;
}

inline std::string activation_of(const exec::kernel_context& c) {
  std::string act = c.attr_string("activation", "none");
  if (act != "none" && act != "linear" && act != "relu" && act != "relu6")
    throw unsupported_error(std::string(c.op_type) + " activation '" + act + "' is not supported (none, linear, relu, relu6)");
  return act;
}

inline void require(bool ok, const exec::kernel_context& c, const std::string& what) {
  if (!ok) throw shape_error(std::string(c.op_type) + ": " + what);
}

inline std::vector<tensor> conv_add_activation(const exec::kernel_context& c) {
  const tensor& x = c.in(0);
  const tensor& w = c.in(1);
  require(x.rank() == 4, c, "the input must be NHWC (rank 4), is " + nnrewrite::to_string(x.shape()));
  require(w.rank() == 5, c, "the weights must be [KH, KW, I, G, O], are " + nnrewrite::to_string(w.shape()));
  const auto pads = c.attr_ints("pads", {0, 0, 0, 0});
  require(pads.size() == 4, c, "pads needs 4 values [top, left, bottom, right]");
  for (auto p : pads) require(p >= 0 && p < (std::int64_t(1) << 31), c, "pads must be non-negative and small");
  const std::string act = activation_of(c);
  const auto& xs = x.shape();
  const auto& ws = w.shape();
  const std::int64_t N = xs[0], H = xs[1], W = xs[2], C = xs[3], KH = ws[0], KW = ws[1], I = ws[2], G = ws[3], O = ws[4];
  require(C == G * I, c, "the input has " + std::to_string(C) + " channels, the weights read " + std::to_string(G * I));
  if (c.has(2)) require(c.in(2).size() == G * O, c, "the bias has " + std::to_string(c.in(2).size()) + " values for " + std::to_string(G * O) + " channels");
  const std::int64_t OH = H + pads[0] + pads[2] - KH + 1, OW = W + pads[1] + pads[3] - KW + 1;
  require(OH > 0 && OW > 0, c, "the kernel is larger than the padded input");
  tensor y(element_type::float32, shape_t{N, OH, OW, G * O});
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t h = 0; h < OH; ++h)
      for (std::int64_t q = 0; q < OW; ++q)
        for (std::int64_t g = 0; g < G; ++g)
          for (std::int64_t o = 0; o < O; ++o) {
            double acc = c.has(2) ? c.in(2).get(g * O + o) : 0.0;
            for (std::int64_t kh = 0; kh < KH; ++kh)
              for (std::int64_t kw = 0; kw < KW; ++kw) {
                const std::int64_t ih = h + kh - pads[0], iw = q + kw - pads[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                for (std::int64_t i = 0; i < I; ++i)
                  acc += x.get(((n * H + ih) * W + iw) * C + g * I + i) * w.get((((kh * KW + kw) * I + i) * G + g) * O + o);
              }
            y.set(((n * OH + h) * OW + q) * G * O + g * O + o, activate(acc, act));
          }
  return {y};
}

inline std::vector<tensor> add_activation(const exec::kernel_context& c) {
  const std::string act = activation_of(c);
  require(c.in(0).shape() == c.in(1).shape(), c, "adds " + nnrewrite::to_string(c.in(0).shape()) + " and " + nnrewrite::to_string(c.in(1).shape()));
  tensor y(element_type::float32, c.in(0).shape());
  for (std::int64_t i = 0; i < y.size(); ++i) y.set(i, activate(c.in(0).get(i) + c.in(1).get(i), act));
  return {y};
}

inline std::vector<tensor> tuple_concatenate(const exec::kernel_context& c) {
  require(!c.inputs.empty(), c, "needs an operand");
  const tensor& first = c.in(0);
  require(first.rank() >= 1, c, "cannot concatenate scalars");
  const std::int64_t rank = std::int64_t(first.rank());
  const std::int64_t axis = normalize_axis(c.attr_int("axis", rank - 1), rank);
  if (axis != rank - 1) throw unsupported_error("TupleConcatenate on axis " + std::to_string(axis) + " (the last axis only)");
  shape_t s = first.shape();
  std::int64_t total = 0;
  for (std::size_t k = 0; k < c.inputs.size(); ++k) {
    const tensor& t = c.in(k);
    require(t.rank() == first.rank() && std::equal(t.shape().begin(), t.shape().end() - 1, s.begin()), c,
            "operand " + std::to_string(k) + " is " + nnrewrite::to_string(t.shape()) + ", operand 0 " + nnrewrite::to_string(s));
    total += t.shape().back();
  }
  s.back() = total;
  tensor y(element_type::float32, s);
  const std::int64_t rows = total == 0 ? 0 : y.size() / total;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t at = 0;
    for (std::size_t k = 0; k < c.inputs.size(); ++k) {
      const std::int64_t ck = c.in(k).shape().back();
      for (std::int64_t j = 0; j < ck; ++j) y.set(r * total + at + j, c.in(k).get(r * ck + j));
      at += ck;
    }
  }
  return {y};
}

// MaxPool2D / AvgPool2D over H and W of an NHWC tensor, no padding.
inline std::vector<tensor> pool_2d(const exec::kernel_context& c, bool max) {
  const tensor& x = c.in(0);
  require(x.rank() == 4, c, "the input must be NHWC (rank 4), is " + nnrewrite::to_string(x.shape()));
  const auto k = c.attr_ints("kernel_shape", {2, 2});
  const auto st = c.attr_ints("strides", k);
  require(k.size() == 2 && st.size() == 2 && k[0] > 0 && k[1] > 0 && st[0] > 0 && st[1] > 0, c,
          "kernel_shape and strides need two positive values");
  const auto& s = x.shape();
  const std::int64_t N = s[0], H = s[1], W = s[2], C = s[3];
  require(H >= k[0] && W >= k[1], c, "the window is larger than the input");
  const std::int64_t OH = (H - k[0]) / st[0] + 1, OW = (W - k[1]) / st[1] + 1;
  tensor y(element_type::float32, shape_t{N, OH, OW, C});
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t h = 0; h < OH; ++h)
      for (std::int64_t w = 0; w < OW; ++w)
        for (std::int64_t ch = 0; ch < C; ++ch) {
          double m = max ? -INFINITY : 0.0;
          for (std::int64_t a = 0; a < k[0]; ++a)
            for (std::int64_t b = 0; b < k[1]; ++b) {
              const double v = x.get(((n * H + h * st[0] + a) * W + w * st[1] + b) * C + ch);
              m = max ? std::max(m, v) : m + v;
            }
          y.set(((n * OH + h) * OW + w) * C + ch, max ? m : m / double(k[0] * k[1]));
        }
  return {y};
}

}  // namespace sima_kernels

// Adds the kernels of sima_mla's ops to `r` (the executor's default registry by default).
inline void add_sima_mla_kernels(exec::kernel_registry& r = exec::default_kernels()) {
  const std::string_view d = sima_mla::domain;
  r.add(d, "ConvAddActivation", sima_kernels::conv_add_activation);
  r.add(d, "AddActivation", sima_kernels::add_activation);
  r.add(d, "TupleConcatenate", sima_kernels::tuple_concatenate);
  r.add(d, "MaxPool2D", [](const exec::kernel_context& c) { return sima_kernels::pool_2d(c, true); });
  r.add(d, "AvgPool2D", [](const exec::kernel_context& c) { return sima_kernels::pool_2d(c, false); });
}

}  // namespace nnrewrite::target
