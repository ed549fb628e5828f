// A value shared between threads, behind its own mutex: one thread updates
// it in steps, others read copies. For figures like /metrics.
#ifndef TWIN_LIB_BASE_GUARDED_H_
#define TWIN_LIB_BASE_GUARDED_H_

#include <mutex>
#include <utility>

namespace twin {

template <typename T>
class Guarded {
 public:
  // A copy of the value as it is between two updates.
  T Get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return value_;
  }
  // Runs `update(T&)` on the value, with no reader in between.
  template <typename F>
  void Update(F&& update) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::forward<F>(update)(value_);
  }

 private:
  mutable std::mutex mutex_;
  T value_{};
};

}  // namespace twin

#endif  // TWIN_LIB_BASE_GUARDED_H_
