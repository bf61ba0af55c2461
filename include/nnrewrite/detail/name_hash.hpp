// A hash for short names (op types, domain families) looked up on every visited
// node: the length and three characters, mixed. Op type names differ in those
// almost always, and the tables compare the whole name anyway, so this is
// several times cheaper than hashing every byte (std::hash's out-of-line Murmur).
#pragma once

#include <cstdint>
#include <cstring>
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

// A hash of every byte, eight at a time, inline: value and node names are short
// (10-30 bytes) and tell apart only in their middle ("MatMul_3_out0"), and the
// name index hashes every name of the graph once per driver run that creates
// one. About a third of std::hash's out-of-line cost on such names.
inline std::uint64_t full_name_hash(std::string_view s) {
  constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = s.size() * k;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  if (i < s.size()) {
    std::uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * k;
  }
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  return h ^ (h >> 32);
}

struct name_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::size_t(short_name_hash(s)); }
};

}  // namespace nnrewrite::detail
