// Conv and ConvTranspose over any number of spatial dimensions, with groups,
// strides, dilations, explicit (asymmetric) pads and auto_pad. Conv gathers
// patches (im2col) and multiplies with Eigen; ConvTranspose multiplies first and
// scatters (col2im).
#pragma once

#include "nnrewrite/exec/kernels/linalg.hpp"

namespace nnrewrite::exec::kernels {

namespace detail {

struct window {
  std::size_t spatial = 0;                    // number of spatial dims
  shape_t in, out, kernel, stride, dilation;  // per spatial dim
  shape_t pad_begin, pad_end;
};

inline shape_t attr_or_fill(const kernel_context& c, std::string_view name, std::size_t n, std::int64_t fill) {
  auto v = c.attr_ints(name);
  if (v.empty()) return shape_t(n, fill);
  if (v.size() != n)
    throw shape_error("attribute '" + std::string(name) + "' has " + std::to_string(v.size()) + " values for " +
                      std::to_string(n) + " spatial dimensions");
  return v;
}

// Output sizes and pads of a sliding window (Conv, pooling), per the ONNX rules.
inline window sliding_window(const kernel_context& c, const shape_t& x, const shape_t& kernel, bool ceil_mode = false) {
  window w;
  w.spatial = x.size() - 2;
  w.in.assign(x.begin() + 2, x.end());
  w.kernel = kernel;
  w.stride = attr_or_fill(c, "strides", w.spatial, 1);
  w.dilation = attr_or_fill(c, "dilations", w.spatial, 1);
  const std::string auto_pad = c.attr_string("auto_pad", "NOTSET");
  auto pads = c.attr_ints("pads");
  if (pads.empty()) pads.assign(2 * w.spatial, 0);
  if (pads.size() != 2 * w.spatial) throw shape_error("attribute 'pads' needs " + std::to_string(2 * w.spatial) + " values");
  w.pad_begin.assign(pads.begin(), pads.begin() + std::ptrdiff_t(w.spatial));
  w.pad_end.assign(pads.begin() + std::ptrdiff_t(w.spatial), pads.end());
  w.out.resize(w.spatial);
  // Every size is checked before it is used: a file may say anything, and these
  // products and sums must not overflow (nor a window be empty).
  constexpr std::int64_t huge = std::int64_t(1) << 40;
  for (std::size_t d = 0; d < w.spatial; ++d) {
    if (w.stride[d] < 1 || w.dilation[d] < 1) throw shape_error("strides and dilations must be positive");
    if (w.kernel[d] < 1) throw shape_error("the kernel must be at least 1 wide on every axis, is " + to_string(w.kernel));
    if (w.pad_begin[d] < 0 || w.pad_end[d] < 0) throw shape_error("pads must not be negative, are " + to_string(pads));
    if (w.kernel[d] > huge || w.dilation[d] > huge || w.stride[d] > huge || w.pad_begin[d] > huge || w.pad_end[d] > huge)
      throw shape_error("kernel, stride, dilation and pads must be below 2^40");
    const std::int64_t span = (w.kernel[d] - 1) * w.dilation[d] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      w.out[d] = (w.in[d] + w.stride[d] - 1) / w.stride[d];
      const std::int64_t total = std::max<std::int64_t>(0, (w.out[d] - 1) * w.stride[d] + span - w.in[d]);
      w.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pad_end[d] = total - w.pad_begin[d];
    } else {
      if (auto_pad == "VALID") w.pad_begin[d] = w.pad_end[d] = 0;
      else if (auto_pad != "NOTSET") throw unsupported_error("auto_pad '" + auto_pad + "' is not supported");
      const std::int64_t room = w.in[d] + w.pad_begin[d] + w.pad_end[d] - span;
      if (room < 0) throw shape_error("the window (" + std::to_string(span) + ") is larger than the padded input");
      w.out[d] = (ceil_mode ? (room + w.stride[d] - 1) / w.stride[d] : room / w.stride[d]) + 1;
      // A window may not start in the end padding (PyTorch's and ONNX's rule for ceil_mode).
      if (ceil_mode && (w.out[d] - 1) * w.stride[d] >= w.in[d] + w.pad_begin[d]) --w.out[d];
    }
  }
  return w;
}

}  // namespace detail

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> conv(const kernel_context& c) {
  const tensor& x_in = c.in(0);
  const tensor& w_in = c.in(1);
  if (x_in.rank() < 3 || w_in.rank() != x_in.rank()) throw shape_error("Conv needs input and weights of equal rank >= 3");
  const element_type t = tensor::promote(x_in.type(), w_in.type());
  const tensor x = x_in.type() == t ? x_in : x_in.cast(t);
  const tensor w = w_in.type() == t ? w_in : w_in.cast(t);
  const std::int64_t group = c.attr_int("group", 1);
  const std::int64_t n = x.shape()[0], ch = x.shape()[1], m = w.shape()[0], cg = w.shape()[1];
  if (group < 1 || ch != cg * group || m % group != 0)
    throw shape_error("Conv input has " + std::to_string(ch) + " channels, weights " + to_string(w.shape()) +
                      " with group " + std::to_string(group));
  shape_t kernel(w.shape().begin() + 2, w.shape().end());
  auto ks = c.attr_ints("kernel_shape");
  if (!ks.empty() && ks != kernel) throw shape_error("kernel_shape " + to_string(ks) + " disagrees with weights " + to_string(w.shape()));
  const detail::window win = detail::sliding_window(c, x.shape(), kernel);
  const std::int64_t in_size = num_elements(win.in), out_size = num_elements(win.out), k_size = num_elements(kernel);
  const std::int64_t mg = m / group, rows = cg * k_size;
  shape_t out_shape{n, m};
  out_shape.insert(out_shape.end(), win.out.begin(), win.out.end());
  tensor out(t, out_shape);
  // For every (kernel offset, output position): the input position, or -1 in padding.
  std::vector<std::int64_t> source(static_cast<std::size_t>(k_size * out_size));
  {
    const shape_t in_strides = strides_of(win.in);
    shape_t kidx(win.spatial, 0);
    for (std::int64_t kk = 0; kk < k_size; ++kk) {
      shape_t oidx(win.spatial, 0);
      for (std::int64_t o = 0; o < out_size; ++o) {
        std::int64_t off = 0;
        for (std::size_t d = 0; d < win.spatial && off >= 0; ++d) {
          const std::int64_t pos = oidx[d] * win.stride[d] + kidx[d] * win.dilation[d] - win.pad_begin[d];
          off = (pos < 0 || pos >= win.in[d]) ? -1 : off + pos * in_strides[d];
        }
        source[std::size_t(kk * out_size + o)] = off;
        advance(oidx, win.out);
      }
      advance(kidx, kernel);
    }
  }
  std::visit([&](auto& o) {
    using S = typename std::decay_t<decltype(o)>::Scalar;
    const S* px = x.values<S>().data();
    const S* pw = w.values<S>().data();
    detail::row_matrix<S> col(rows, out_size);
    for (std::int64_t b = 0; b < n; ++b)
      for (std::int64_t g = 0; g < group; ++g) {
        for (std::int64_t ci = 0; ci < cg; ++ci) {
          const S* plane = px + (b * ch + g * cg + ci) * in_size;
          for (std::int64_t kk = 0; kk < k_size; ++kk) {
            S* row = col.data() + (ci * k_size + kk) * out_size;
            const std::int64_t* src = source.data() + kk * out_size;
            for (std::int64_t q = 0; q < out_size; ++q) row[q] = src[q] >= 0 ? plane[src[q]] : S(0);
          }
        }
        detail::mmap<S>(o.data() + (b * m + g * mg) * out_size, mg, out_size).noalias() =
            detail::cmap<S>(pw + g * mg * rows, mg, rows) * col;
      }
  }, out.data());
  if (c.has(2)) {
    const tensor& bias = c.in(2);
    if (bias.size() != m) throw shape_error("Conv bias has " + std::to_string(bias.size()) + " values for " + std::to_string(m) + " channels");
    shape_t bshape(out_shape.size(), 1);
    bshape[1] = m;
    out = tensor::broadcast(out, bias.reshape(bshape), t, std::plus<>{});
  }
  return single(wrap_to_type(std::move(out)));
}

