#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "nnrewrite/detail/vertex_map.hpp"
#include "nnrewrite/rewrite/worklist.hpp"

using namespace nnrewrite;

TEST_CASE("vertex_map behaves like std::map under random inserts and erases", "[worklist]") {
  detail::vertex_map<std::size_t, int> flat;
  std::map<std::size_t, int> ref;
  std::mt19937_64 rng(3);
  for (int step = 0; step < 200000; ++step) {
    const std::size_t k = rng() % 5000;
    switch (rng() % 3) {
      case 0: flat[k] = step; ref[k] = step; break;
      case 1: CHECK(flat.erase(k) == (ref.erase(k) == 1)); break;
      default: {
        const int* f = flat.find(k);
        auto it = ref.find(k);
        REQUIRE((f == nullptr) == (it == ref.end()));
        if (f) REQUIRE(*f == it->second);
      }
    }
    REQUIRE(flat.size() == ref.size());
  }
  std::size_t seen = 0;
  flat.for_each([&](std::size_t k, int v) {
    ++seen;
    CHECK(ref.at(k) == v);
  });
  CHECK(seen == ref.size());
}

TEST_CASE("worklist has set semantics and O(1) removal", "[worklist]") {
  worklist<int*> w;
  int a = 0, b = 0, c = 0;
  CHECK(w.push(&a));
  CHECK(w.push(&b));
  CHECK_FALSE(w.push(&a));  // already in
  CHECK(w.push(&c));
  CHECK(w.size() == 3);
  CHECK(w.remove(&b));
  CHECK_FALSE(w.remove(&b));
  CHECK(w.pop() == &c);  // last in, first out
  CHECK(w.pop() == &a);  // the hole left by b is skipped
  CHECK_FALSE(w.pop());
  CHECK(w.empty());
  CHECK(w.push(&b));  // removed nodes may come back
  CHECK(w.pop() == &b);
}

TEST_CASE("a seeded worklist pops every node once, in a seed-dependent order", "[worklist]") {
  auto drain = [](std::uint64_t seed) {
    worklist<std::size_t> w(seed);
    for (std::size_t i = 0; i < 100; ++i) w.push(i);
    for (std::size_t i = 0; i < 100; i += 7) w.remove(i);
    std::vector<std::size_t> order;
    while (auto v = w.pop()) order.push_back(*v);
    return order;
  };
  auto a = drain(1), b = drain(1), c = drain(2);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(std::set<std::size_t>(a.begin(), a.end()).size() == a.size());
  CHECK(a.size() == 100 - 15);
}
