// SPDX-License-Identifier: Apache-2.0
// IdleList<T>: at most max_idle objects kept for reuse instead of destroyed
// (ArenaCache's arenas, MemTableRecycler's memtables).
//
// Give() keeps an object only if there is room, and only once `renew` (what
// makes it reusable, e.g. Arena::Reset) says it succeeded; renew runs
// outside the lock, and so does the destruction of an object not kept.
//
// Thread safety: every method may be called from any thread at once (mu_
// guards the list); an object handed out by Take belongs to the caller.
#ifndef ARENAKV_MVCC_MEMTABLE_IDLE_LIST_H_
#define ARENAKV_MVCC_MEMTABLE_IDLE_LIST_H_

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "arenakv/base/mutex.h"
#include "arenakv/base/thread_annotations.h"

namespace arenakv {

template <typename T>
class IdleList {
 public:
  explicit IdleList(std::size_t max_idle) : max_idle_(max_idle) {}

  // An idle object, or nullptr.
  std::unique_ptr<T> Take() {
    MutexLock lock(&mu_);
    if (idle_.empty()) return nullptr;
    std::unique_ptr<T> object = std::move(idle_.back());
    idle_.pop_back();
    return object;
  }

  // Keeps `object` if there is room and renew(*object) returns true;
  // otherwise it is destroyed (outside the lock: a parameter outlives the
  // function's locals).
  template <typename Renew>
  void Give(std::unique_ptr<T> object, Renew renew) noexcept {
    {
      MutexLock lock(&mu_);
      if (idle_.size() >= max_idle_) return;
    }
    if (!renew(*object)) return;
    MutexLock lock(&mu_);
    if (idle_.size() >= max_idle_) return;
    try {
      idle_.push_back(std::move(object));
    } catch (const std::bad_alloc&) {  // no room to keep it: destroyed instead
    }
  }

  // Every idle object, for the caller to destroy (outside the lock).
  std::vector<std::unique_ptr<T>> TakeAll() {
    std::vector<std::unique_ptr<T>> all;
    MutexLock lock(&mu_);
    all.swap(idle_);
    return all;
  }

  std::size_t size() const {
    MutexLock lock(&mu_);
    return idle_.size();
  }

  // The sum of f(object) over the idle objects (f runs under the lock).
  template <typename F>
  std::size_t Sum(F f) const {
    MutexLock lock(&mu_);
    std::size_t sum = 0;
    for (const auto& object : idle_) sum += f(*object);
    return sum;
  }

 private:
  const std::size_t max_idle_;
  mutable Mutex mu_;
  std::vector<std::unique_ptr<T>> idle_ ARENAKV_GUARDED_BY(mu_);
};

}  // namespace arenakv

#endif  // ARENAKV_MVCC_MEMTABLE_IDLE_LIST_H_
