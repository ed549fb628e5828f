#include "bench/city_generator.h"

#include <catch2/catch.hpp>
#include <set>

#include "lib/city/outcome_counts.h"
#include "lib/city/state_document.h"
#include "lib/kafka/rebuild.h"

namespace twin {
namespace {

CityShape SmallShape() {
  CityShape shape;
  shape.districts = 2;
  shape.edges_per_district = 50;
  return shape;
}

TEST_CASE("the same seed gives the same city and stream bytes") {
  CHECK(SerializeCityState(GenerateCity(SmallShape(), 7)) ==
        SerializeCityState(GenerateCity(SmallShape(), 7)));
  CHECK(SerializeCityState(GenerateCity(SmallShape(), 7)) !=
        SerializeCityState(GenerateCity(SmallShape(), 8)));
  StreamGenerator a(SmallShape(), StreamShape(), 3), b(SmallShape(), StreamShape(), 3);
  for (int i = 0; i < 1000; ++i) CHECK(a.Next() == b.Next());
}

TEST_CASE("a generated city is a valid state document of the requested shape") {
  const CityState city = GenerateCity(SmallShape(), 1);
  Result<CityState> reread = ParseCityState(SerializeCityState(city));
  REQUIRE(reread.ok());
  CHECK(reread->Count(EntityKind::kEdge) == 100);
  CHECK(reread->Count(EntityKind::kSensor) == 100);
  CHECK(reread->Count(EntityKind::kBus) == 100);
}

TEST_CASE("a stream covers all nine topics with the requested share of bad messages") {
  CityState city = GenerateCity(SmallShape(), 1);
  StreamShape shape;
  shape.bad_share = 0.1;
  StreamGenerator generator(SmallShape(), shape, 5);
  RecordApplier applier(&city, RuleOptions{});
  std::set<std::string> topics;
  for (int i = 0; i < 20000; ++i) {
    Record r = generator.Next();
    topics.insert(r.topic);
    CHECK(r.partition == PartitionForKey(*r.key, shape.partitions));
    applier.Apply(r);
  }
  CHECK(topics.size() == 9);
  const OutcomeCounts& counts = applier.counts();
  CHECK(counts.rejected_total() > 1500);
  CHECK(counts.rejected_total() < 2500);
  CHECK(counts.stale > 0);
  CHECK(counts.applied > 15000);
}

}  // namespace
}  // namespace twin
