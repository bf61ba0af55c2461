// A character scanner for the text format: whitespace and '#' comments, bare
// words, quoted strings, numbers, punctuation, with line:column for errors.
#pragma once

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "nnrewrite/error.hpp"

namespace nnrewrite::detail {

inline bool is_bare_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/';
}

inline bool is_bare(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_bare_char(c)) return false;
  return true;
}

inline std::string quote(std::string_view s) {
  std::string r = "\"";
  for (char c : s) {
    switch (c) {
      case '"': r += "\\\""; break;
      case '\\': r += "\\\\"; break;
      case '\n': r += "\\n"; break;
      case '\t': r += "\\t"; break;
      case '\r': r += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          const char* hex = "0123456789abcdef";
          r += "\\x";
          r += hex[(c >> 4) & 0xf];
          r += hex[c & 0xf];
        } else {
          r += c;
        }
    }
  }
  return r + "\"";
}

// A name printed bare when it can be, quoted otherwise.
inline std::string name_token(std::string_view s) { return is_bare(s) ? std::string(s) : quote(s); }

class scanner {
 public:
  explicit scanner(std::string_view src) : src_(src) {}

  // Positions are byte offsets; line and column are worked out only for an error.
  using position = std::size_t;

  [[noreturn]] void fail(const std::string& problem) const { fail_at(pos_, problem); }
  [[noreturn]] void fail_at(position at, const std::string& problem) const {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw parse_error(line, column, problem);
  }

  void reset(position p) { pos_ = p; }

  // The offset of the next token.
  position here() {
    skip_space();
    return pos_;
  }

  void skip_space() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  bool at_end() {
    skip_space();
    return pos_ >= src_.size();
  }

  char peek() {
    skip_space();
    return pos_ < src_.size() ? src_[pos_] : '\0';
  }
  // The character right here, without skipping space (for tokens that must touch).
  char peek_raw() const { return pos_ < src_.size() ? src_[pos_] : '\0'; }

  bool consume(std::string_view punct) {
    skip_space();
    if (src_.substr(pos_).starts_with(punct)) {
      pos_ += punct.size();
      return true;
    }
    return false;
  }

  void expect(std::string_view punct, std::string_view context) {
    if (!consume(punct)) fail("expected '" + std::string(punct) + "' " + std::string(context) + ", found " + found());
  }

  // What stands here, for error messages.
  std::string found() {
    skip_space();
    if (pos_ >= src_.size()) return "end of input";
    std::size_t end = pos_;
    while (end < src_.size() && end - pos_ < 20 && !std::isspace(static_cast<unsigned char>(src_[end]))) ++end;
    return "'" + std::string(src_.substr(pos_, std::max<std::size_t>(end - pos_, 1))) + "'";
  }

  // A bare word of [A-Za-z0-9_./]; empty when none is here.
  std::string_view bare() {
    skip_space();
    std::size_t start = pos_;
    while (pos_ < src_.size() && is_bare_char(src_[pos_])) ++pos_;
    return src_.substr(start, pos_ - start);
  }

  bool at_word(std::string_view w) {
    skip_space();
    std::size_t save = pos_;
    bool ok = bare() == w;
    pos_ = save;
    return ok;
  }

  bool consume_word(std::string_view w) {
    skip_space();
    std::size_t save = pos_;
    if (bare() == w) return true;
    pos_ = save;
    return false;
  }

  std::string string_literal() {
    const position start = here();
    if (!consume("\"")) fail("expected a quoted string, found " + found());
    std::string r;
    while (true) {
      if (pos_ >= src_.size()) fail_at(start, "unterminated string");
      char c = src_[pos_++];
      if (c == '"') return r;
      if (c == '\n') fail_at(start, "unterminated string (newline inside quotes)");
      if (c != '\\') {
        r += c;
        continue;
      }
      if (pos_ >= src_.size()) fail("unterminated escape in string");
      char e = src_[pos_++];
      switch (e) {
        case '"': r += '"'; break;
        case '\\': r += '\\'; break;
        case 'n': r += '\n'; break;
        case 't': r += '\t'; break;
        case 'r': r += '\r'; break;
        case 'x': {
          if (pos_ + 2 > src_.size()) fail("\\x needs two hex digits");
          unsigned v = 0;
          auto [p, ec] = std::from_chars(src_.data() + pos_, src_.data() + pos_ + 2, v, 16);
          if (ec != std::errc{} || p != src_.data() + pos_ + 2) fail("\\x needs two hex digits");
          pos_ += 2;
          r += static_cast<char>(v);
          break;
        }
        default: fail(std::string("unknown escape \\") + e + " in string");
      }
    }
  }

  // A bare word or a quoted string.
  std::string name(std::string_view what) {
    if (peek() == '"') return string_literal();
    auto b = bare();
    if (b.empty()) fail("expected " + std::string(what) + ", found " + found());
    return std::string(b);
  }

  // The text of a number: [+-] digits [. digits] [e [+-] digits], or [+-]nan / [+-]inf.
  std::string_view number_text() {
    skip_space();
    std::size_t start = pos_;
    if (pos_ < src_.size() && (src_[pos_] == '-' || src_[pos_] == '+')) ++pos_;
    if (src_.substr(pos_).starts_with("nan") || src_.substr(pos_).starts_with("inf")) {
      pos_ += 3;
      return src_.substr(start, pos_ - start);
    }
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      bool exp_sign = (c == '-' || c == '+') && pos_ > start && (src_[pos_ - 1] == 'e' || src_[pos_ - 1] == 'E');
      if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || exp_sign) ++pos_;
      else break;
    }
    return src_.substr(start, pos_ - start);
  }

  static bool looks_float(std::string_view t) {
    return t.find_first_of(".eEni") != std::string_view::npos;  // '.', exponent, nan, inf
  }

  template <class T>
  T parse_number(std::string_view t, position at) const {
    std::string_view body = t;
    bool neg = false;
    if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
      neg = body[0] == '-';
      if constexpr (std::is_floating_point_v<T>) body.remove_prefix(1);
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (body == "nan") return std::numeric_limits<T>::quiet_NaN();
      if (body == "inf") return neg ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    }
    if (!body.empty() && body[0] == '+') body.remove_prefix(1);
    T v{};
    auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
    if (ec == std::errc::result_out_of_range) fail_at(at, "number '" + std::string(t) + "' is out of range");
    if (ec != std::errc{} || p != body.data() + body.size() || body.empty())
      fail_at(at, t.empty() ? "expected a number" : "'" + std::string(t) + "' is not a valid number");
    if constexpr (std::is_floating_point_v<T>) return neg ? -v : v;
    return v;
  }

  std::int64_t integer(std::string_view what) {
    position at = here();
    auto t = number_text();
    if (t.empty()) fail("expected " + std::string(what) + ", found " + found());
    if (looks_float(t)) fail_at(at, "expected an integer for " + std::string(what) + ", found '" + std::string(t) + "'");
    return parse_number<std::int64_t>(t, at);
  }

 private:
  std::string_view src_;
  std::size_t pos_ = 0;
};

}  // namespace nnrewrite::detail
