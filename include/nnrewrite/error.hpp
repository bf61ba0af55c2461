// nnrewrite::error and its children: every problem with user input is one of these.
//
// The hierarchy (what() always names the node or position and the problem):
//   error                  base; catch this to handle every nnrewrite failure
//   ├─ graph_error         a graph is malformed (cycle, dangling operand, arity, duplicate name);
//   │                      node() names the offending node
//   ├─ shape_error         tensor or value shapes that cannot work together
//   ├─ type_error          an unknown or unusable data type / element type / attribute type
//   ├─ parse_error         text that does not parse; line() and column() locate it
//   ├─ file_error          a file that cannot be read, is not what it claims, or cannot be written
//   ├─ limit_error         a size over a configured limit (tensor_limits(): raise it to go on)
//   └─ unsupported_error   a valid construct nnrewrite does not handle (sub-graphs, an op's mode)
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace nnrewrite {

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class graph_error : public error {
 public:
  graph_error(std::string node, const std::string& problem)
      : error(node.empty() ? problem : "node '" + node + "': " + problem), node_(std::move(node)) {}
  const std::string& node() const noexcept { return node_; }

 private:
  std::string node_;
};

class shape_error : public error {
 public:
  using error::error;
};

class type_error : public error {
 public:
  using error::error;
};

class parse_error : public error {
 public:
  parse_error(std::size_t line, std::size_t column, const std::string& problem)
      : error(std::to_string(line) + ":" + std::to_string(column) + ": " + problem),
        line_(line),
        column_(column) {}
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }

 private:
  std::size_t line_;
  std::size_t column_;
};

class file_error : public error {
 public:
  using error::error;
};

class limit_error : public error {
 public:
  using error::error;
};

class unsupported_error : public error {
 public:
  using error::error;
};

}  // namespace nnrewrite