template <class = void>  // instantiated only where the executor runs (keeps includes cheap)
std::vector<tensor> conv_transpose(const kernel_context& c) {
  const tensor& x_in = c.in(0);
  const tensor& w_in = c.in(1);
  if (x_in.rank() < 3 || w_in.rank() != x_in.rank()) throw shape_error("ConvTranspose needs input and weights of equal rank >= 3");
  const element_type t = tensor::promote(x_in.type(), w_in.type());
  const tensor x = x_in.type() == t ? x_in : x_in.cast(t);
  const tensor w = w_in.type() == t ? w_in : w_in.cast(t);
  const std::int64_t group = c.attr_int("group", 1);
  const std::int64_t n = x.shape()[0], ch = x.shape()[1], mg = w.shape()[1];
  if (group < 1 || w.shape()[0] != ch || ch % group != 0)
    throw shape_error("ConvTranspose input has " + std::to_string(ch) + " channels, weights " + to_string(w.shape()));
  const std::int64_t cg = ch / group, m = mg * group;
  const std::size_t sp = x.rank() - 2;
  const shape_t kernel(w.shape().begin() + 2, w.shape().end());
  const shape_t in(x.shape().begin() + 2, x.shape().end());
  const shape_t stride = detail::attr_or_fill(c, "strides", sp, 1), dil = detail::attr_or_fill(c, "dilations", sp, 1);
  const shape_t out_pad = detail::attr_or_fill(c, "output_padding", sp, 0);
  auto pads = c.attr_ints("pads");
  if (pads.empty()) pads.assign(2 * sp, 0);
  if (pads.size() != 2 * sp) throw shape_error("attribute 'pads' needs " + std::to_string(2 * sp) + " values");
  const std::string auto_pad = c.attr_string("auto_pad", "NOTSET");
  auto output_shape = c.attr_ints("output_shape");
  if (output_shape.size() == sp + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (!output_shape.empty() && output_shape.size() != sp)
    throw shape_error("ConvTranspose output_shape needs " + std::to_string(sp) + " spatial sizes, got " + std::to_string(output_shape.size()));
  shape_t out(sp), pb(sp), pe(sp);
  constexpr std::int64_t huge = std::int64_t(1) << 40;  // sizes checked before any product
  for (std::size_t d = 0; d < sp; ++d) {
    if (stride[d] < 1 || dil[d] < 1) throw shape_error("ConvTranspose strides and dilations must be positive");
    if (out_pad[d] < 0 || out_pad[d] >= std::max(stride[d], dil[d]))
      throw shape_error("ConvTranspose output_padding must be non-negative and below the stride or dilation");
    if (pads[d] < 0 || pads[d + sp] < 0) throw shape_error("ConvTranspose pads must not be negative");
    if (stride[d] > huge || dil[d] > huge || pads[d] > huge || pads[d + sp] > huge || out_pad[d] > huge)
      throw shape_error("ConvTranspose strides, dilations and pads must be below 2^40");
    const std::int64_t full = stride[d] * (in[d] - 1) + out_pad[d] + (kernel[d] - 1) * dil[d] + 1;
    if (!output_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out[d] = !output_shape.empty() ? output_shape[d] : in[d] * stride[d];
      if (out[d] > huge) throw shape_error("ConvTranspose output_shape must be below 2^40");
      const std::int64_t total = std::max<std::int64_t>(0, full - out[d]);
      pb[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe[d] = total - pb[d];
    } else {
      if (auto_pad == "VALID") pads.assign(2 * sp, 0);
      pb[d] = pads[d];
      pe[d] = pads[d + sp];
      out[d] = full - pb[d] - pe[d];
    }
    if (out[d] < 0) throw shape_error("ConvTranspose output would have a negative size");
  }
  const std::int64_t in_size = num_elements(in), out_size = num_elements(out), k_size = num_elements(kernel);
  shape_t out_shape{n, m};
  out_shape.insert(out_shape.end(), out.begin(), out.end());
  tensor result(t, out_shape);
  const shape_t out_strides = strides_of(out);
  std::visit([&](auto& o) {
    using S = typename std::decay_t<decltype(o)>::Scalar;
    const S* px = x.values<S>().data();
    const S* pw = w.values<S>().data();
    detail::row_matrix<S> col(mg * k_size, in_size);
    for (std::int64_t b = 0; b < n; ++b)
      for (std::int64_t g = 0; g < group; ++g) {
        // W_g is (cg, mg*k): col = W_g^T x_g, one column per input position.
        col.noalias() = detail::cmap<S>(pw + g * cg * mg * k_size, cg, mg * k_size).transpose() *
                        detail::cmap<S>(px + (b * ch + g * cg) * in_size, cg, in_size);
        for (std::int64_t mo = 0; mo < mg; ++mo) {
          S* plane = o.data() + (b * m + g * mg + mo) * out_size;
          shape_t kidx(sp, 0);
          for (std::int64_t kk = 0; kk < k_size; ++kk) {
            const S* row = col.data() + (mo * k_size + kk) * in_size;
            shape_t iidx(sp, 0);
            for (std::int64_t q = 0; q < in_size; ++q) {
              std::int64_t off = 0;
              for (std::size_t d = 0; d < sp && off >= 0; ++d) {
                const std::int64_t pos = iidx[d] * stride[d] + kidx[d] * dil[d] - pb[d];
                off = (pos < 0 || pos >= out[d]) ? -1 : off + pos * out_strides[d];
              }
              if (off >= 0) plane[off] += row[q];
              advance(iidx, in);
            }
            advance(kidx, kernel);
          }
        }
      }
  }, result.data());
  if (c.has(2)) {
    shape_t bshape(out_shape.size(), 1);
    bshape[1] = m;
    result = tensor::broadcast(result, c.in(2).reshape(bshape), t, std::plus<>{});
  }
  return single(wrap_to_type(std::move(result)));
}

}  // namespace nnrewrite::exec::kernels
