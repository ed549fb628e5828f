// Mirror: twin-publish's copy of the city as the store holds it, kept
// current through the store's change feed by reading only the entities that
// changed, with the log of their values in the last published document
// (state_delta.h's ChangeLog), so that the next delta and that document's
// text can both be made from here.
//
// The publisher decides when to follow and when to read the whole state;
// the mirror only says which it needs. Not synchronised: one thread.
#ifndef TWIN_LIB_PUBLISH_MIRROR_H_
#define TWIN_LIB_PUBLISH_MIRROR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "lib/base/timestamp.h"
#include "lib/city/city_state.h"
#include "lib/publish/state_delta.h"
#include "lib/store/state_store.h"

namespace twin {

class Mirror {
 public:
  // Follows `store`, which outlives the mirror. Empty until Replace().
  explicit Mirror(StateStore* store) : store_(store) {}

  enum class Followed {
    kCurrent,       // the mirror is the store's state as of cursor()
    kReloadNeeded,  // the feed cannot bring it there: Replace() it with a Read()
    kFailed,        // the store could not be read; the mirror is where it was
  };
  struct FollowResult {
    Followed outcome = Followed::kCurrent;
    std::string why;        // for a reload or a failure: the reason, to log
    size_t unreadable = 0;  // changed entities skipped: their stored value is not JSON
  };
  // Reads the change feed after cursor() and applies every change it names,
  // logging each entity's value before its first change. A feed that was
  // trimmed past the cursor, says reload, or belongs to another incarnation
  // (the state was replaced) needs a reload. An entity whose stored value is
  // not JSON keeps its value (a warning names it). After a failure the
  // mirror holds every change up to cursor(), where the next Follow() starts.
  FollowResult Follow();

  // Makes `stored` the mirror's state: the log is cleared, and reloaded()
  // holds until InStep().
  void Replace(StoredState stored);

  // Diffs each logged entity from its published value now, on all cores
  // (ChangeLog::Prepare), so that ComposeDelta() finds the work done.
  // Returns how many it diffed.
  size_t PrepareChanges();

  // The delta text from the last published document (stamped `from`) to
  // the mirror (stamped `to`); nullopt when the entities changed back.
  // Requires !reloaded().
  std::optional<std::string> ComposeDelta(const std::string& from, const std::string& to);

  // The text of the last published document: the mirror put back by the
  // log, stamped `micros`. Requires !reloaded().
  std::string PublishedText(Micros micros);

  // The mirror is now what was last published: nothing is logged, and the
  // next delta is composed from the log again.
  void InStep();

  // Sets the state's timestamp (a document is about to be made from it).
  void Stamp(Micros micros) { state_.timestamp = micros; }

  const CityState& state() const { return state_; }
  const ChangeLog& changes() const { return changes_; }
  // Read whole since the last InStep(): the log does not lead back to the
  // last published document, so a delta must diff whole documents.
  bool reloaded() const { return reloaded_; }
  // Whether anything may differ from the last published document.
  bool changed() const { return reloaded_ || !changes_.empty(); }
  FeedCursor cursor() const { return cursor_; }

 private:
  // Applies the members of the districts `feed` names as new.
  Status ApplyNewDistricts(const FeedRead& feed);

  StateStore* store_;
  CityState state_;
  FeedCursor cursor_;
  std::string incarnation_;  // of the state the mirror was read from
  ChangeLog changes_;  // entities changed since the last document, at their values there
  EntityRanks ranks_;  // indices in the state's arrays
  bool reloaded_ = false;
};

}  // namespace twin

#endif  // TWIN_LIB_PUBLISH_MIRROR_H_
