// Deterministic synthetic cities and message streams for benchmarks,
// integration tests and the demo.
//
// The same shape and seed always give the same bytes, on any machine: the
// generator uses its own PRNG (splitmix64), not <random>'s distributions,
// whose results differ between standard libraries. Entity ids follow fixed
// patterns, so a stream can name entities of a city without reading it.
// Not synchronised.
#ifndef TWIN_BENCH_CITY_GENERATOR_H_
#define TWIN_BENCH_CITY_GENERATOR_H_

#include <cstdint>
#include <string>

#include "lib/city/city_state.h"
#include "lib/kafka/record.h"

namespace twin {

// The design document's city by default: 5 districts x 50 sensors x 100
// buildings x 3000 graph edges (about 7.5 MB as a state document).
struct CityShape {
  int districts = 5;
  int sensors_per_district = 50;
  int buildings_per_district = 100;
  int weather_stations_per_district = 2;
  int edges_per_district = 3000;
  int buses = 100;
  int stations = 50;
  int incidents = 20;
  int units = 30;
  int64_t start_ms = 1765180800000;  // 2025-12-08T08:00:00Z

  // The shape `factor` times larger in districts (the 10x city: 50
  // districts, 150,000 edges).
  CityShape Scaled(int factor) const;
};

CityState GenerateCity(const CityShape& shape, uint64_t seed);

struct StreamShape {
  double bad_share = 0.01;          // messages that must be rejected
  double stale_share = 0.005;       // messages older than their entity
  double no_timestamp_share = 0.1;  // messages without lastUpdated
  double new_entity_share = 0.01;   // sensors, buses... not in the city yet
  int partitions = 4;               // records carry partition = hash(key) % this
  int64_t step_us = 100;            // time between consecutive messages
};

// Produces records over all nine topics for a city of `city` shape, keyed
// by district (district topics) or entity id, so that every message for one
// entity lands in one partition.
class StreamGenerator {
 public:
  StreamGenerator(const CityShape& city, const StreamShape& stream, uint64_t seed);
  Record Next();

 private:
  uint64_t NextRandom();
  double Uniform() { return (NextRandom() >> 11) * 0x1.0p-53; }
  int Below(int n) { return static_cast<int>(NextRandom() % static_cast<uint64_t>(n)); }
  std::string Corrupt(Record* record);

  CityShape city_;
  StreamShape stream_;
  uint64_t state_;
  uint64_t index_ = 0;
};

// The partition a key goes to among `partitions` (FNV-1a), as the stream
// generator assigns them.
int PartitionForKey(const std::string& key, int partitions);

}  // namespace twin

#endif  // TWIN_BENCH_CITY_GENERATOR_H_
