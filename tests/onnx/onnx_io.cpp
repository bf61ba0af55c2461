#include <catch2/catch.hpp>

#include <onnx/checker.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "foreign_ir.hpp"
#include "helpers.hpp"
#include "nnrewrite/exec.hpp"
#include "nnrewrite/ir/verify.hpp"
#include "nnrewrite/onnx.hpp"

namespace fs = std::filesystem;
using namespace nnrewrite;
using test::producer_of;
using test::T;

namespace {

fs::path scratch_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("nnrewrite_onnx_tests_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A ModelProto with a bit of everything import must keep.
onnx::ModelProto rich_model() {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.set_producer_name("hand");
  m.set_producer_version("1.0");
  m.set_doc_string("model doc");
  m.set_model_version(5);
  auto* kv = m.add_metadata_props();
  kv->set_key("origin");
  kv->set_value("tests");
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(13);
  auto* q = m.add_opset_import();
  q->set_domain("qonnx.custom_op.general");
  q->set_version(1);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("rich");
  g.set_doc_string("graph doc");
  auto add_value = [](onnx::ValueInfoProto* v, const std::string& name, int elem, std::vector<std::string> dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto* s = tt->mutable_shape();
    for (const auto& d : dims) {
      auto* x = s->add_dim();
      if (d == "?") continue;
      if (std::isdigit(static_cast<unsigned char>(d[0]))) x->set_dim_value(std::stoll(d));
      else x->set_dim_param(d);
    }
  };
  add_value(g.add_input(), "x", onnx::TensorProto::FLOAT, {"batch", "4"});
  // A weight that is also a graph input (an input with a default value).
  *g.add_initializer() = onnx_io::to_tensor_proto(tensor(element_type::float32, {4, 4}, std::vector<float>(16, 0.5f)), "w");
  add_value(g.add_input(), "w", onnx::TensorProto::FLOAT, {"4", "4"});
  auto* c = g.add_node();  // Constant node with value_floats
  c->set_op_type("Constant");
  c->add_output("thr");
  auto* a = c->add_attribute();
  a->set_name("value_floats");
  a->set_type(onnx::AttributeProto::FLOATS);
  a->add_floats(0.f);
  a->add_floats(1.f);
  auto* mm = g.add_node();
  mm->set_name("mm");
  mm->set_op_type("MatMul");
  mm->set_doc_string("the matmul");
  mm->add_input("x");
  mm->add_input("w");
  mm->add_output("h");
  auto* clip = g.add_node();  // Clip with an absent optional min
  clip->set_name("clip");
  clip->set_op_type("Clip");
  clip->add_input("h");
  clip->add_input("");
  clip->add_input("hi");
  clip->add_output("c");
  *g.add_initializer() = onnx_io::to_tensor_proto(tensor::scalar(6.0), "hi");
  auto* mt = g.add_node();
  mt->set_name("mt");
  mt->set_op_type("MultiThreshold");
  mt->set_domain("qonnx.custom_op.general");
  mt->add_input("c");
  mt->add_input("thr2");
  mt->add_output("y");
  auto* at = mt->add_attribute();
  at->set_name("out_dtype");
  at->set_type(onnx::AttributeProto::STRING);
  at->set_s("UINT2");
  *g.add_initializer() = onnx_io::to_tensor_proto(tensor(element_type::float32, {1, 2}, {0.f, 1.f}), "thr2");
  add_value(g.add_value_info(), "h", onnx::TensorProto::FLOAT, {"batch", "4"});
  add_value(g.add_output(), "y", onnx::TensorProto::FLOAT, {"batch", "4"});
  add_value(g.add_output(), "thr", onnx::TensorProto::FLOAT, {"2"});
  auto* qa = g.add_quantization_annotation();
  qa->set_tensor_name("y");
  auto* p1 = qa->add_quant_parameter_tensor_names();
  p1->set_key("finn_datatype");
  p1->set_value("UINT2");
  auto* p2 = qa->add_quant_parameter_tensor_names();
  p2->set_key("tensor_layout");
  p2->set_value("['N', 'C']");
  auto* qw = g.add_quantization_annotation();
  qw->set_tensor_name("w");
  auto* p3 = qw->add_quant_parameter_tensor_names();
  p3->set_key("finn_datatype");
  p3->set_value("FIXED<8,2>");
  return m;
}

}  // namespace

TEST_CASE("import keeps names, shapes, annotations, constants and model facts", "[onnx]") {
  model g = onnx_io::import_model(rich_model());
  CHECK(verify(g).empty());
  CHECK(g.info.graph_name == "rich");
  CHECK(g.info.graph_doc_string == "graph doc");
  CHECK(g.info.doc_string == "model doc");
  CHECK(g.info.producer_name == "hand");
  CHECK(g.info.model_version == 5);
  CHECK(g.info.metadata == std::vector<std::pair<std::string, std::string>>{{"origin", "tests"}});
  CHECK(g.info.opsets.size() == 2);
  CHECK(g.info.initializer_inputs == std::vector<std::string>{"w"});
  const value_info& x = T::value(g, producer_of(g, "x"), 0);
  CHECK((*x.shape)[0].param == "batch");
  CHECK(T::kind(g, producer_of(g, "w")) == node_kind::constant);
  CHECK(T::value(g, producer_of(g, "w"), 0).dtype == data_type::fixed(8, 2));
  CHECK(T::kind(g, producer_of(g, "thr")) == node_kind::constant);  // from a Constant node
  CHECK(T::constant_value(g, producer_of(g, "thr"))->to_doubles() == std::vector<double>{0, 1});
  auto clip = producer_of(g, "c");
  CHECK_FALSE(operand(g, clip, 1));  // the absent min stays absent
  CHECK(operand(g, clip, 2)->node == producer_of(g, "hi"));
  const value_info& y = T::value(g, producer_of(g, "y"), 0);
  CHECK(y.dtype == data_type::uint(2));
  CHECK(y.layout == "NC");
  CHECK(T::domain(g, producer_of(g, "y")) == "qonnx.custom_op.general");
  CHECK(g[producer_of(g, "h")].doc_string == "the matmul");
}

TEST_CASE("export keeps what import kept, and a second round trip changes nothing", "[onnx]") {
  model g = onnx_io::import_model(rich_model());
  onnx::ModelProto m = onnx_io::export_model(g);
  CHECK(m.producer_name() == "hand");
  CHECK(m.graph().doc_string() == "graph doc");
  CHECK(m.metadata_props_size() == 1);
  CHECK(m.graph().input_size() == 2);  // x, and w again as an input with a default
  model h = onnx_io::import_model(m);
  CHECK(to_text(h) == to_text(g));
  CHECK(h.info == g.info);
  CHECK(to_text(onnx_io::import_model(onnx_io::export_model(h))) == to_text(h));
  // Same function: run both.
  exec::tensor_map in{{"x", tensor(element_type::float32, {3, 4}, std::vector<float>(12, 0.25f))}};
  auto a = exec::execute(g, in), b = exec::execute(h, in);
  CHECK(exec::exactly_equal(a.at("y"), b.at("y")));
}

// FINN's MakeScaleResizeNHWC test models: Resize reads a `roi` nothing produces.
onnx::ModelProto resize_with_dangling_roi(const std::string& mode) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(13);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("resize");
  auto value = [](onnx::ValueInfoProto* v, const std::string& name, std::vector<std::int64_t> dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  };
  value(g.add_input(), "x", {1, 2, 3, 3});
  value(g.add_output(), "y", {1, 2, 6, 6});
  auto* scales = g.add_initializer();
  scales->set_name("scales");
  scales->set_data_type(onnx::TensorProto::FLOAT);
  scales->add_dims(4);
  for (float f : {1.f, 1.f, 2.f, 2.f}) scales->add_float_data(f);
  auto* n = g.add_node();
  n->set_name("up");
  n->set_op_type("Resize");
  for (const char* in : {"x", "roi", "scales"}) n->add_input(in);
  n->add_output("y");
  auto* a = n->add_attribute();
  a->set_name("mode");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("nearest");
  if (!mode.empty()) {
    auto* c = n->add_attribute();
    c->set_name("coordinate_transformation_mode");
    c->set_type(onnx::AttributeProto::STRING);
    c->set_s(mode);
  }
  return m;
}

