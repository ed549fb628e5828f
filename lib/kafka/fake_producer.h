// FakeProducer: the Producer seam (producer.h) for unit tests. It keeps what
// it is given and delivers it when the test says, from Poll() and Flush()
// as librdkafka does: every message in flight gets the answer in `answer`,
// unless the broker is `silent`.
// A loop that makes its own producer gets one through Factory(): the
// producers it makes forward to this one, which outlives them, so the test
// reads what was sent after the loop returned.
// Not synchronised.
#ifndef TWIN_LIB_KAFKA_FAKE_PRODUCER_H_
#define TWIN_LIB_KAFKA_FAKE_PRODUCER_H_

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lib/kafka/producer.h"

namespace twin {

class FakeProducer : public Producer {
 public:
  FakeProducer() = default;
  explicit FakeProducer(DeliveryHandler on_delivery)
      : on_delivery_(std::move(on_delivery)) {}

  ProducerFactory Factory();

  Delivery Produce(const OutgoingMessage& message) override {
    sent.push_back(message);
    sent_values.emplace_back(message.value);
    sent.back().value = sent_values.back();
    if (refuse != SendFailure::kNone) {
      Delivery refused{message.id, refuse, "refused"};
      refused.topic = message.topic;
      refused.too_large = answer_too_large;
      return refused;
    }
    in_flight.push_back(message.id);
    return {message.id, SendFailure::kNone, {}};
  }
  void Poll(int) override { DeliverAll(); }
  bool Flush(int) override {
    ++flushes;
    if (on_flush) on_flush();
    DeliverAll();
    return in_flight.empty();
  }
  void LearnTopics(const std::vector<std::string>& topics) override {
    learned_topics.insert(learned_topics.end(), topics.begin(), topics.end());
  }
  std::optional<std::string> TopicConfig(const std::string& topic,
                                         const std::string& name) override {
    auto it = topic_config.find(topic + "/" + name);
    if (it == topic_config.end()) return std::nullopt;
    return it->second;
  }

  // What the broker answers for each message in flight at the next Poll or
  // Flush: kNone (stored), or a failure, maybe stored or too large.
  // `silent`: no answer yet.
  SendFailure answer = SendFailure::kNone;
  bool answer_maybe_stored = false;
  bool answer_too_large = false;
  bool silent = false;
  std::set<uint64_t> unanswered;            // ids the broker never answers
  SendFailure refuse = SendFailure::kNone;  // Produce() itself fails
  std::vector<OutgoingMessage> sent;        // each value views sent_values
  std::deque<std::string> sent_values;
  std::deque<uint64_t> in_flight;
  std::map<std::string, std::string> topic_config;  // "topic/name" -> value
  std::vector<std::string> learned_topics;
  int flushes = 0;
  std::function<void()> on_flush;  // before each Flush() answers (a clock moved)

 private:
  void DeliverAll() {
    if (silent) return;
    std::deque<uint64_t> kept;
    while (!in_flight.empty()) {
      const uint64_t id = in_flight.front();
      in_flight.pop_front();
      if (unanswered.count(id) != 0) {
        kept.push_back(id);
        continue;
      }
      Delivery delivery{id, answer, answer == SendFailure::kNone ? "" : "broker says no"};
      delivery.maybe_stored = answer != SendFailure::kNone && answer_maybe_stored;
      delivery.too_large = answer != SendFailure::kNone && answer_too_large;
      if (answer != SendFailure::kNone) delivery.topic = TopicOf(id);
      on_delivery_(delivery);
    }
    in_flight = std::move(kept);
  }
  std::string TopicOf(uint64_t id) const {
    for (auto m = sent.rbegin(); m != sent.rend(); ++m) {
      if (m->id == id) return m->topic;
    }
    return {};
  }
  DeliveryHandler on_delivery_;
};

// A producer a loop owns, standing for a FakeProducer the test owns.
class ForwardingProducer : public Producer {
 public:
  explicit ForwardingProducer(Producer* target) : target_(target) {}
  Delivery Produce(const OutgoingMessage& message) override {
    return target_->Produce(message);
  }
  void Poll(int timeout_ms) override { target_->Poll(timeout_ms); }
  bool Flush(int timeout_ms) override { return target_->Flush(timeout_ms); }
  void LearnTopics(const std::vector<std::string>& topics) override {
    target_->LearnTopics(topics);
  }
  std::optional<std::string> TopicConfig(const std::string& topic,
                                         const std::string& name) override {
    return target_->TopicConfig(topic, name);
  }

 private:
  Producer* target_;
};

inline ProducerFactory FakeProducer::Factory() {
  return [this](const KafkaSettings&, const KafkaProperties&,
                DeliveryHandler on_delivery) -> Result<std::unique_ptr<Producer>> {
    on_delivery_ = std::move(on_delivery);
    return std::unique_ptr<Producer>(std::make_unique<ForwardingProducer>(this));
  };
}

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_FAKE_PRODUCER_H_
