// A hash for short names (op types, domain families) looked up on every visited
// node: the length and three characters, mixed. Op type names differ in those
// almost always, and the tables compare the whole name anyway, so this is
// several times cheaper than hashing every byte (std::hash's out-of-line Murmur).
#pragma once

#include <cstdint>
#include <string_view>

namespace nnrewrite::detail {

inline std::uint64_t short_name_hash(std::string_view s) {
  std::uint64_t h = s.size();
  if (!s.empty()) {
    h = h * 131 + std::uint8_t(s.front());
    h = h * 131 + std::uint8_t(s[s.size() / 2]);
    h = h * 131 + std::uint8_t(s.back());
  }
  return h * 0x9E3779B97F4A7C15ull;
}

struct name_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::size_t(short_name_hash(s)); }
};

}  // namespace nnrewrite::detail