TEST_CASE("a dangling operand the op ignores (Resize roi) is accepted with a warning and exported back", "[onnx]") {
  const std::string mode = GENERATE(std::string(), std::string("asymmetric"));
  std::vector<std::string> warnings;
  onnx_io::import_options opt;
  opt.warn = [&](const std::string& w) { warnings.push_back(w); };
  model g = onnx_io::import_model(resize_with_dangling_roi(mode), opt);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("'up'") != std::string::npos);
  CHECK(warnings[0].find("'roi'") != std::string::npos);
  CHECK(verify(g).empty());
  const auto up = producer_of(g, "y");
  CHECK_FALSE(operand(g, up, 1));
  CHECK(operand(g, up, 2));
  // The graph runs: 3x3 -> 6x6, nearest.
  exec::tensor_map in{{"x", tensor(element_type::float32, {1, 2, 3, 3}, std::vector<float>(18, 0.5f))}};
  CHECK(exec::execute(g, in).at("y").shape() == shape_t{1, 2, 6, 6});
  // Exported the way it came: the name is back at input 1, still produced by nothing.
  const onnx::ModelProto m = onnx_io::export_model(g);
  const onnx::NodeProto* node = nullptr;
  for (const auto& n : m.graph().node())
    if (n.op_type() == "Resize") node = &n;
  REQUIRE(node);
  REQUIRE(node->input_size() == 3);
  CHECK(node->input(1) == "roi");
  CHECK(node->input(2) == "scales");
  model h = onnx_io::import_model(m, opt);
  CHECK(h.info.dangling_operands == g.info.dangling_operands);
  CHECK(warnings.size() == 2);
  // From then on the round trip is exact (the first export fills in the producer).
  model k = onnx_io::import_model(onnx_io::export_model(h), opt);
  CHECK(to_text(k) == to_text(h));
  CHECK(k.info == h.info);
}

