// SPDX-License-Identifier: Apache-2.0
#include "alloc/thread_slot.h"

#include <mutex>
#include <vector>

namespace arenakv::alloc_internal {

constinit thread_local int t_thread_slot = kUnassignedSlot;

namespace {

class SlotRegistry {
 public:
  int Acquire() {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      const int slot = free_.back();
      free_.pop_back();
      return slot;
    }
    return next_ < kMaxThreadSlots ? next_++ : kOverflowSlot;
  }
  void Return(int slot) {
    std::lock_guard lock(mu_);
    free_.push_back(slot);
  }

 private:
  std::mutex mu_;
  std::vector<int> free_;
  int next_ = 0;
};

SlotRegistry& Registry() {
  static auto* registry = new SlotRegistry;  // never destroyed: threads may exit after main
  return *registry;
}

// Returns the slot when its thread exits. Any arena call made later in the
// thread's exit (another thread_local's destructor) goes to the overflow heap.
struct SlotReturner {
  int slot = kOverflowSlot;
  ~SlotReturner() {
    t_thread_slot = kOverflowSlot;
    if (slot != kOverflowSlot) Registry().Return(slot);
  }
};

thread_local SlotReturner t_returner;

}  // namespace

int AssignThreadSlot() {
  const int slot = Registry().Acquire();
  t_returner.slot = slot;
  t_thread_slot = slot;
  return slot;
}

}  // namespace arenakv::alloc_internal
