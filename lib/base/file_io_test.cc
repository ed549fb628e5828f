#include "lib/base/file_io.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace twin {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE(
    "an output file is written whole, and a link planted at a guessable name is not "
    "followed") {
  char dir_template[] = "/tmp/twin-file-io.XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  const std::string out = dir + "/snapshot.json";
  const std::string victim = dir + "/victim";
  { std::ofstream(victim) << "precious"; }
  // The name the old code used: <path>.tmp.<pid>.
  REQUIRE(::symlink(victim.c_str(),
                    (out + ".tmp." + std::to_string(::getpid())).c_str()) == 0);
  std::ostringstream unused;
  REQUIRE(WriteOutput(out, "{\"new\":true}\n", unused).ok());
  CHECK(Slurp(out) == "{\"new\":true}\n");
  CHECK(Slurp(victim) == "precious");
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("an output into a folder that does not exist is a clear error") {
  std::ostringstream unused;
  Status status = WriteOutput("/nonexistent-twin-dir/x.json", "x", unused);
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find("/nonexistent-twin-dir/x.json") != std::string::npos);
}

}  // namespace
}  // namespace twin