TEST_CASE("a dangling operand the op reads is still an error naming the node", "[onnx][errors]") {
  // tf_crop_and_resize reads the roi.
  CHECK_THROWS_WITH(onnx_io::import_model(resize_with_dangling_roi("tf_crop_and_resize")),
                    Catch::Contains("up") && Catch::Contains("reads value 'roi'"));
}

TEST_CASE("the ONNX checker accepts exported standard-op models", "[onnx]") {
  auto text = GENERATE(as<std::string>{},
      "graph { input %x: float32[1,3,8,8]\n const %w: float32[4,3,3,3] = splat 0.1\n"
      " node Conv(%x, %w) {pads = [1, 1, 1, 1]} -> %y: float32[1,4,8,8]\n output %y }",
      "graph { input %x: float32[2,5]\n const %w: float32[5,3] = splat 1\n const %b: float32[3] = [1, 2, 3]\n"
      " node MatMul(%x, %w) -> %h: float32[2,3]\n node Add(%h, %b) -> %y: float32[2,3]\n"
      " node TopK(%y, %k) {axis = -1} -> %v: float32[2,1], %i: int64[2,1]\n const %k: int64[1] = [1]\n output %i }",
      "graph { input %x: float32[1,8]\n node Relu(%x) -> %r: float32[1,8]\n output %r as \"renamed\" }");
  model g = parse_text(text);
  onnx::ModelProto m = onnx_io::export_model(g);
  CHECK_NOTHROW(onnx::checker::check_model(m));
}

