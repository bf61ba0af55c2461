#include <catch2/catch.hpp>

#include "nnrewrite/ir/data_type.hpp"

using nnrewrite::data_type;

TEST_CASE("data_type parses and prints every QONNX name", "[data_type]") {
  auto name = GENERATE(as<std::string>{}, "BINARY", "BIPOLAR", "TERNARY", "FLOAT32", "FLOAT16", "INT1", "INT2",
                       "INT4", "INT8", "INT32", "INT64", "UINT2", "UINT8", "UINT23", "UINT64", "FIXED<16,3>",
                       "FIXED<8,8>" /* int bits < total: rejected below */, "SCALEDINT<8>", "INT100");
  auto t = data_type::try_parse(name);
  if (name == "FIXED<8,8>") {
    CHECK_FALSE(t);
  } else {
    REQUIRE(t);
    CHECK(t->name() == name);
    CHECK(data_type::parse(t->name()) == *t);
  }
}

TEST_CASE("data_type: UINT1 is BINARY and spaces are allowed inside FIXED", "[data_type]") {
  CHECK(data_type::parse("UINT1") == data_type::binary());
  CHECK(data_type::parse("UINT1").name() == "BINARY");
  CHECK(data_type::parse("FIXED< 16 , 3 >") == data_type::fixed(16, 3));
}

TEST_CASE("data_type rejects malformed names with a clear error", "[data_type]") {
  auto bad = GENERATE(as<std::string>{}, "", "INT", "INT0", "UINT-3", "INT4x", "FIXED<16>", "FIXED<3,16>",
                      "SCALEDINT<>", "float32", "INT2000", "BIPOLAR ");
  CHECK_FALSE(data_type::try_parse(bad));
  CHECK_THROWS_AS(data_type::parse(bad), nnrewrite::type_error);
  CHECK_THROWS_WITH(data_type::parse(bad), Catch::Contains("unknown QONNX data type"));
}

TEST_CASE("data_type ranges follow QONNX", "[data_type]") {
  CHECK(data_type::int_(4).min() == -8);
  CHECK(data_type::int_(4).max() == 7);
  CHECK(data_type::uint(4).min() == 0);
  CHECK(data_type::uint(4).max() == 15);
  CHECK(data_type::int_(1).min() == -1);
  CHECK(data_type::int_(1).max() == 0);
  CHECK(data_type::binary().max() == 1);
  CHECK(data_type::bipolar().min() == -1);
  CHECK(data_type::bipolar().max() == 1);
  CHECK(data_type::ternary().bitwidth() == 2);
  CHECK(data_type::uint(32).max() == 4294967295.0);
  // FIXED<16,3>: 13 fractional bits
  auto f = data_type::fixed(16, 3);
  CHECK(f.step() == 1.0 / 8192);
  CHECK(f.min() == -4.0);
  CHECK(f.max() == 4.0 - 1.0 / 8192);
  CHECK(f.is_fixed_point());
  CHECK_FALSE(f.is_integer());
  CHECK(data_type::float32().max() == Approx(3.4028234663852886e38));
  CHECK(data_type::float16().max() == 65504.0);
  CHECK(data_type::scaled_int(8).bitwidth() == 8);
  CHECK_FALSE(data_type::scaled_int(8).is_integer());
}

TEST_CASE("data_type::allowed", "[data_type]") {
  CHECK(data_type::bipolar().allowed(-1));
  CHECK_FALSE(data_type::bipolar().allowed(0));
  CHECK(data_type::ternary().allowed(0));
  CHECK_FALSE(data_type::ternary().allowed(2));
  CHECK(data_type::int_(4).allowed(-8));
  CHECK_FALSE(data_type::int_(4).allowed(8));
  CHECK_FALSE(data_type::int_(4).allowed(1.5));
  CHECK(data_type::uint(2).allowed(3));
  CHECK_FALSE(data_type::uint(2).allowed(-1));
  CHECK(data_type::fixed(8, 4).allowed(1.0625));
  CHECK_FALSE(data_type::fixed(8, 4).allowed(1.03125));
  CHECK(data_type::float32().allowed(1e30));
}

TEST_CASE("smallest_for_value searches BINARY, UINTn, BIPOLAR, TERNARY, INTn like QONNX", "[data_type]") {
  CHECK(data_type::smallest_for_value(0)->name() == "BINARY");
  CHECK(data_type::smallest_for_value(1)->name() == "BINARY");
  CHECK(data_type::smallest_for_value(2)->name() == "UINT2");
  CHECK(data_type::smallest_for_value(255)->name() == "UINT8");
  CHECK(data_type::smallest_for_value(256)->name() == "UINT9");
  CHECK(data_type::smallest_for_value(-1)->name() == "BIPOLAR");  // QONNX's own answer for a single -1
  CHECK(data_type::smallest_for_value(-2)->name() == "INT2");
  CHECK(data_type::smallest_for_value(-129)->name() == "INT9");
  CHECK(data_type::smallest_for_value(0.5)->name() == "FLOAT32");
  CHECK_FALSE(data_type::smallest_for_value(1e30));
}

TEST_CASE("smallest_for_range holds every integer of the range", "[data_type]") {
  CHECK(data_type::smallest_for_range(0, 3)->name() == "UINT2");
  CHECK(data_type::smallest_for_range(-1, 1)->name() == "TERNARY");  // not BIPOLAR: 0 is in range
  CHECK(data_type::smallest_for_range(-1, 0)->name() == "TERNARY");
  CHECK(data_type::smallest_for_range(-8, 7)->name() == "INT4");
  CHECK(data_type::smallest_for_range(-8, 8)->name() == "INT5");
  CHECK(data_type::smallest_for_range(-1.5, 2)->name() == "FLOAT32");
  CHECK_FALSE(data_type::smallest_for_range(3, 2));
}

TEST_CASE("data_type factories refuse impossible widths", "[data_type]") {
  CHECK_THROWS_AS(data_type::int_(0), nnrewrite::type_error);
  CHECK_THROWS_AS(data_type::uint(5000), nnrewrite::type_error);
  CHECK_THROWS_AS(data_type::fixed(4, 4), nnrewrite::type_error);
  CHECK_THROWS_WITH(data_type::fixed(4, 5), Catch::Contains("FIXED<4,5>"));
}
