// Random JSON texts for tests of parsers: values of every kind (keys that
// repeat, need escapes or are out of order; integers of all sizes; doubles
// of many digits), and damaged copies of them. Deterministic for a seed.
#ifndef TWIN_LIB_TESTING_RANDOM_JSON_H_
#define TWIN_LIB_TESTING_RANDOM_JSON_H_

#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace twin::testing {

// A random value nested at most `depth` deep.
nlohmann::json RandomJson(std::mt19937* rng, int depth);

// `text` with one to three characters deleted, inserted or replaced, from
// an alphabet of JSON's punctuation, digits, literal letters and bytes that
// are not valid UTF-8 or must be escaped.
std::string Damage(std::string text, std::mt19937* rng);

}  // namespace twin::testing

#endif  // TWIN_LIB_TESTING_RANDOM_JSON_H_