TEST_CASE("tensors of every element type survive TensorProto both ways", "[onnx]") {
  for (int k = 0; k <= static_cast<int>(element_type::boolean); ++k) {
    const auto t = static_cast<element_type>(k);
    tensor x(t, {5});
    const double vals[] = {0, 1, t == element_type::boolean ? 0.0 : 2.0, t == element_type::boolean ? 1.0 : 100.0, t == element_type::boolean ? 1.0 : 3.0};
    for (int i = 0; i < 5; ++i) x.set(i, vals[i]);
    INFO(to_string(t));
    CHECK(onnx_io::from_tensor_proto(onnx_io::to_tensor_proto(x, "x")) == x);
    const tensor none(t, {0, 3});  // no elements: nothing to copy either way
    CHECK(onnx_io::from_tensor_proto(onnx_io::to_tensor_proto(none, "none")) == none);
  }
  // Raw data is little-endian values. float32, float64 and int64 are stored as
  // such and copied as one buffer: the bytes must be exactly these.
  auto raw_of = [](element_type t, std::initializer_list<double> v) {
    tensor x(t, {std::int64_t(v.size())});
    std::int64_t i = 0;
    for (double d : v) x.set(i++, d);
    return onnx_io::to_tensor_proto(x, "x").raw_data();
  };
  using namespace std::string_literals;
  CHECK(raw_of(element_type::float32, {1.5, -2}) == "\x00\x00\xc0\x3f\x00\x00\x00\xc0"s);
  CHECK(raw_of(element_type::float64, {1}) == "\x00\x00\x00\x00\x00\x00\xf0\x3f"s);
  CHECK(raw_of(element_type::int64, {258, -1}) == "\x02\x01\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"s);
  CHECK(raw_of(element_type::int32, {258}) == "\x02\x01\x00\x00"s);  // converted element by element
  onnx::TensorProto raw;
  raw.set_data_type(onnx::TensorProto::FLOAT);
  raw.add_dims(2);
  raw.set_raw_data("\x00\x00\xc0\x3f\x00\x00\x00\xc0"s);
  CHECK(onnx_io::from_tensor_proto(raw).to_doubles() == std::vector<double>{1.5, -2});
  // Typed fields (not raw_data), as older writers store them.
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT8);
  p.add_dims(3);
  for (int v : {-5, 0, 7}) p.add_int32_data(v);
  CHECK(onnx_io::from_tensor_proto(p).to_ints() == std::vector<std::int64_t>{-5, 0, 7});
  p.add_int32_data(1);
  CHECK_THROWS_WITH(onnx_io::from_tensor_proto(p), Catch::Contains("has 4 values") && Catch::Contains("needs 3"));
  onnx::TensorProto half;
  half.set_data_type(onnx::TensorProto::FLOAT16);
  half.add_dims(2);
  half.add_int32_data(0x3C00);  // 1.0
  half.add_int32_data(0xC000);  // -2.0
  CHECK(onnx_io::from_tensor_proto(half).to_doubles() == std::vector<double>{1.0, -2.0});
}

