// Reading and writing ONNX files. A write never leaves a half-written file: the
// model goes to a temporary file beside the target, which is renamed over it.
#pragma once

#include <onnx/onnx_pb.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnrewrite/error.hpp"
#include "nnrewrite/onnx/export.hpp"
#include "nnrewrite/onnx/import.hpp"

namespace nnrewrite::onnx_io {

inline onnx::ModelProto read_model_proto(const std::filesystem::path& path) {
  const std::string bytes = read_regular_file(path);
  if (bytes.empty()) throw file_error("'" + path.string() + "' is empty");
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes))
    throw file_error("'" + path.string() + "' is not an ONNX model: protobuf parsing failed (truncated or corrupt file?)");
  if (!m.has_graph()) throw file_error("'" + path.string() + "' is not an ONNX model: it has no graph");
  return m;
}

// Loads an ONNX file into G. Every problem becomes a file_error whose message
// starts with the file name and names the node where one is at fault.
template <ir_graph G = model>
G load_onnx(const std::filesystem::path& path) {
  onnx::ModelProto m = read_model_proto(path);
  try {
    import_options opt;
    opt.base_dir = path.parent_path();
    return import_model<G>(m, opt);
  } catch (const error& e) {
    throw file_error(path.string() + ": " + e.what());
  }
}

namespace detail {
// Writes path atomically: `write(fd)` fills a temporary file beside it and returns
// what went wrong ("" for nothing); the file is then fsynced and renamed over
// path. On any failure path is untouched and the temporary file removed.
template <class Write>
void write_atomically(const std::filesystem::path& path, Write write) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw file_error("cannot write '" + path.string() + "': " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw file_error("cannot write '" + path.string() + "': " + what);
  };
  std::string problem;
  try {
    problem = write(fd);
  } catch (...) {
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw;
  }
  if (!problem.empty()) fail(problem);
  if (::fsync(fd) != 0) fail(std::string("fsync failed: ") + std::strerror(errno));
  ::fchmod(fd, 0644);
  if (::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    throw file_error("cannot write '" + path.string() + "': close failed: " + std::strerror(errno));
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmpl.c_str());
    throw file_error("cannot write '" + path.string() + "': rename failed: " + std::strerror(err));
  }
}
}  // namespace detail

// Writes bytes to path atomically (temporary file + fsync + rename).
inline void write_file_atomically(const std::filesystem::path& path, const std::string& bytes) {
  detail::write_atomically(path, [&](int fd) -> std::string {
    for (std::size_t done = 0; done < bytes.size();) {
      ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return std::string("write failed: ") + std::strerror(errno);
      }
      done += static_cast<std::size_t>(n);
    }
    return {};
  });
}

// Saves g as an ONNX file, atomically. The model is serialized straight into the
// file: no in-memory copy of its bytes beside the ModelProto (for a large model,
// as large as its weights).
template <ir_graph G>
void save_onnx(const G& g, const std::filesystem::path& path) {
  const onnx::ModelProto m = export_model(g);
  detail::write_atomically(path, [&](int fd) -> std::string {
    errno = 0;
    if (m.SerializeToFileDescriptor(fd)) return {};
    if (errno != 0) return std::string("write failed: ") + std::strerror(errno);
    return "cannot serialize the model (over 2 GiB?)";
  });
}

}  // namespace nnrewrite::onnx_io
