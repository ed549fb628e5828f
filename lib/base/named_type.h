// NamedType<T, Tag>: a T that does not mix with other T's. Two counters that
// are both uint64_t (a feed cursor and a document sequence, say) become two
// types: passing one where the other is expected, or comparing them, does
// not compile. Construction is explicit and value() is the way out (for
// text, wire formats and arithmetic that means something new).
//   using FeedCursor = NamedType<uint64_t, struct FeedCursorTag>;
// Costs nothing: a T, compared and copied as one.
#ifndef TWIN_LIB_BASE_NAMED_TYPE_H_
#define TWIN_LIB_BASE_NAMED_TYPE_H_

#include <functional>
#include <ostream>

namespace twin {

template <class T, class Tag>
class NamedType {
 public:
  using ValueType = T;
  constexpr NamedType() = default;
  constexpr explicit NamedType(T value) : value_(value) {}
  constexpr T value() const { return value_; }
  // For the counting kinds: the one after this.
  constexpr NamedType Next() const { return NamedType(value_ + 1); }

  friend constexpr bool operator==(NamedType a, NamedType b) {
    return a.value_ == b.value_;
  }
  friend constexpr bool operator!=(NamedType a, NamedType b) {
    return a.value_ != b.value_;
  }
  friend constexpr bool operator<(NamedType a, NamedType b) {
    return a.value_ < b.value_;
  }
  friend constexpr bool operator<=(NamedType a, NamedType b) {
    return a.value_ <= b.value_;
  }
  friend constexpr bool operator>(NamedType a, NamedType b) {
    return a.value_ > b.value_;
  }
  friend constexpr bool operator>=(NamedType a, NamedType b) {
    return a.value_ >= b.value_;
  }
  friend std::ostream& operator<<(std::ostream& out, NamedType v) {
    return out << v.value_;
  }

 private:
  T value_{};
};

}  // namespace twin

template <class T, class Tag>
struct std::hash<twin::NamedType<T, Tag>> {
  size_t operator()(twin::NamedType<T, Tag> v) const { return std::hash<T>()(v.value()); }
};

#endif  // TWIN_LIB_BASE_NAMED_TYPE_H_
