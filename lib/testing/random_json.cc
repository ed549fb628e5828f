#include "lib/testing/random_json.h"

#include <cmath>
#include <cstdint>

namespace twin::testing {

using nlohmann::json;

json RandomJson(std::mt19937* rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 0 ? 8 : 6);
  const char* keys[] = {"a",    "b", "edgeId",     "z\"q", "\u00e9t\u00e9",
                        "k\\1", "",  "lastUpdated"};
  switch (kind(*rng)) {
    case 0:
      return nullptr;
    case 1:
      return (*rng)() % 2 == 0;
    case 2:
      return static_cast<int64_t>((*rng)() % 2000) - 1000;
    case 3:
      return static_cast<uint64_t>((*rng)()) << 32 | (*rng)();
    case 4:
      return std::ldexp(static_cast<double>((*rng)() % 100000) - 50000,
                        -static_cast<int>((*rng)() % 20));
    case 5:
      return std::string("s") + std::to_string((*rng)() % 50) +
             ((*rng)() % 5 == 0 ? "\n\t\"" : "");
    case 6:
      return "";
    case 7: {
      json array = json::array();
      for (unsigned n = (*rng)() % 5; n > 0; --n)
        array.push_back(RandomJson(rng, depth - 1));
      return array;
    }
    default: {
      json object = json::object();
      for (unsigned n = (*rng)() % 6; n > 0; --n) {
        object[keys[(*rng)() % 8]] = RandomJson(rng, depth - 1);
      }
      return object;
    }
  }
}

std::string Damage(std::string text, std::mt19937* rng) {
  static const std::string kAlphabet = "{}[],:\"\\ 0123456789.-+eEtrufalsn\x01\xff";
  for (unsigned edits = 1 + (*rng)() % 3; edits > 0 && !text.empty(); --edits) {
    const size_t at = (*rng)() % text.size();
    const char c = kAlphabet[(*rng)() % kAlphabet.size()];
    switch ((*rng)() % 3) {
      case 0:
        text.erase(at, 1);
        break;
      case 1:
        text.insert(at, 1, c);
        break;
      default:
        text[at] = c;
    }
  }
  return text;
}

}  // namespace twin::testing
