#include "lib/base/named_type.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <type_traits>
#include <unordered_set>

namespace twin {
namespace {

using Apples = NamedType<uint64_t, struct ApplesTag>;
using Pears = NamedType<uint64_t, struct PearsTag>;

TEST_CASE("named types of one value type do not convert into each other") {
  static_assert(!std::is_convertible_v<Apples, Pears>);
  static_assert(!std::is_convertible_v<uint64_t, Apples>);  // explicit only
  static_assert(!std::is_convertible_v<Apples, uint64_t>);
  static_assert(sizeof(Apples) == sizeof(uint64_t));
  CHECK(Apples(3).value() == 3);
  CHECK(Apples().value() == 0);
}

TEST_CASE("a named type compares, counts, prints and hashes as its value") {
  CHECK(Apples(2) < Apples(3));
  CHECK(Apples(3) >= Apples(3));
  CHECK(Apples(3) != Apples(4));
  CHECK(Apples(3).Next() == Apples(4));
  std::ostringstream out;
  out << Apples(42);
  CHECK(out.str() == "42");
  const std::unordered_set<Apples> set{Apples(1), Apples(1), Apples(2)};
  CHECK(set.size() == 2);
}

}  // namespace
}  // namespace twin