TEST_CASE("bad files give a clear error naming the file", "[onnx][errors]") {
  fs::path d = scratch_dir("bad");
  CHECK_THROWS_WITH(onnx_io::load_onnx(d / "missing.onnx"), Catch::Contains("missing.onnx") && Catch::Contains("does not exist"));
  std::ofstream(d / "empty.onnx").close();
  CHECK_THROWS_WITH(onnx_io::load_onnx(d / "empty.onnx"), Catch::Contains("empty.onnx") && Catch::Contains("empty"));
  std::ofstream(d / "garbage.onnx") << "\xff\xff\xff\xff not a protobuf";
  CHECK_THROWS_AS(onnx_io::load_onnx(d / "garbage.onnx"), file_error);
  // A real model cut short.
  std::string bytes;
  rich_model().SerializeToString(&bytes);
  std::ofstream(d / "truncated.onnx", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  CHECK_THROWS_WITH(onnx_io::load_onnx(d / "truncated.onnx"), Catch::Contains("truncated.onnx"));
}

TEST_CASE("constructs nnrewrite cannot hold are refused by name", "[onnx][errors]") {
  SECTION("control flow") {
    onnx::ModelProto m = rich_model();
    auto* n = m.mutable_graph()->add_node();
    n->set_name("branch");
    n->set_op_type("If");
    n->add_input("x");
    n->add_output("z");
    auto* a = n->add_attribute();
    a->set_name("then_branch");
    a->set_type(onnx::AttributeProto::GRAPH);
    a->mutable_g()->set_name("then");
    CHECK_THROWS_AS(onnx_io::import_model(m), unsupported_error);
    CHECK_THROWS_WITH(onnx_io::import_model(m), Catch::Contains("node 'branch'") && Catch::Contains("sub-graph"));
  }
  SECTION("string tensors") {
    onnx::ModelProto m = rich_model();
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name("words");
    t->set_data_type(onnx::TensorProto::STRING);
    CHECK_THROWS_WITH(onnx_io::import_model(m), Catch::Contains("'words'") && Catch::Contains("STRING"));
  }
  SECTION("a value nothing produces") {
    onnx::ModelProto m = rich_model();
    m.mutable_graph()->mutable_node(1)->set_input(1, "ghost");
    CHECK_THROWS_WITH(onnx_io::import_model(m), Catch::Contains("node 'mm'") && Catch::Contains("'ghost'"));
  }
  SECTION("a value produced twice") {
    onnx::ModelProto m = rich_model();
    m.mutable_graph()->mutable_node(2)->set_output(0, "h");
    CHECK_THROWS_WITH(onnx_io::import_model(m), Catch::Contains("'h'") && Catch::Contains("already produced"));
  }
  SECTION("an unknown QONNX data type") {
    onnx::ModelProto m = rich_model();
    m.mutable_graph()->mutable_quantization_annotation(0)->mutable_quant_parameter_tensor_names(0)->set_value("INT0");
    CHECK_THROWS_WITH(onnx_io::import_model(m), Catch::Contains("unknown finn_datatype 'INT0'"));
  }
}

TEST_CASE("external tensor data is read beside the model, and its absence named", "[onnx][errors]") {
  fs::path d = scratch_dir("external");
  onnx::ModelProto m = rich_model();
  onnx::TensorProto& w = *m.mutable_graph()->mutable_initializer(0);
  std::string raw = w.raw_data();
  w.clear_raw_data();
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* loc = w.add_external_data();
  loc->set_key("location");
  loc->set_value("weights.bin");
  std::string bytes;
  m.SerializeToString(&bytes);
  std::ofstream(d / "model.onnx", std::ios::binary) << bytes;
  CHECK_THROWS_WITH(onnx_io::load_onnx(d / "model.onnx"), Catch::Contains("'w'") && Catch::Contains("weights.bin") &&
                                                             Catch::Contains("absent"));
  std::ofstream(d / "weights.bin", std::ios::binary) << raw;
  model g = onnx_io::load_onnx(d / "model.onnx");
  CHECK(T::constant_value(g, producer_of(g, "w"))->get(15) == 0.5);
}

TEST_CASE("external data: a bare model name works, and paths out of the model's directory are refused", "[onnx][errors]") {
  fs::path d = scratch_dir("external_rules");
  onnx::ModelProto m = rich_model();
  onnx::TensorProto& w = *m.mutable_graph()->mutable_initializer(0);
  const std::string raw = w.raw_data();
  w.clear_raw_data();
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* loc = w.add_external_data();
  loc->set_key("location");
  auto write = [&](const std::string& location, const fs::path& file) {
    loc->set_value(location);
    std::string bytes;
    m.SerializeToString(&bytes);
    std::ofstream(file, std::ios::binary) << bytes;
  };
  std::ofstream(d / "weights.bin", std::ios::binary) << raw;
  write("weights.bin", d / "model.onnx");
  // D09b: opened by a bare relative name, the model still finds its data.
  const fs::path cwd = fs::current_path();
  fs::current_path(d);
  model g;
  CHECK_NOTHROW(g = onnx_io::load_onnx("model.onnx"));
  fs::current_path(cwd);
  CHECK(T::constant_value(g, producer_of(g, "w"))->get(15) == 0.5);
  // D09: outside the model's directory, by absolute path, "..", or a symbolic link.
  fs::create_directories(d / "sub");
  fs::copy_file(d / "weights.bin", d / "outside.bin");
  write((d / "weights.bin").string(), d / "sub" / "abs.onnx");
  CHECK_THROWS_WITH(onnx_io::load_onnx(d / "sub" / "abs.onnx"), Catch::Contains("'w'") && Catch::Contains("absolute path"));
  write("../outside.bin", d / "sub" / "dotdot.onnx");
  CHECK_THROWS_WITH(onnx_io::load_onnx(d / "sub" / "dotdot.onnx"), Catch::Contains("leaves the model's directory"));
  fs::create_symlink(d / "outside.bin", d / "sub" / "link.bin");
  write("link.bin", d / "sub" / "link.onnx");
  CHECK_THROWS_WITH(onnx_io::load_onnx(d / "sub" / "link.onnx"), Catch::Contains("resolves outside the model's directory"));
  write("x/../weights.bin", d / "inner.onnx");  // ".." that stays inside is refused too: ONNX forbids it
  CHECK_THROWS_WITH(onnx_io::load_onnx(d / "inner.onnx"), Catch::Contains("leaves the model's directory"));
}

TEST_CASE("ONNX files that used to change on a text round trip come back the same", "[onnx][text]") {
  // D20 (symbolic dim "7e"), D21 (uint64 >= 2^63), D22 (op type "Re.lu"); files from ../shared/repro.
  for (const char* file : {"D20_rt_dimparam_7e.onnx", "D21_rt_uint64_max.onnx", "D22_rt_optype_with_dot.onnx"}) {
    INFO(file);
    const model g = onnx_io::load_onnx(fs::path(NNREWRITE_SOURCE_DIR) / "tests" / "bad_inputs" / file);
    const std::string text = to_text(g);
    model back;
    REQUIRE_NOTHROW(back = parse_text(text));
    CHECK(to_text(back) == text);
    CHECK(onnx_io::export_model(back).SerializeAsString() == onnx_io::export_model(g).SerializeAsString());
  }
}

TEST_CASE("saving is atomic: a failed save leaves nothing behind", "[onnx]") {
  fs::path d = scratch_dir("save");
  model g = onnx_io::import_model(rich_model());
  onnx_io::save_onnx(g, d / "out.onnx");
  CHECK(to_text(onnx_io::load_onnx(d / "out.onnx")) == to_text(g));
  // Serialized straight into the file: the same bytes as serializing to memory.
  std::ifstream saved(d / "out.onnx", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
  CHECK(bytes == onnx_io::export_model(g).SerializeAsString());
  // Writing over a directory fails at the rename; the temporary file is removed.
  fs::create_directories(d / "a_directory.onnx");
  CHECK_THROWS_WITH(onnx_io::save_onnx(g, d / "a_directory.onnx"), Catch::Contains("a_directory.onnx"));
  CHECK_THROWS_AS(onnx_io::save_onnx(g, d / "no" / "such" / "dir.onnx"), file_error);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(d)) {
    ++files;
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  }
  CHECK(files == 2);  // out.onnx and a_directory.onnx
}

TEST_CASE("import builds any IR through ir_traits, not just nnrewrite::model", "[onnx]") {
  model g = parse_text(R"(graph {
    opset "" 13
    input %x: float32[1,4]
    const %w: float32[4,4] = splat 0.5
    node mm: MatMul(%x, %w) -> %mm: float32[1,4]
    node y: Relu(%mm) -> %y: float32[1,4]
    output %y })");
  auto net = onnx_io::import_model<awesome::net>(onnx_io::export_model(g));
  CHECK(net.nodes.size() == 5);
  CHECK(net.find("mm")->input_node_names == std::vector<std::string>{"x", "w"});
  CHECK(to_text(net) == to_text(parse_text<awesome::net>(to_text(g))));
}
