#include "lib/base/status.h"

#include <catch2/catch.hpp>

namespace twin {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::InvalidArgument("odd number " + std::to_string(n));
  return n / 2;
}

Result<int> Quarter(int n) {
  TWIN_ASSIGN_OR_RETURN(int half, Half(n));
  return Half(half);
}

TEST_CASE("a default status is OK and says so") {
  Status s;
  CHECK(s.ok());
  CHECK(s.ToString() == "OK");
}

TEST_CASE("context is prefixed to the message and keeps the code") {
  Status s = Status::NotFound("no such city").WithContext("load 'x.json'");
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK(s.message() == "load 'x.json': no such city");
  CHECK(s.ToString() == "not found: load 'x.json': no such city");
}

TEST_CASE("assign-or-return passes values through and errors up") {
  REQUIRE(Quarter(8).ok());
  CHECK(*Quarter(8) == 2);
  Result<int> r = Quarter(6);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "odd number 3");
}

TEST_CASE("a Result built from an OK status is an internal error, not a value") {
  Result<int> r(Status::Ok());
  CHECK_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInternal);
}

}  // namespace
}  // namespace twin
