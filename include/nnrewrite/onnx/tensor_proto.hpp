// onnx::TensorProto <-> nnrewrite::tensor, for initializers, Constant nodes,
// tensor attributes and the ONNX test-data convention (one TensorProto per .pb).
#pragma once

#include <onnx/onnx_pb.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "nnrewrite/detail/half.hpp"
#include "nnrewrite/error.hpp"
#include "nnrewrite/ir/tensor.hpp"

namespace nnrewrite::onnx_io {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian; this host is not");

inline std::optional<element_type> from_onnx_elem_type(int t) {
  using P = onnx::TensorProto;
  switch (t) {
    case P::FLOAT: return element_type::float32;
    case P::DOUBLE: return element_type::float64;
    case P::FLOAT16: return element_type::float16;
    case P::BFLOAT16: return element_type::bfloat16;
    case P::INT8: return element_type::int8;
    case P::INT16: return element_type::int16;
    case P::INT32: return element_type::int32;
    case P::INT64: return element_type::int64;
    case P::UINT8: return element_type::uint8;
    case P::UINT16: return element_type::uint16;
    case P::UINT32: return element_type::uint32;
    case P::UINT64: return element_type::uint64;
    case P::BOOL: return element_type::boolean;
    default: return std::nullopt;  // STRING, COMPLEX64/128, UNDEFINED, newer types
  }
}

inline int to_onnx_elem_type(element_type t) {
  using P = onnx::TensorProto;
  constexpr int map[] = {P::FLOAT, P::DOUBLE, P::FLOAT16, P::BFLOAT16, P::INT8,   P::INT16, P::INT32,
                         P::INT64, P::UINT8,  P::UINT16,  P::UINT32,   P::UINT64, P::BOOL};
  return map[static_cast<int>(t)];
}

inline std::string onnx_elem_type_name(int t) {
  return onnx::TensorProto_DataType_IsValid(t) ? onnx::TensorProto_DataType_Name(onnx::TensorProto_DataType(t))
                                               : "element type " + std::to_string(t);
}

inline std::size_t byte_width(element_type t) {
  switch (t) {
    case element_type::int8: case element_type::uint8: case element_type::boolean: return 1;
    case element_type::int16: case element_type::uint16: case element_type::float16: case element_type::bfloat16: return 2;
    case element_type::int32: case element_type::uint32: case element_type::float32: return 4;
    default: return 8;
  }
}

namespace detail {

// Whether raw data of element type t is laid out as S values are in memory (t's
// wire type is S; ONNX's raw data is little-endian, as this code assumes the
// host is): then a whole tensor converts in one memcpy, not element by element.
template <class S>
constexpr bool is_wire_type(element_type t) {
  switch (t) {
    case element_type::float32: return std::is_same_v<S, float>;
    case element_type::float64: return std::is_same_v<S, double>;
    case element_type::int8: return std::is_same_v<S, std::int8_t>;
    case element_type::int16: return std::is_same_v<S, std::int16_t>;
    case element_type::int32: return std::is_same_v<S, std::int32_t>;
    case element_type::int64: return std::is_same_v<S, std::int64_t>;
    case element_type::uint8: return std::is_same_v<S, std::uint8_t>;
    case element_type::uint16: return std::is_same_v<S, std::uint16_t>;
    case element_type::uint32: return std::is_same_v<S, std::uint32_t>;
    case element_type::uint64: return std::is_same_v<S, std::uint64_t>;
    default: return false;  // float16, bfloat16 and boolean convert
  }
}

// Element i of little-endian raw bytes, as the tensor's storage scalar.
template <class S>
S read_raw(const char* p, element_type t) {
  auto get = [&](auto v) {
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  switch (t) {
    case element_type::float32: return S(get(float{}));
    case element_type::float64: return S(get(double{}));
    case element_type::float16: return S(nnrewrite::detail::half_to_float(get(std::uint16_t{})));
    case element_type::bfloat16: return S(nnrewrite::detail::bfloat16_to_float(get(std::uint16_t{})));
    case element_type::int8: return S(get(std::int8_t{}));
    case element_type::int16: return S(get(std::int16_t{}));
    case element_type::int32: return S(get(std::int32_t{}));
    case element_type::int64: return S(get(std::int64_t{}));
    case element_type::uint8: return S(get(std::uint8_t{}));
    case element_type::uint16: return S(get(std::uint16_t{}));
    case element_type::uint32: return S(get(std::uint32_t{}));
    case element_type::uint64: return S(get(std::uint64_t{}));
    case element_type::boolean: return S(get(std::uint8_t{}) != 0);
  }
  return S{};
}

template <class S>
void write_raw(char* p, element_type t, S v) {
  auto put = [&](auto x) { std::memcpy(p, &x, sizeof x); };
  switch (t) {
    case element_type::float32: put(float(v)); break;
    case element_type::float64: put(double(v)); break;
    case element_type::float16: put(nnrewrite::detail::float_to_half(float(v))); break;
    case element_type::bfloat16: put(nnrewrite::detail::float_to_bfloat16(float(v))); break;
    case element_type::int8: put(std::int8_t(v)); break;
    case element_type::int16: put(std::int16_t(v)); break;
    case element_type::int32: put(std::int32_t(v)); break;
    case element_type::int64: put(std::int64_t(v)); break;
    case element_type::uint8: put(std::uint8_t(v)); break;
    case element_type::uint16: put(std::uint16_t(v)); break;
    case element_type::uint32: put(std::uint32_t(v)); break;
    case element_type::uint64: put(std::uint64_t(v)); break;
    case element_type::boolean: put(std::uint8_t(v != 0)); break;
  }
}

// A non-negative decimal integer, or nullopt (no exceptions from library internals).
inline std::optional<std::int64_t> parse_count(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// The bytes of externally stored tensor data, following ONNX's rule: the location
// is relative to the model's directory and must stay inside it (no absolute path,
// no "..", no symbolic link out of it). `expected` bytes are checked against the
// file before anything is read or allocated.
inline std::string external_bytes(const onnx::TensorProto& t, const std::filesystem::path& model_dir, std::size_t expected) {
  namespace fs = std::filesystem;
  std::string location;
  std::int64_t offset = 0, length = -1;
  const std::string what = "tensor '" + t.name() + "': external data";
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      const auto v = parse_count(kv.value());
      if (!v) throw file_error(what + " " + kv.key() + " '" + kv.value() + "' is not a non-negative integer");
      (kv.key() == "offset" ? offset : length) = *v;
    }
  }
  if (location.empty()) throw file_error(what + " names no location");
  const fs::path loc(location);
  if (loc.is_absolute()) throw file_error(what + " location '" + location + "' is an absolute path; it must lie inside the model's directory");
  for (const auto& part : loc)  // as written: ONNX forbids ".." even when it stays inside
    if (part == "..") throw file_error(what + " location '" + location + "' leaves the model's directory");
  const fs::path dir = model_dir.empty() ? fs::path(".") : model_dir;
  const fs::path path = dir / loc;
  std::error_code ec;
  const fs::path real_dir = fs::canonical(dir, ec), real = fs::canonical(path, ec);
  if (ec) throw file_error(what + " file '" + path.string() + "' is absent or unreadable");
  auto [d, r] = std::mismatch(real_dir.begin(), real_dir.end(), real.begin(), real.end());
  if (d != real_dir.end()) throw file_error(what + " location '" + location + "' resolves outside the model's directory");
  if (!fs::is_regular_file(real)) throw file_error(what + " location '" + location + "' is not a regular file");
  const std::int64_t size = std::int64_t(fs::file_size(real, ec));
  if (ec) throw file_error(what + " file '" + path.string() + "' is absent or unreadable");
  if (offset > size) throw file_error(what + " offset " + std::to_string(offset) + " is past the end of '" + path.string() + "' (" + std::to_string(size) + " bytes)");
  if (length < 0) length = size - offset;
  if (length > size - offset)
    throw file_error(what + " wants " + std::to_string(length) + " bytes from offset " + std::to_string(offset) + " of '" +
                     path.string() + "', which has " + std::to_string(size));
  if (std::uint64_t(length) != expected)
    throw shape_error(what + " has " + std::to_string(length) + " bytes, its shape needs " + std::to_string(expected));
  std::ifstream in(real, std::ios::binary);
  if (!in) throw file_error(what + " file '" + path.string() + "' is absent or unreadable");
  std::string bytes(static_cast<std::size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  if (in.gcount() != length) throw file_error(what + " file '" + path.string() + "' could not be read");
  return bytes;
}

}  // namespace detail

// The whole of a regular file (a directory, a device or a missing file is a
// file_error naming it; nothing from the standard library's internals reaches the user).
inline std::string read_regular_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw file_error("'" + path.string() + "' does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) throw file_error("'" + path.string() + "' is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error("cannot open '" + path.string() + "': " + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw file_error("cannot read '" + path.string() + "'");
  return bytes;
}

// The tensor a TensorProto holds. base_dir resolves external data.
inline tensor from_tensor_proto(const onnx::TensorProto& t, const std::filesystem::path& base_dir = {}) {
  const std::string what = "tensor '" + t.name() + "'";
  auto et = from_onnx_elem_type(t.data_type());
  if (!et) throw unsupported_error(what + " has " + onnx_elem_type_name(t.data_type()) + ", which nnrewrite does not handle");
  if (t.has_segment()) throw unsupported_error(what + " is segmented");
  shape_t shape(t.dims().begin(), t.dims().end());
  // Sizes first, allocation after: a few bytes of file may claim any shape.
  std::int64_t n = 0;
  try {
    n = checked_num_elements(shape);
  } catch (const error& e) {
    throw shape_error(what + ": " + e.what());
  }
  const bool external = t.data_location() == onnx::TensorProto::EXTERNAL;
  const std::size_t w = byte_width(*et);
  const std::size_t needed = static_cast<std::size_t>(n) * w;
  if (external || t.has_raw_data()) {
    if (!external && t.raw_data().size() != needed)
      throw shape_error(what + " has " + std::to_string(t.raw_data().size()) + " bytes of data, its shape " + to_string(shape) +
                        " needs " + std::to_string(needed));
    std::string external_data;
    if (external) external_data = detail::external_bytes(t, base_dir, needed);
    const std::string& bytes = external ? external_data : t.raw_data();  // not a copy of the raw data
    tensor out = tensor::uninitialized(*et, shape);
    std::visit([&](auto& a) {
      using S = typename std::decay_t<decltype(a)>::Scalar;
      if (detail::is_wire_type<S>(*et)) {
        if (needed > 0) std::memcpy(static_cast<void*>(a.data()), bytes.data(), needed);
        return;
      }
      for (std::int64_t i = 0; i < n; ++i) a[i] = detail::read_raw<S>(bytes.data() + i * std::int64_t(w), *et);
    }, out.data());
    return out;
  }
  // Typed fields: float_data, double_data, int64_data, uint64_data, and int32_data for
  // every narrower type (float16/bfloat16 as their bit patterns).
  const int fields = t.float_data_size() + t.double_data_size() + t.int64_data_size() + t.uint64_data_size() + t.int32_data_size();
  if (fields != n)
    throw shape_error(what + " has " + std::to_string(fields) + " values, its shape " + to_string(shape) + " needs " + std::to_string(n));
  tensor out(*et, shape);
  auto copy = [&](const auto& field, auto convert) {
    if (field.size() != n)
      throw shape_error(what + " has " + std::to_string(field.size()) + " values, its shape " + to_string(shape) +
                        " needs " + std::to_string(n));
    std::visit([&](auto& a) {
      using S = typename std::decay_t<decltype(a)>::Scalar;
      for (std::int64_t i = 0; i < n; ++i) a[i] = static_cast<S>(convert(field[int(i)]));
    }, out.data());
  };
  auto same = [](auto v) { return v; };
  switch (*et) {
    case element_type::float32: copy(t.float_data(), same); break;
    case element_type::float64: copy(t.double_data(), same); break;
    case element_type::float16:
      copy(t.int32_data(), [](std::int32_t v) { return nnrewrite::detail::half_to_float(std::uint16_t(v)); });
      break;
    case element_type::bfloat16:
      copy(t.int32_data(), [](std::int32_t v) { return nnrewrite::detail::bfloat16_to_float(std::uint16_t(v)); });
      break;
    case element_type::int64: copy(t.int64_data(), same); break;
    case element_type::uint32:
    case element_type::uint64: copy(t.uint64_data(), same); break;
    default: copy(t.int32_data(), same);  // int8/16/32, uint8/16, bool
  }
  return out;
}

// A TensorProto with the tensor's data as little-endian raw_data.
inline onnx::TensorProto to_tensor_proto(const tensor& t, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(to_onnx_elem_type(t.type()));
  for (auto d : t.shape()) p.add_dims(d);
  const std::size_t w = byte_width(t.type());
  std::string bytes(static_cast<std::size_t>(t.size()) * w, '\0');
  std::visit([&](const auto& a) {
    using S = typename std::decay_t<decltype(a)>::Scalar;
    if (detail::is_wire_type<S>(t.type())) {
      if (!bytes.empty()) std::memcpy(bytes.data(), static_cast<const void*>(a.data()), bytes.size());
      return;
    }
    for (Eigen::Index i = 0; i < a.size(); ++i) detail::write_raw(bytes.data() + i * Eigen::Index(w), t.type(), a[i]);
  }, t.data());
  p.set_raw_data(std::move(bytes));
  return p;
}

// Reads one serialized TensorProto (the ONNX test-data .pb convention), with the
// name stored in it (may be empty).
inline std::pair<std::string, tensor> load_named_tensor(const std::filesystem::path& path) {
  const std::string bytes = read_regular_file(path);
  onnx::TensorProto p;
  if (bytes.empty() || !p.ParseFromString(bytes))
    throw file_error("'" + path.string() + "' is not a serialized ONNX TensorProto (empty, truncated or corrupt)");
  try {
    return {p.name(), from_tensor_proto(p, path.parent_path())};
  } catch (const error& e) {
    throw file_error(path.string() + ": " + e.what());
  }
}

inline tensor load_tensor(const std::filesystem::path& path) { return load_named_tensor(path).second; }

// Writes one TensorProto file (atomically is not needed for test data; callers
// that care use write_file_atomically from file.hpp).
inline std::string serialize_tensor(const tensor& t, const std::string& name) {
  std::string bytes;
  to_tensor_proto(t, name).SerializeToString(&bytes);
  return bytes;
}

}  // namespace nnrewrite::onnx_io
